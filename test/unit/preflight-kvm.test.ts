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
