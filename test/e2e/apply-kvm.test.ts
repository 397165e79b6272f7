// vm-provision apply on a real `bare` node: converge to KVM, stay idempotent, follow a profile edit,
// and stop before any change when the libvirt daemon is masked (the gahp test would fail after the restart).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startNodes, type TestNode } from '../testbed/nodes.ts';
import { kvmTitle, testbedReason } from '../testbed/harness.ts';
import { KNOBS, versionReads } from '../../src/condor/knobs.ts';
import { parseVersion } from '../../src/condor/version.ts';
import { parseConfigValVerbose } from '../../src/condor/config-val.ts';
import { ROOT, installAgent, jsonLines, putProfile, startdPid, steadyStartd, vmp, vmStatus } from './agent.ts';

const example = readFileSync(join(ROOT, 'examples/kvm-node.yaml'), 'utf8');
const CONFIG = '/etc/condor/config.d/50-vm-universe.config';

describe.skipIf(testbedReason())(kvmTitle('apply: KVM example on a bare node'), () => {
  let node: TestNode;
  beforeAll(async () => {
    [node] = await startNodes({ flavor: 'bare' }) as [TestNode];
    await installAgent(node);
  });
  afterAll(async () => { await node?.stop(); });

  it('starts with no VM-capable slot', async () => {
    expect(await vmStatus(node)).toBe('');
  });

  it('applies the KVM example: exit 0, the node advertises kvm with 1024 MiB', async () => {
    const r = await vmp(node, ['apply', '/root/examples/kvm-node.yaml', '--no-progress']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\[changed\]\s+packages: installed .*libvirt-daemon-system/);
    expect(r.stdout).toMatch(/\[changed\]\s+condor-config: created/);
    expect(await vmStatus(node)).toBe(`slot1@${node.name} kvm 1024`);
    const human = (await node.ssh(['condor_status', '-vm'])).stdout;
    expect(human).toMatch(new RegExp(`slot1@${node.name}\\s+kvm\\s+.*\\s1024\\s`));
  });

  it('writes only knobs HTCondor 23.9.6 reads, and condor_config_val -v traces each to our file', async () => {
    const text = (await node.ssh(['cat', CONFIG])).stdout;
    const written = [...text.matchAll(/^([A-Za-z_]+)\s+= (.*)$/gm)].map((m) => [m[1]!, m[2]!] as const);
    expect(written.map(([n]) => n)).toEqual(['VM_TYPE', 'VM_GAHP_SERVER', 'VM_GAHP_LOG', 'VM_MEMORY', 'VM_MAX_NUMBER', 'VM_NETWORKING']);
    const v = parseVersion('23.9.6')!;
    for (const [name] of written) {
      const spec = KNOBS.find((k) => k.name === name);
      expect(spec, `${name} is in the knob table`).toBeDefined();
      expect(versionReads(spec!, v), `${name} is read by 23.9.6`).toBe(true);
    }
    const r = await node.ssh(['condor_config_val', '-v', ...written.map(([n]) => n)]);
    const sources = parseConfigValVerbose(r.stdout, written.map(([n]) => n));
    for (const [name, value] of written) {
      const s = sources.get(name)!;
      // HTCondor names <Default> when a value equals its built-in default; the raw text must then be ours.
      expect(s.file === CONFIG || (s.file === '<Default>' && s.raw === value), `${name}: ${JSON.stringify(s)}`).toBe(true);
    }
    expect(sources.get('VM_TYPE')?.file).toBe(CONFIG);
    expect(sources.get('VM_MEMORY')?.file).toBe(CONFIG);
  });

  it('a second apply changes nothing and does not restart the startd', async () => {
    const pid = await startdPid(node);
    const before = (await node.ssh(['cat', CONFIG])).stdout;
    const r = await vmp(node, ['apply', '/root/examples/kvm-node.yaml', '--detailed-exitcodes', '--json']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines.filter((l) => l.type === 'step').map((l) => l.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
    expect(lines.at(-1)).toMatchObject({ type: 'summary', changed: false, failed: false, exitCode: 0 });
    expect(await startdPid(node)).toBe(pid);
    expect((await node.ssh(['cat', CONFIG])).stdout).toBe(before);
  });

  it('a profile edit (memory 1024 → 2048) acts only on config, restart and verify', async () => {
    const path = await putProfile(node, 'kvm-2048.yaml', example.replace('memory: 1024', 'memory: 2048'));
    const pid = await startdPid(node);
    const r = await vmp(node, ['apply', path, '--json', '--detailed-exitcodes']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(2);
    const steps = Object.fromEntries(jsonLines(r.stdout).filter((l) => l.type === 'step').map((l) => [l.step, l.status]));
    expect(steps).toEqual({ preflight: 'ok', packages: 'ok', services: 'ok', 'condor-config': 'changed', restart: 'changed', verify: 'ok' });
    expect(await vmStatus(node)).toBe(`slot1@${node.name} kvm 2048`);
    expect(await startdPid(node)).not.toBe(pid);
    const diff = jsonLines(r.stdout).find((l) => l.step === 'condor-config')?.diff as string;
    expect(diff).toContain('-VM_MEMORY      = 1024');
    expect(diff).toContain('+VM_MEMORY      = 2048');
  });

  it('with the libvirt daemon masked: exit 1 at services naming the masked units, before any change; the config stays as it was', async () => {
    const before = (await node.ssh(['cat', CONFIG])).stdout;
    expect(before).toContain('VM_MEMORY      = 2048');
    const pid = await steadyStartd(node, 20_000);
    await node.ssh(['systemctl', 'mask', '--now', 'libvirtd.service', 'libvirtd.socket', 'libvirtd-ro.socket', 'libvirtd-admin.socket']);
    const path = await putProfile(node, 'kvm-3072.yaml', example.replace('memory: 1024', 'memory: 3072'));
    const r = await vmp(node, ['apply', path, '--no-progress']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/services: the libvirt daemon is masked \(libvirtd\.service/);
    expect(r.stdout + r.stderr).toContain('systemctl unmask');
    expect((await node.ssh(['cat', CONFIG])).stdout).toBe(before);
    expect(await startdPid(node)).toBe(pid);
    const journal = JSON.parse((await node.ssh(['cat', '/var/lib/vm-provision/journal.json'])).stdout) as Record<string, unknown>;
    expect(journal.pendingRestart).toBeUndefined();
    await node.ssh(['systemctl', 'unmask', 'libvirtd.service', 'libvirtd.socket', 'libvirtd-ro.socket', 'libvirtd-admin.socket']);
  });
});
