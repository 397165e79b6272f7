// apply() end to end on a simulated Debian 13 node: --check changes nothing; apply converges; a second apply
// finds nothing to do.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apply, ProfileInvalid } from '../../src/engine/apply.ts';
import { LOCK_FILE, STATE_DIR } from '../../src/engine/journal.ts';
import type { RunEvent, RunReport } from '../../src/engine/events.ts';
import { isVmpError } from '../../src/errors/vmp-error.ts';
import { renderConfig } from '../../src/condor/render.ts';
import type { FakeHost } from '../helpers/fake-host.ts';
import { DEBIAN_KVM_PACKAGES, DROP_IN, exampleText, factsFixture, fakeNode, profileFrom } from '../helpers/facts-fixture.ts';

const dir = mkdtempSync(join(tmpdir(), 'vmp-engine-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function profileFile(edits: Array<[string, string]> = []): string {
  let text = exampleText('kvm-node.yaml').replace('timeout: 120', 'timeout: 10');
  for (const [a, b] of edits) text = text.replace(a, b);
  const file = join(dir, `p-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  return file;
}

const statuses = (r: RunReport) => Object.fromEntries(r.steps.map((s) => [s.step, s.status]));
const ran = (host: FakeHost, cmd: string, sub?: string) => host.calls.some((c) => c.cmd === cmd && (sub === undefined || c.args[0] === sub));

function expectNothingChanged(host: FakeHost) {
  expect(host.writes()).toEqual([]);
  expect(host.removes()).toEqual([]);
  expect(host.mutations().every((o) => 'path' in o && o.path === STATE_DIR)).toBe(true);
  expect(ran(host, 'apt-get')).toBe(false);
  expect(ran(host, 'condor_restart') || ran(host, 'condor_off') || ran(host, 'condor_on')).toBe(false);
  expect(ran(host, 'systemctl', 'start') || ran(host, 'systemctl', 'enable')).toBe(false);
}

describe('apply', () => {
  it('--check on a node missing everything: all pending, report.changed, and nothing changed on the node', async () => {
    const { host, node } = fakeNode({ installed: [] });
    const events: RunEvent[] = [];
    const report = await apply({ host, profileFile: profileFile(), check: true, onEvent: (e) => events.push(e) });
    expect(statuses(report)).toEqual({ preflight: 'ok', packages: 'pending', services: 'pending', 'condor-config': 'pending', restart: 'pending', verify: 'pending' });
    expect(report).toMatchObject({ check: true, changed: true, failed: false, host: 'vmp-clim4ti-1' });
    expect(report.counts).toEqual({ ok: 1, changed: 0, failed: 0, skipped: 0, pending: 5 });
    expect(report.steps.find((s) => s.step === 'packages')!.changes).toEqual(DEBIAN_KVM_PACKAGES.map((p) => `install ${p}`));
    expect(report.steps.find((s) => s.step === 'condor-config')!.diff).toContain('+VM_TYPE        = kvm');
    expectNothingChanged(host);
    expect(host.writes().filter((w) => w.path.startsWith('/etc'))).toEqual([]);
    expect(host.exists(DROP_IN)).toBe(false);
    expect(node.installed).toEqual(new Set(['condor']));
    expect(node.restarts).toBe(0);
    // the lock was taken and given back
    expect(host.log.filter((o) => o.op === 'lock' || o.op === 'unlock').map((o) => o.op)).toEqual(['lock', 'unlock']);
    expect(host.lockHeld).toBe(false);
    expect(events[0]).toMatchObject({ type: 'start', check: true, steps: report.steps.map((s) => ({ id: s.step, title: s.title })) });
    expect(events.filter((e) => e.type === 'step').map((e) => (e as { step: string }).step)).toEqual(report.steps.map((s) => s.step));
  });

  it('apply converges a node missing everything; a second apply finds nothing to do', async () => {
    const { host, node } = fakeNode({ installed: [] });
    const file = profileFile();
    const first = await apply({ host, profileFile: file, check: false });
    expect(first.error).toBeUndefined();
    expect(statuses(first)).toEqual({ preflight: 'ok', packages: 'changed', services: 'ok', 'condor-config': 'changed', restart: 'changed', verify: 'ok' });
    expect(first.changed).toBe(true);
    expect(host.calls.find((c) => c.cmd === 'apt-get')!.argv).toEqual(['apt-get', 'install', '-y', '-q', '--no-install-recommends', ...DEBIAN_KVM_PACKAGES]);
    expect(host.content(DROP_IN)).toBe(renderConfig({ profile: profileFrom(), version: factsFixture().condor.version!, os: 'linux', found: {} }).content);
    expect(node.restarts).toBe(1);
    expect(node.advertised).toEqual({ hasVm: true, vmType: 'kvm', vmMemory: 1024 });
    expect(JSON.parse(host.content(`${STATE_DIR}/journal.json`)!).pendingRestart).toBeUndefined();

    host.clearLog();
    const second = await apply({ host, profileFile: file, check: false });
    expect(statuses(second)).toEqual({ preflight: 'ok', packages: 'ok', services: 'ok', 'condor-config': 'ok', restart: 'ok', verify: 'ok' });
    expect(second.changed).toBe(false);
    expect(second.failed).toBe(false);
    expectNothingChanged(host);
    expect(node.restarts).toBe(1);

    host.clearLog();
    const check = await apply({ host, profileFile: file, check: true });
    expect(check.changed).toBe(false);
    expect(Object.values(statuses(check)).every((s) => s === 'ok')).toBe(true);
    expectNothingChanged(host);
  });

  it('a torn journal on a converged node: the owed restart is dropped because the running startd has the config', async () => {
    const { host, node } = fakeNode();
    const file = profileFile();
    await apply({ host, profileFile: file, check: false });
    expect(node.restarts).toBe(1);
    host.file(`${STATE_DIR}/journal.json`, '{"pendingRest');
    const r = await apply({ host, profileFile: file, check: false });
    expect(statuses(r)).toMatchObject({ 'condor-config': 'ok', restart: 'ok', verify: 'ok' });
    expect(r.steps.find((s) => s.step === 'restart')!.summary).toContain('runs the current config');
    expect(node.restarts).toBe(1);
    expect(JSON.parse(host.content(`${STATE_DIR}/journal.json`)!).pendingRestart).toBeUndefined();
  });

  it('a failing step skips the rest, reports the error with host and step, and releases the lock', async () => {
    const { host } = fakeNode({ installed: ['libvirt-daemon-system', 'libvirt-daemon-driver-qemu', 'libvirt-clients', 'qemu-system-x86'] });
    const report = await apply({ host, profileFile: profileFile([['install: true', 'install: false']]), check: false });
    expect(statuses(report)).toEqual({ preflight: 'ok', packages: 'failed', services: 'skipped', 'condor-config': 'skipped', restart: 'skipped', verify: 'skipped' });
    expect(report.failed).toBe(true);
    expect(report.error).toMatchObject({ code: 'PACKAGES', context: { host: 'vmp-clim4ti-1', step: 'packages' } });
    expect(report.steps[2]!.summary).toBe('not run: step packages failed');
    expect(host.lockHeld).toBe(false);
    // The only write: the journal keeps the failure for doctor.
    expect(host.writes().map((w) => w.path)).toEqual(['/var/lib/vm-provision/journal.json']);
    expect(JSON.parse(host.content('/var/lib/vm-provision/journal.json')!)).toMatchObject({ lastFailure: { step: 'packages', code: 'PACKAGES' } });
    // The next run that succeeds clears it.
    const again = await apply({ host, profileFile: profileFile(), check: false });
    expect(again.failed).toBe(false);
    expect(JSON.parse(host.content('/var/lib/vm-provision/journal.json')!).lastFailure).toBeUndefined();
  });

  it('not root: NEEDS_ROOT before the lock or any fact', async () => {
    const { host } = fakeNode();
    host.on(['id', '-u'], { stdout: '1000\n' });
    const e = await apply({ host, profileFile: profileFile(), check: true }).catch((x: unknown) => x);
    expect(isVmpError(e) && e.code).toBe('NEEDS_ROOT');
    expect(host.commandLines()).toEqual(['id -u']);
    expect(host.mutations()).toEqual([]);
  });

  it('locked: LOCKED, and no facts gathered', async () => {
    const { host } = fakeNode();
    host.lockedBy = 4242;
    const e = await apply({ host, profileFile: profileFile(), check: false }).catch((x: unknown) => x);
    expect(isVmpError(e) && e.code).toBe('LOCKED');
    expect(host.commandLines()).toEqual(['id -u']);
    expect(host.log.some((o) => o.op === 'lock')).toBe(false);
    expect(LOCK_FILE).toBe('/run/vm-provision.lock');
    expect(STATE_DIR).toBe('/var/lib/vm-provision');
  });

  it('VM memory above the node\'s RAM: PROFILE_INVALID after the facts, nothing changed, lock released', async () => {
    const { host } = fakeNode({ memTotalKiB: 512 * 1024 });
    const e = await apply({ host, profileFile: profileFile(), check: false }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProfileInvalid);
    expect((e as ProfileInvalid).message).toContain("VM_MEMORY 1024 MiB is more than this node's RAM (512 MiB)");
    expectNothingChanged(host);
    expect(host.lockHeld).toBe(false);
  });

  it('an invalid profile: PROFILE_INVALID before touching the node', async () => {
    const { host } = fakeNode();
    const e = await apply({ host, profileFile: profileFile([['hypervisor: kvm', 'hypervisor: qemu']]), check: true }).catch((x: unknown) => x);
    expect(isVmpError(e) && e.code).toBe('PROFILE_INVALID');
    expect(host.log).toEqual([]);
  });

  it('the bridge example converges too, with the networking knobs', async () => {
    const { host } = fakeNode();
    const file = join(dir, 'bridge.yaml');
    writeFileSync(file, exampleText('kvm-node-bridge.yaml').replace('timeout: 120', 'timeout: 10'));
    const report = await apply({ host, profileFile: file, check: false });
    expect(report.failed).toBe(false);
    expect(host.content(DROP_IN)).toContain('VM_NETWORKING_BRIDGE_INTERFACE = br0\n');
  });

  // Issue 9 item 1: the slot ad's VM_Memory is the free VM memory; a busy node was restarted by the second run.
  it('a second apply on a busy converged node (VM jobs running, free VM_Memory below the profile) changes nothing', async () => {
    const { host, node } = fakeNode();
    const file = profileFile();
    await apply({ host, profileFile: file, check: false });
    node.vmJobsMemory = 768;
    expect((await host.exec('condor_status', ['-af:t'])).stdout).toContain('\tkvm\t256\t');
    host.clearLog();
    const second = await apply({ host, profileFile: file, check: false });
    expect(statuses(second)).toEqual({ preflight: 'ok', packages: 'ok', services: 'ok', 'condor-config': 'ok', restart: 'ok', verify: 'ok' });
    expectNothingChanged(host);
    expect(node.restarts).toBe(1);
  });

  // Issue 9 item 3: restart: none never converged after the admin's own condor_restart.
  it('restart: none converges once the admin restarts the startd by hand', async () => {
    const { host, node } = fakeNode();
    const file = profileFile([['restart: startd', 'restart: none']]);
    const first = await apply({ host, profileFile: file, check: false });
    expect(statuses(first)).toMatchObject({ 'condor-config': 'changed', restart: 'pending' });
    const again = await apply({ host, profileFile: file, check: false });
    expect(statuses(again)).toMatchObject({ restart: 'pending' });
    host.advance(60);
    await host.exec('condor_restart', ['-startd']);
    expect(node.restarts).toBe(1);
    host.clearLog();
    const third = await apply({ host, profileFile: file, check: false });
    expect(statuses(third)).toMatchObject({ 'condor-config': 'ok', restart: 'ok', verify: 'ok' });
    expect(JSON.parse(host.content(`${STATE_DIR}/journal.json`)!).pendingRestart).toBeUndefined();
    expect(ran(host, 'condor_restart') || ran(host, 'condor_off')).toBe(false);
  });

  // Issue 9 item 2: refused in preflight, before packages are installed.
  it('configFile naming a file vm-provision did not write: refused in preflight, nothing installed or written', async () => {
    const { host, node } = fakeNode({ installed: [], files: { [DROP_IN]: 'CONDOR_HOST = cm.example.org\n' } });
    const report = await apply({ host, profileFile: profileFile(), check: false });
    expect(statuses(report)).toMatchObject({ preflight: 'failed', packages: 'skipped' });
    expect(report.error?.message).toContain(`refusing to replace ${DROP_IN}`);
    expect(node.installed).toEqual(new Set(['condor']));
    expect(host.writes()).toEqual([]);
  });

  // Issue 9 item 6, end to end: a minor upgrade changes only the header.
  it('after an HTCondor minor upgrade the config is not rewritten and the startd not restarted', async () => {
    const { host, node } = fakeNode();
    const file = profileFile();
    await apply({ host, profileFile: file, check: false });
    host.file(DROP_IN, host.content(DROP_IN)!.replace('HTCondor 23.9.6', 'HTCondor 23.9.5'));
    host.clearLog();
    const r = await apply({ host, profileFile: file, check: false });
    expect(statuses(r)).toMatchObject({ 'condor-config': 'ok', restart: 'ok' });
    expectNothingChanged(host);
    expect(node.restarts).toBe(1);
  });
});
