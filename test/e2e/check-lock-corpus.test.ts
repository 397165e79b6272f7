// On a fresh `bare` node: --check changes nothing; broken profiles exit 65 and change nothing; two runs at once
// are serialized by the lock; a run killed after writing the config leaves a restart the next run performs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startNodes, type TestNode } from '../testbed/nodes.ts';
import { kvmTitle, testbedReason } from '../testbed/harness.ts';
import { AGENT, ROOT, installAgent, jsonLines, nodeFingerprint, putProfile, startdPid, vmp, vmStatus } from './agent.ts';

const BROKEN = join(ROOT, 'test/fixtures/profiles/broken');
const expected = JSON.parse(readFileSync(join(BROKEN, 'expected.json'), 'utf8')) as Record<string, { line: number; col: number; path: string }>;
const example = readFileSync(join(ROOT, 'examples/kvm-node.yaml'), 'utf8');

describe.skipIf(testbedReason())(kvmTitle('apply --check, invalid profiles, lock, killed runs (fresh bare node)'), () => {
  let node: TestNode;
  beforeAll(async () => {
    [node] = await startNodes({ flavor: 'bare' }) as [TestNode];
    await installAgent(node);
    await node.ssh(['mkdir', '-p', '/root/broken']);
    for (const f of readdirSync(BROKEN)) if (f.endsWith('.yaml')) await node.copyIn(join(BROKEN, f), `/root/broken/${f}`);
  });
  afterAll(async () => { await node?.stop(); });

  it('--check lists the changes, exits 2 with --detailed-exitcodes, and leaves the node untouched', async () => {
    const before = await nodeFingerprint(node);
    const r = await vmp(node, ['apply', '/root/examples/kvm-node.yaml', '--check', '--diff', '--detailed-exitcodes', '--no-progress']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).toContain('[pending] packages: would install libvirt-daemon-system');
    expect(r.stdout).toContain('would enable and start the libvirt daemon');
    expect(r.stdout).toContain('[pending] condor-config: would create /etc/condor/config.d/50-vm-universe.config');
    expect(r.stdout).toContain('+VM_MEMORY      = 1024');
    expect(r.stdout).toContain('would restart the startd gracefully (condor_off -startd, then condor_on -startd): config would change');
    expect(await nodeFingerprint(node)).toBe(before);
    expect((await node.ssh(['dpkg-query', '-W', '-f', '${Status}', 'libvirt-daemon-system'])).stdout).not.toContain('install ok installed');
  });

  it('plan = apply --check --diff, and --json ends with a summary carrying the exit code', async () => {
    const r = await vmp(node, ['plan', '/root/examples/kvm-node.yaml', '--json', '--detailed-exitcodes']);
    expect(r.exitCode).toBe(2);
    const lines = jsonLines(r.stdout);
    expect(lines.find((l) => l.step === 'condor-config')).toMatchObject({ status: 'pending', changes: ['create /etc/condor/config.d/50-vm-universe.config'] });
    expect(lines.at(-1)).toMatchObject({ type: 'summary', check: true, changed: true, exitCode: 2 });
  });

  it(`rejects each of the ${Object.keys(expected).length} broken profiles with exit 65 and FILE:LINE:COL, changing nothing`, async () => {
    expect(Object.keys(expected).length).toBeGreaterThanOrEqual(15);
    const before = await nodeFingerprint(node);
    for (const [file, want] of Object.entries(expected)) {
      const path = `/root/broken/${file}`;
      const r = await vmp(node, ['apply', path, '--no-progress']);
      expect(r.exitCode, `${file}: ${r.stdout}${r.stderr}`).toBe(65);
      expect(r.stderr, file).toContain(`${path}:${want.line}:${want.col}: ${want.path ? `${want.path}: ` : ''}`);
    }
    expect(await nodeFingerprint(node)).toBe(before);
  });

  it('refuses VM memory above the node\'s RAM with exit 65 at the memory field', async () => {
    const path = await putProfile(node, 'too-much-memory.yaml', example.replace('memory: 1024', 'memory: 99999999'));
    const r = await vmp(node, ['apply', path, '--check']);
    expect(r.exitCode).toBe(65);
    expect(r.stderr).toMatch(new RegExp(`${path}:\\d+:\\d+: condor.vm.memory: .*more than this node's RAM`));
  });

  it('two applies at once: one exits 75 naming the other\'s PID; the other converges', async () => {
    const first = vmp(node, ['apply', '/root/examples/kvm-node.yaml', '--no-progress']);
    let second;
    for (let i = 0; i < 50; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const holder = await node.ssh(['cat', '/run/vm-provision.lock']);
      if (holder.exitCode === 0) {
        const pid = (JSON.parse(holder.stdout) as { pid: number }).pid;
        second = await vmp(node, ['apply', '/root/examples/kvm-node.yaml', '--no-progress']);
        expect(second.exitCode, second.stdout + second.stderr).toBe(75);
        expect(second.stderr).toContain(`PID ${pid}`);
        break;
      }
    }
    expect(second, 'the first run never took the lock').toBeDefined();
    const r1 = await first;
    expect(r1.exitCode, r1.stdout + r1.stderr).toBe(0);
    expect(await vmStatus(node)).toBe(`slot1@${node.name} kvm 1024`);
  });

  it('a run killed right after writing the config leaves a pending restart that the next run performs', async () => {
    const path = await putProfile(node, 'kvm-1536.yaml', example.replace('memory: 1024', 'memory: 1536'));
    const pid = await startdPid(node);
    // Kill -9 the agent the moment the new config is in place, before it can restart the startd.
    const killer = node.sh(`for i in $(seq 1 400); do if grep -q 'VM_MEMORY *= 1536' /etc/condor/config.d/50-vm-universe.config; then pkill -9 -f '[/]usr/local/bin/vm-provision apply'; exit 0; fi; sleep 0.01; done; exit 1`);
    const run = await vmp(node, ['apply', path, '--no-progress']);
    expect((await killer).exitCode).toBe(0);
    expect(run.exitCode).not.toBe(0);
    const journal = JSON.parse((await node.ssh(['cat', '/var/lib/vm-provision/journal.json'])).stdout) as { pendingRestart?: { reason: string } };
    expect(journal.pendingRestart?.reason).toBe('config changed');
    const next = await vmp(node, ['apply', path, '--json']);
    expect(next.exitCode, next.stdout + next.stderr).toBe(0);
    const steps = jsonLines(next.stdout).filter((l) => l.type === 'step');
    expect(steps.find((s) => s.step === 'condor-config')).toMatchObject({ status: 'ok' });
    expect(steps.find((s) => s.step === 'restart')?.summary).toContain('a previous run left a restart pending');
    expect(await vmStatus(node)).toBe(`slot1@${node.name} kvm 1536`);
    expect(await startdPid(node)).not.toBe(pid);
  });
});
