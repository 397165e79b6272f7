// `npm run testbed -- up|list|down|build`: test nodes for humans.
import { Command } from 'commander';
import { downAll, listRecords, startNodes } from './nodes.ts';
import { ensureImages, imagePaths, diskUsage } from './images.ts';
import { ensureHostTools } from './prereqs.ts';
import { kvmNote } from './kvm.ts';
import { sshCommandLine } from './ssh.ts';
import { join } from 'node:path';
import { STATE_DIR } from './config.ts';

/** Installs missing host tools; exits 77 naming why and the fix only where that cannot be done. */
async function requireTestbed() {
  try { await ensureHostTools(); } catch (e) {
    process.stderr.write(`testbed: cannot run: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(77);
  }
}

const program = new Command('testbed').description('booted Debian 13 HTCondor nodes for vm-provision tests and demos');

program.command('build').description('build (or reuse) the bare and full images and the local package repository')
  .action(async () => {
    await requireTestbed();
    const r = await ensureImages();
    const p = imagePaths();
    console.log(`images ${r.key} ${r.built ? `built in ${r.seconds.toFixed(0)} s` : 'reused'}: ${p.dir}`);
    for (const part of ['bare', 'full', 'repo'] as const) console.log(`  ${part}: ${await diskUsage(p[part])}`);
  });

program.command('up').description('start nodes; they stay up until `down`')
  .option('--flavor <flavor>', 'bare | full', 'bare')
  .option('--count <n>', 'how many', '1')
  .option('--json', 'one JSON array for scripts')
  .action(async (o: { flavor: string; count: string; json?: boolean }) => {
    await requireTestbed();
    if (o.flavor !== 'bare' && o.flavor !== 'full') { process.stderr.write(`testbed: --flavor must be bare or full, not ${o.flavor}\n`); process.exit(64); }
    const count = Number(o.count);
    if (!Number.isInteger(count) || count < 1 || count > 64) { process.stderr.write('testbed: --count must be 1..64\n'); process.exit(64); }
    const t0 = Date.now();
    const nodes = await startNodes({ flavor: o.flavor, count, persistent: true, runId: `cli${Date.now().toString(36).slice(-4)}` });
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    if (o.json) {
      console.log(JSON.stringify(nodes.map((n) => ({ name: n.name, address: n.address, flavor: n.flavor, kvm: n.kvm, ssh: n.sshCommand, key: n.identity.key, knownHosts: n.identity.knownHosts })), null, 2));
    } else {
      for (const n of nodes) console.log(`${n.name}  ${n.address}  ${n.flavor}  ${n.sshCommand}`);
      for (const note of new Set(nodes.map((n) => kvmNote(n.kvm)))) console.log(`(${note})`);
      console.log(`${nodes.length} node(s) ready in ${secs} s; stop with: npm run testbed -- down --all`);
    }
  });

program.command('list').description('nodes running now').option('--json').action((o: { json?: boolean }) => {
  const recs = listRecords();
  if (o.json) { console.log(JSON.stringify(recs, null, 2)); return; }
  if (!recs.length) { console.log('no testbed nodes'); return; }
  for (const r of recs) {
    const id = { dir: join(STATE_DIR, 'runs', r.runId), key: join(STATE_DIR, 'runs', r.runId, 'id_ed25519'), knownHosts: join(STATE_DIR, 'runs', r.runId, 'known_hosts') };
    console.log(`${r.name}  ${r.address}  ${r.flavor}  kvm ${r.kvm ?? 'passthrough'}  pid ${r.pid}  ${sshCommandLine(id, r.address)}`);
  }
});

program.command('down').description('stop nodes').argument('[names...]').option('--all', 'every testbed node and leftover')
  .action(async (names: string[], o: { all?: boolean }) => {
    await requireTestbed();
    const { teardownSync } = await import('./nodes.ts');
    if (o.all) { const gone = downAll(); console.log(gone.length ? `stopped: ${gone.join(' ')}` : 'nothing to stop'); return; }
    if (!names.length) { process.stderr.write('testbed: name nodes to stop, or --all\n'); process.exit(64); }
    for (const n of names) teardownSync(n);
    console.log(`stopped: ${names.join(' ')}`);
  });

program.parseAsync().catch((e: unknown) => { process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`); process.exit(1); });
