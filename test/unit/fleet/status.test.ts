// fleet status: doctor's verdict from the build a rollout shipped, its first cause said once under the table.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parseDoctor, parseStatus, statusScript, statusTable, type HostStatus } from '../../../src/fleet/status.ts';
import type { FleetHost } from '../../../src/fleet/resolve.ts';

const h = { name: 'wn1', address: 'wn1', profile: { profile: { metadata: { name: 'kvm-node' }, hypervisor: 'kvm' } } } as unknown as FleetHost;
const doctorJson = JSON.stringify({
  type: 'doctor', host: 'wn1', healthy: false, exitCode: 1, findings: [
    { check: 'htcondor', status: 'ok', summary: 'HTCondor 23.9.6', evidence: [] },
    { check: 'advertised', status: 'problem', summary: 'the startd advertises HasVM = false', evidence: [], action: 'see the gahp test', causedBy: 'gahp-test' },
    { check: 'gahp-test', status: 'problem', summary: 'the gahp test failed', evidence: [], action: 'x', causedBy: 'libvirt' },
    { check: 'libvirt', status: 'problem', summary: 'libvirt is not reachable at qemu:///session', evidence: [], action: 'systemctl unmask libvirtd.service' },
  ],
});

describe('fleet status with doctor', () => {
  it('takes the root cause of doctor\'s problems, not the first consequence', () => {
    expect(parseDoctor(doctorJson)).toEqual({ healthy: false, problem: 'libvirt: libvirt is not reachable at qemu:///session', next: 'systemctl unmask libvirtd.service' });
    expect(parseDoctor(JSON.stringify({ type: 'doctor', healthy: true, findings: [] }))).toEqual({ healthy: true });
    expect(parseDoctor('')).toBeUndefined();
    expect(parseDoctor('not json')).toBeUndefined();
    expect(parseDoctor('{"type":"step"}')).toBeUndefined();
  });

  it('the status script runs the newest shipped build\'s doctor on the node (a real sh and node)', async () => {
    const d = mkdtempSync(join(tmpdir(), 'vmp-status-'));
    writeFileSync(join(d, 'vm-provision-abc.mjs'), `if (process.argv[2] === 'doctor' && process.argv[3] === '--json') { console.log('plain noise'); console.log(${JSON.stringify(doctorJson)}); process.exit(1); }`);
    const r = await execa('sh', ['-c', statusScript(false, d)], { reject: false });
    expect(r.exitCode).toBe(0);
    const s = parseStatus(h, r.stdout);
    expect(s.doctor).toMatchObject({ healthy: false, problem: expect.stringMatching(/^libvirt: /) });
    const empty = mkdtempSync(join(tmpdir(), 'vmp-status-'));
    expect(parseStatus(h, (await execa('sh', ['-c', statusScript(false, empty)])).stdout).doctor).toBeUndefined();
  });

  it('the table says each unhealthy host\'s cause and next action once, under the rows', () => {
    const row = (host: string, doctor?: HostStatus['doctor']): HostStatus => ({ host, address: host, reachable: true, vm: !doctor || doctor.healthy, restartOwed: false, profile: 'kvm-node', expectedProfile: 'kvm-node', converged: !doctor || doctor.healthy, ...(doctor ? { doctor } : {}) });
    const t = statusTable([row('wn1'), row('wn2', parseDoctor(doctorJson)), row('wn3', { healthy: true })]);
    expect(t.filter((l) => l.includes('libvirt is not reachable'))).toEqual(['wn2: libvirt: libvirt is not reachable at qemu:///session']);
    expect(t).toContain('  next: systemctl unmask libvirtd.service');
    expect(t.at(-1)).toBe('converged=2 not-converged=1 unreachable=0');
  });
});
