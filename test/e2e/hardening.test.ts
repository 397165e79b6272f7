// Issue 9 on a real node: the second run reads what the running startd was configured with, an unprivileged user
// cannot take the run lock, a header-only change restarts nothing, and `restart: none` converges after a manual restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startNodes, type TestNode } from '../testbed/nodes.ts';
import { kvmTitle, testbedReason } from '../testbed/harness.ts';
import { installAgent, jsonLines, putProfile, ROOT, startdPid, vmp, vmStatus } from './agent.ts';

const example = readFileSync(join(ROOT, 'examples/kvm-node.yaml'), 'utf8');
const CONFIG = '/etc/condor/config.d/50-vm-universe.config';

async function startdStartTime(node: TestNode): Promise<number> {
  return Number((await node.ssh(['condor_status', '-startd', '-af', 'DaemonStartTime'])).stdout.trim().split('\n')[0] ?? 0);
}

describe.skipIf(testbedReason())(kvmTitle('hardening on a converged node (full node)'), () => {
  let node: TestNode;
  beforeAll(async () => {
    [node] = await startNodes({ flavor: 'full' }) as [TestNode];
    await installAgent(node);
    const r = await vmp(node, ['apply', '/root/examples/kvm-node.yaml', '--no-progress']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
  });
  afterAll(async () => { await node?.stop(); });

  it('the running startd is asked what it was configured with: condor_config_val -startd answers 1024 from our file', async () => {
    const r = await node.ssh(['condor_config_val', '-startd', '-v', 'VM_MEMORY']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^VM_MEMORY = 1024\n\s*# at: \/etc\/condor\/config\.d\/50-vm-universe\.config, line \d+/m);
  });

  it('a header-only change (another HTCondor version, another profile name) rewrites nothing and restarts nothing', async () => {
    await node.ssh(['sed', '-i', 's/for HTCondor 23\\.9\\.6/for HTCondor 23.9.5/', CONFIG]);
    const before = { pid: await startdPid(node), file: (await node.ssh(['sha256sum', CONFIG])).stdout };
    const renamed = await putProfile(node, 'renamed.yaml', example.replace('name: kvm-node', 'name: kvm-node-renamed'));
    const r = await vmp(node, ['apply', renamed, '--json', '--detailed-exitcodes']);
    expect(r.exitCode, r.stdout).toBe(0);
    const steps = jsonLines(r.stdout).filter((l) => l.type === 'step');
    expect(steps.find((s) => s.step === 'condor-config')?.status).toBe('ok');
    expect(steps.find((s) => s.step === 'restart')?.status).toBe('ok');
    expect(await startdPid(node)).toBe(before.pid);
    expect((await node.ssh(['sha256sum', CONFIG])).stdout).toBe(before.file);
  });

  it('an unprivileged user cannot make root\'s run exit 75: it can neither open the lock file nor hold a socket we use', async () => {
    // As nobody: hold the old abstract socket name, and try to open and lock the lock file, for 20 s.
    const squatter = `
      const net = require('node:net'); const fs = require('node:fs');
      net.createServer().listen({ path: '\\0vm-provision:/run/vm-provision.lock' });
      let opened = 'no';
      try { fs.openSync('/run/vm-provision.lock', fs.constants.O_RDWR | fs.constants.O_CREAT); opened = 'yes'; } catch (e) { opened = e.code; }
      console.log('open:' + opened);
      setTimeout(() => process.exit(0), 20000);`;
    const bg = node.ssh(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'node', '-e', squatter], { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 2000));
    const r = await vmp(node, ['apply', '/root/examples/kvm-node.yaml', '--no-progress']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const sq = await bg;
    expect(sq.stdout).toMatch(/open:(EACCES|EPERM)/);
  });

  it('restart: none owes the restart; after the admin\'s own condor_restart -startd the next run has nothing pending', async () => {
    const none = await putProfile(node, 'none-2048.yaml', example.replace('memory: 1024', 'memory: 2048').replace('restart: startd', 'restart: none'));
    const first = await vmp(node, ['apply', none, '--json']);
    expect(first.exitCode, first.stdout).toBe(0);
    const restart1 = jsonLines(first.stdout).find((l) => l.type === 'step' && l.step === 'restart');
    expect(restart1?.status).toBe('pending');
    // The running startd still has 1024: read from the daemon, not from the file that now says 2048.
    expect((await node.ssh(['condor_config_val', '-startd', 'VM_MEMORY'])).stdout.trim()).toBe('1024');

    const t0 = await startdStartTime(node);
    expect((await node.ssh(['condor_restart', '-startd'])).exitCode).toBe(0);
    for (let i = 0; i < 120; i++) {
      const now = await startdStartTime(node);
      if (now > t0 && (await vmStatus(node)).includes('kvm 2048')) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(await vmStatus(node)).toBe(`slot1@${node.name} kvm 2048`);
    const pid = await startdPid(node);
    const second = await vmp(node, ['apply', none, '--json', '--detailed-exitcodes']);
    expect(second.exitCode, second.stdout).toBe(0);
    const restart2 = jsonLines(second.stdout).find((l) => l.type === 'step' && l.step === 'restart');
    expect(restart2?.status).toBe('ok');
    expect(await startdPid(node)).toBe(pid);
  });

  it('graceful is condor_off + condor_on: the master restarts the startd without its backoff; a run stopped between the two is finished by the next', async () => {
    const lines = async () => (await node.ssh(['cat', '/var/log/condor/MasterLog'])).stdout.split('\n').length;
    const from = await lines();
    const m1536 = await putProfile(node, 'graceful-1536.yaml', example.replace('memory: 1024', 'memory: 1536'));
    const r = await vmp(node, ['apply', m1536, '--json']);
    expect(r.exitCode, r.stdout).toBe(0);
    expect(jsonLines(r.stdout).find((l) => l.type === 'step' && l.step === 'restart')?.changes).toEqual(['condor_off -startd && condor_on -startd']);
    const log = (await node.ssh(['cat', '/var/log/condor/MasterLog'])).stdout.split('\n').slice(from - 1).join('\n');
    expect(log).toMatch(/Handling DAEMON_OFF command for STARTD/);
    expect(log).toMatch(/Handling DAEMON_ON command for STARTD/);
    // The master's backoff says "restarting …condor_startd in 10 seconds" (9 + 2^n); after condor_on it is 1 s at most.
    const delays = [...log.matchAll(/restarting \S*condor_startd in (\d+) seconds?/g)].map((m) => Number(m[1]));
    expect(delays.every((d) => d <= 1), log).toBe(true);
    expect(await vmStatus(node)).toBe(`slot1@${node.name} kvm 1536`);

    // As a run killed right after condor_off leaves it: the startd held off, the journal saying so.
    const since = new Date().toISOString();
    expect((await node.ssh(['condor_off', '-startd'])).exitCode).toBe(0);
    const patch = `const f='/var/lib/vm-provision/journal.json';const j=JSON.parse(require('fs').readFileSync(f,'utf8'));j.startdOff={since:'${since}'};j.pendingRestart={reason:'config changed',since:'${since}'};require('fs').writeFileSync(f,JSON.stringify(j))`;
    expect((await node.ssh(['node', '-e', patch])).exitCode).toBe(0);
    const d = await vmp(node, ['doctor']);
    expect(d.exitCode, d.stdout).toBe(1);
    expect(d.stdout).toMatch(/turned the startd off at .* to restart it and was stopped before turning it on/);
    const next = await vmp(node, ['apply', m1536, '--json']);
    expect(next.exitCode, next.stdout).toBe(0);
    expect(jsonLines(next.stdout).find((l) => l.type === 'step' && l.step === 'restart')?.summary).toMatch(/^turned the startd on \(condor_on -startd\): a run stopped at /);
    expect(await vmStatus(node)).toBe(`slot1@${node.name} kvm 1536`);
    const journal = JSON.parse((await node.ssh(['cat', '/var/lib/vm-provision/journal.json'])).stdout) as Record<string, unknown>;
    expect(journal.startdOff).toBeUndefined();
    expect(journal.pendingRestart).toBeUndefined();
  });
});
