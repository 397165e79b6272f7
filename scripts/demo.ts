// `npm run demo`: a throwaway `bare` testbed node goes from plain HTCondor to a KVM VM-universe node, then
// a second apply shows that nothing changes. Needs root on Linux (the testbed's network namespaces and nspawn).
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startNodes, type TestNode } from '../test/testbed/nodes.ts';
import { ensureHostTools } from '../test/testbed/prereqs.ts';
import { kvmNote } from '../test/testbed/kvm.ts';

const ROOT = resolve(import.meta.dirname, '..');
const say = (s: string) => process.stdout.write(`\n\x1b[1m== ${s}\x1b[0m\n`);
const show = (r: { stdout: string; stderr: string }) => { if (r.stdout.trim()) process.stdout.write(`${r.stdout.trimEnd()}\n`); if (r.stderr.trim()) process.stdout.write(`${r.stderr.trimEnd()}\n`); };

const tSetup = Date.now();
try {
  const tools = await ensureHostTools((s) => process.stdout.write(`[demo] ${s}\n`));
  if (tools.installed.length) console.log(`[demo] host tools ready in ${((Date.now() - tSetup) / 1000).toFixed(1)} s`);
} catch (e) {
  process.stderr.write(`demo: cannot run: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(77);
}

say('Booting a throwaway Debian 13 node with HTCondor 23.9.6 (first run builds the images: about 2 minutes)');
const t0 = Date.now();
const [node] = await startNodes({ flavor: 'bare' }) as [TestNode];
try {
  console.log(`${node.name} at ${node.address} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (node.kvm === 'placeholder') console.log(`note: this node has a ${kvmNote(node.kvm)} (HTCondor's VM gahp test and everything vm-provision does run for real)`);
  await node.copyIn(join(ROOT, 'dist/vm-provision.mjs'), '/usr/local/bin/vm-provision');
  await node.ssh(['mkdir', '-p', '/root/examples']);
  for (const f of readdirSync(join(ROOT, 'examples'), { withFileTypes: true })) {
    if (f.isFile()) await node.copyIn(join(ROOT, 'examples', f.name), `/root/examples/${f.name}`);
  }

  say(`condor_status -vm on ${node.name} (empty: no VM universe yet)`);
  show(await node.ssh(['condor_status', '-vm']));
  console.log('(no output: no slot advertises HasVM)');

  say('vm-provision plan /root/examples/kvm-node.yaml  (what would change)');
  show(await node.ssh(['vm-provision', 'plan', '/root/examples/kvm-node.yaml', '--no-progress']));

  say('vm-provision apply /root/examples/kvm-node.yaml');
  const a = await node.ssh(['vm-provision', 'apply', '/root/examples/kvm-node.yaml', '--no-progress']);
  show(a);

  say('condor_status -vm');
  show(await node.ssh(['condor_status', '-vm']));

  say('vm-provision apply again: nothing changes, the startd is not restarted');
  const b = await node.ssh(['vm-provision', 'apply', '/root/examples/kvm-node.yaml', '--no-progress', '--detailed-exitcodes']);
  show(b);
  console.log(`exit code ${b.exitCode} (--detailed-exitcodes: 0 = nothing changed)`);
  process.exitCode = a.exitCode === 0 && b.exitCode === 0 ? 0 : 1;
} finally {
  say('Tearing the node down');
  await node.stop();
  console.log('done');
}
