// Preflight refuses a KVM profile on a node without /dev/kvm, before anything is changed, saying why and what to do.
import { describe, expect, it } from 'vitest';
import { preflight } from '../../src/steps/preflight.ts';
import { isVmpError, type VmpError } from '../../src/errors/vmp-error.ts';
import { FakeHost } from '../helpers/fake-host.ts';
import { factsFixture, makeContext } from '../helpers/facts-fixture.ts';

async function refusal(kvm: { vmx: boolean; svm: boolean; devKvm: boolean }): Promise<VmpError> {
  const host = new FakeHost();
  const ctx = makeContext({ host, facts: factsFixture({ kvm }) });
  const e = await preflight.run(ctx).then(() => undefined, (err: unknown) => err);
  if (!isVmpError(e)) throw new Error(`expected a VmpError, got ${String(e)}`);
  expect(host.writes()).toEqual([]);
  return e;
}

describe('preflight: KVM without /dev/kvm', () => {
  it('no device and no vmx/svm: refused, with the BIOS/hardware hint', async () => {
    const e = await refusal({ vmx: false, svm: false, devKvm: false });
    expect(e.code).toBe('PREFLIGHT');
    expect(e.message).toBe('KVM is not usable: /dev/kvm is missing (CPU flags: no vmx/svm)');
    expect(e.hint).toMatch(/VT-x\/AMD-V/);
  });

  it('vmx present but no device: refused, with the modprobe hint', async () => {
    const e = await refusal({ vmx: true, svm: false, devKvm: false });
    expect(e.message).toContain('(CPU flags: vmx)');
    expect(e.hint).toMatch(/modprobe kvm_intel/);
  });

  it('a device node at /dev/kvm passes (a placeholder too: preflight checks presence, the gahp decides the rest)', async () => {
    const host = new FakeHost();
    const ctx = makeContext({ host, facts: factsFixture({ kvm: { vmx: false, svm: false, devKvm: true } }) });
    const r = await preflight.run(ctx);
    expect(r.summary).toContain('/dev/kvm present');
  });
});

describe('preflight: VM networking type user (passt)', () => {
  const USER: Array<[string, string]> = [['enabled: false', 'enabled: true'], ['types: [nat]', 'types: [user]'], ['default: nat', 'default: user']];

  it('a profile may ask for it; HTCondor 23.9.6 does not read it: refused before any change', async () => {
    const { profileFrom } = await import('../helpers/facts-fixture.ts');
    const profile = profileFrom(undefined, USER);
    expect(profile.condor.vm.networking.types).toEqual(['user']);
    const host = new FakeHost();
    const e = await preflight.run(makeContext({ host, profile })).then(() => undefined, (err: unknown) => err);
    expect(isVmpError(e) && e.message).toMatch(/23\.9\.6 with kvm does not support VM networking type user/);
    expect(host.writes()).toEqual([]);
  });

  it('HTCondor 25.12.2 with KVM reads it: passes', async () => {
    const { profileFrom } = await import('../helpers/facts-fixture.ts');
    const host = new FakeHost();
    const facts = factsFixture({ condor: { version: { major: 25, minor: 12, patch: 2, text: '25.12.2' } } });
    const r = await preflight.run(makeContext({ host, profile: profileFrom(undefined, USER), facts }));
    expect(r.status).toBe('ok');
  });
});

// One condor_status serves the clock check and the restart step's look at the slots (a no-op ran two).
describe('preflight: the clock check reads the slot ads with LastHeardFrom', () => {
  const line = (heard: number) => `${heard}\tslot1@vmp-clim4ti-1\ttrue\tkvm\t1024\t1795468548\tUnclaimed\tIdle\n`;
  const kvm = { vmx: false, svm: false, devKvm: true };

  it('clocks agree: ok, and the slots are kept for the restart step', async () => {
    const host = new FakeHost();
    host.on((c) => c.cmd === 'condor_status' && c.args[1] === 'LastHeardFrom', { stdout: line(host.clock - 30) });
    const ctx = makeContext({ host, facts: factsFixture({ kvm }) });
    await preflight.run(ctx);
    expect(host.commandLines().filter((l) => l.startsWith('condor_status'))).toHaveLength(1);
    expect(ctx.state.preflightSlots?.slots).toMatchObject([{ name: 'slot1@vmp-clim4ti-1', hasVm: true, vmType: 'kvm', vmMemory: 1024, daemonStartTime: 1795468548, state: 'Unclaimed' }]);
  });

  it('the node 5 years ahead of the collector: PREFLIGHT names the skew, nothing changed', async () => {
    const host = new FakeHost();
    host.on((c) => c.cmd === 'condor_status' && c.args[1] === 'LastHeardFrom', { stdout: line(host.clock - 5 * 365 * 86400) });
    const ctx = makeContext({ host, facts: factsFixture({ kvm }) });
    const e = await preflight.run(ctx).then(() => undefined, (err: unknown) => err);
    if (!isVmpError(e)) throw new Error(`expected a VmpError, got ${String(e)}`);
    expect(e.message).toMatch(/^this node's clock .* is about 5\.0 years ahead of the collector's/);
    expect(host.mutations()).toEqual([]);
  });

  it('the collector cannot be asked: no skew judged; the restart step is told the error', async () => {
    const host = new FakeHost();
    host.on((c) => c.cmd === 'condor_status' && c.args[1] === 'LastHeardFrom', { exitCode: 1, stderr: 'Error: communication error\n' });
    const ctx = makeContext({ host, facts: factsFixture({ kvm }) });
    await preflight.run(ctx);
    expect(ctx.state.preflightSlots).toMatchObject({ slots: [], error: 'Error: communication error' });
  });
});
