// Version awareness beyond the snapshots: warnings for profile values a version does not read, placeholders,
// and the errors for hypervisors a version (or OS) does not support — in renderConfig, checkSupport and preflight.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfig } from '../../../src/condor/render.ts';
import { checkSupport, supportedHypervisors } from '../../../src/condor/support.ts';
import { KNOBS, isRequired, planKnobs, type KnobContext } from '../../../src/condor/knobs.ts';
import { renderPreview } from '../../../src/cli/render-command.ts';
import { VmpError } from '../../../src/errors/vmp-error.ts';
import { loadProfile } from '../../../src/profile/index.ts';
import { preflight } from '../../../src/steps/preflight.ts';
import { condorConfig } from '../../../src/steps/condor-config.ts';
import { exampleText, factsFixture, fakeNode, makeContext, profileFrom } from '../../helpers/facts-fixture.ts';
import { FakeHost } from '../../helpers/fake-host.ts';
import { knobLines, snapshotProfile, v } from './helpers.ts';

function caught(f: () => unknown): VmpError {
  try { f(); } catch (e) { if (e instanceof VmpError) return e; throw e; }
  throw new Error('expected a VmpError');
}

describe('warnings: a profile value the version does not read is reported, not written', () => {
  const bridge = () => profileFrom(exampleText('kvm-node-bridge.yaml'));

  it('bridge interface on 7.4.2: VM_NETWORKING_BRIDGE_INTERFACE is not read before 7.4.3', () => {
    const r = renderConfig({ profile: bridge(), version: v('7.4.2'), os: 'linux', found: {} });
    expect(r.warnings).toEqual([
      'VM_NETWORKING_BRIDGE_INTERFACE is not read before HTCondor 7.4.3, nor by 7.5.0–7.5.2 (this is 7.4.2): condor.vm.networking.bridgeInterface = br0 is not written',
    ]);
    expect(knobLines(r.content).map(([n]) => n)).not.toContain('VM_NETWORKING_BRIDGE_INTERFACE');
    expect(knobLines(r.content)).toContainEqual(['VM_NETWORKING_TYPE', 'nat, bridge']);
  });

  it('bridge interface on 7.4.3 and 23.9.6: written, no warning', () => {
    for (const version of ['7.4.3', '23.9.6']) {
      const r = renderConfig({ profile: bridge(), version: v(version), os: 'linux', found: {} });
      expect(r.warnings).toEqual([]);
      expect(knobLines(r.content)).toContainEqual(['VM_NETWORKING_BRIDGE_INTERFACE', 'br0']);
    }
  });

  it('the example KVM profile on 23.9.6: no warnings', () => {
    expect(renderConfig({ profile: profileFrom(), version: v('23.9.6'), os: 'linux', found: {} }).warnings).toEqual([]);
  });

  it('an explicit xen.kernel on 7.4+: XEN_DEFAULT_KERNEL is read by 7.0–7.3 only', () => {
    const p = snapshotProfile('xen', [['kernel: auto', 'kernel: /boot/vmlinuz-6.1.0-xen']]);
    const r = renderPreview(p, v('23.9.6'), 'linux');
    expect(r.warnings).toEqual(['XEN_DEFAULT_KERNEL is read by HTCondor 7.0–7.3 only (this is 23.9.6): xen.kernel = /boot/vmlinuz-6.1.0-xen is not written']);
    const old = renderPreview(p, v('7.2.4'), 'linux');
    expect(knobLines(old.content)).toContainEqual(['XEN_DEFAULT_KERNEL', '/boot/vmlinuz-6.1.0-xen']);
    expect(old.warnings.join('\n')).not.toMatch(/XEN_DEFAULT_KERNEL/);
  });

  it('VM_VERSION required on 7.2 with no hypervisor version: placeholder, warning and header note', () => {
    const r = renderPreview(snapshotProfile('vmware'), v('7.2.4'), 'linux');
    expect(knobLines(r.content)).toContainEqual(['VM_VERSION', 'unknown']);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^VM_VERSION is required by HTCondor 7\.2\.4 .*placeholder "unknown".*server1\.0\.4/);
    expect(r.content).toMatch(/^# VM_VERSION: placeholder: /m);
  });

  it('VM_GAHP_CONFIG required on 7.0: placeholder and warning', () => {
    const r = renderPreview(snapshotProfile('xen'), v('7.0.5'), 'linux');
    expect(knobLines(r.content)).toContainEqual(['VM_GAHP_CONFIG', '$(RELEASE_DIR)/etc/condor_vmgahp_config.xen']);
    expect(r.warnings.some((w) => w.startsWith('HTCondor 7.0.5 requires VM_GAHP_CONFIG'))).toBe(true);
  });

  it('vmware.networkingType not among the networking types: warning', () => {
    const p = snapshotProfile('vmware', [['networkingType: nat', 'networkingType: bridge']]);
    const r = renderPreview(p, v('9.0.0'), 'linux');
    expect(knobLines(r.content)).toContainEqual(['VMWARE_NETWORKING_TYPE', 'bridge']);
    expect(r.warnings).toEqual(['vmware.networkingType is bridge but condor.vm.networking.types is [nat]: VMware VMs would use a networking type jobs cannot ask for']);
  });

  it('planKnobs: a required value nobody supplied and without placeholder is missing → renderConfig refuses (CONFIG)', () => {
    const ctx: KnobContext = { profile: snapshotProfile('xen'), version: v('23.9.6'), os: 'linux', found: {} };
    expect(planKnobs(ctx).missing).toEqual(['XEN_BOOTLOADER']);
    const e = caught(() => renderConfig(ctx));
    expect(e.code).toBe('CONFIG');
    expect(e.message).toBe('HTCondor 23.9.6 requires XEN_BOOTLOADER for xen, but no value was found for it');
  });
});

describe('errors: hypervisors a version does not support', () => {
  it('VMware on 9.12+ is refused with PREFLIGHT and a hint', () => {
    for (const version of ['9.12.0', '10.0.0', '10.2.0', '23.9.6', '25.12.0']) {
      const e = caught(() => checkSupport('vmware', v(version)));
      expect(e.code).toBe('PREFLIGHT');
      expect(e.message).toBe(`HTCondor ${version} does not support VMware VM jobs: VM_TYPE vmware was disabled in 9.12/10.0 and its code deleted in 10.2 (the startd logs "A VM_TYPE of vmware is no longer supported")`);
      expect(e.hint).toBe(`use HTCondor 7.0–9.11 for VMware, or on HTCondor ${version} set hypervisor: kvm or xen`);
    }
    expect(() => checkSupport('vmware', v('9.11.9'))).not.toThrow();
  });

  it('KVM before 7.4 is refused (7.2 supports xen and vmware)', () => {
    const e = caught(() => checkSupport('kvm', v('7.2.4')));
    expect(e.code).toBe('PREFLIGHT');
    expect(e.message).toBe('HTCondor 7.2.4 does not support KVM VM jobs: VM_TYPE kvm is read by HTCondor 7.4 and later');
    expect(e.hint).toBe('use HTCondor 7.4 and later for KVM, or on HTCondor 7.2.4 set hypervisor: xen or vmware');
    expect(() => checkSupport('kvm', v('7.4.0'))).not.toThrow();
  });

  it('renderConfig refuses too (nothing is rendered for an unsupported pair)', () => {
    expect(caught(() => renderConfig({ profile: profileFrom(), version: v('7.2.4'), os: 'linux', found: {} })).code).toBe('PREFLIGHT');
    expect(caught(() => renderPreview(snapshotProfile('vmware'), v('10.0.0'), 'windows')).code).toBe('PREFLIGHT');
  });

  it('before 6.9.4 there is no VM universe; 6.9.x development releases are not supported', () => {
    // 6-9.history.tex §6.9.4: "Added the vm universe"; src/condor_vm-gahp first exists at V6_9_4.
    const e = caught(() => checkSupport('xen', v('6.8.8')));
    expect(e.message).toBe('HTCondor 6.8.8 has no VM universe (it arrived in the 6.9.4 development release; vm-provision supports it from 7.0)');
    expect(caught(() => checkSupport('xen', v('6.9.5'))).message)
      .toBe('HTCondor 6.9.5 is a development release before 7.0: vm-provision supports the VM universe (added in 6.9.4) from the 7.0 stable series');
  });

  it('networking type user: KVM on 25.12.2+ only, refused (PREFLIGHT) elsewhere', () => {
    const withUser = (h: 'kvm' | 'xen') => {
      const p = snapshotProfile(h);
      const types = ['nat', 'user'] as unknown as typeof p.condor.vm.networking.types;
      return { ...p, condor: { ...p.condor, vm: { ...p.condor.vm, networking: { ...p.condor.vm.networking, types, bridgeInterface: null } } } };
    };
    const ok = planKnobs({ profile: withUser('kvm'), version: v('25.12.2'), os: 'linux', found: {} });
    expect(ok.knobs).toContainEqual(['VM_NETWORKING_TYPE', 'nat, user']);
    const old = caught(() => planKnobs({ profile: withUser('kvm'), version: v('25.12.1'), os: 'linux', found: {} }));
    expect(old.code).toBe('PREFLIGHT');
    expect(old.message).toMatch(/^HTCondor 25\.12\.1 with kvm does not support VM networking type user/);
    expect(caught(() => planKnobs({ profile: withUser('xen'), version: v('25.13.2'), os: 'linux', found: { XEN_BOOTLOADER: '/usr/bin/pygrub' } })).code).toBe('PREFLIGHT');
  });

  it('25.12.2+: VM_NETWORKING_DEFAULT_TYPE is required with networking (its unset default becomes user with passt)', () => {
    const k = KNOBS.find((x) => x.name === 'VM_NETWORKING_DEFAULT_TYPE')!;
    const ctx = (version: string) => ({ profile: snapshotProfile('xen'), version: v(version), os: 'linux' as const, found: {} });
    expect(isRequired(k, ctx('25.12.1'))).toBe(false);
    expect(isRequired(k, ctx('25.12.2'))).toBe(true);
  });

  it('KVM and Xen on Windows are refused; VMware on Windows is fine up to 9.11', () => {
    expect(caught(() => checkSupport('kvm', v('23.9.6'), 'windows')).message).toBe('KVM VM jobs run on Linux execute nodes only, not on Windows');
    expect(caught(() => renderPreview(snapshotProfile('xen'), v('9.0.0'), 'windows')).code).toBe('PREFLIGHT');
    expect(() => checkSupport('vmware', v('9.11.0'), 'windows')).not.toThrow();
  });

  it('supportedHypervisors follows VM_TYPE in the knob table', () => {
    expect(supportedHypervisors(v('7.0.5'))).toEqual(['xen', 'vmware']);
    expect(supportedHypervisors(v('7.4.0'))).toEqual(['kvm', 'xen', 'vmware']);
    expect(supportedHypervisors(v('9.12.0'))).toEqual(['kvm', 'xen']);
    expect(supportedHypervisors(v('6.9.0'))).toEqual([]);
    expect(KNOBS.find((k) => k.name === 'VM_TYPE')?.allowed?.map((a) => a.values)).toEqual([['xen', 'vmware'], ['xen', 'kvm', 'vmware'], ['xen', 'kvm']]);
  });

  it('a script path in vmware.perl is rejected by profile validation (loadProfile)', () => {
    const text = readFileSync(new URL('../../fixtures/profiles/broken/vmware-perl-is-script.yaml', import.meta.url), 'utf8');
    const r = loadProfile('vmware-perl-is-script.yaml', text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.path)).toEqual(['vmware.perl']);
    expect(r.issues[0]!.message).toContain('names the interpreter (e.g. perl or /usr/bin/perl), not the control script; put the script in vmware.script');
    const inline = loadProfile('p.yaml', readFileSync(new URL('../../fixtures/render/profiles/vmware.yaml', import.meta.url), 'utf8').replace('perl: perl', 'perl: /usr/sbin/condor_vm_vmware'));
    expect(inline.ok).toBe(false);
  });
});

describe('preflight: the support check runs before any hypervisor check or change', () => {
  const withVersion = (text: string) => factsFixture({ condor: { version: v(text), versionLine: `$CondorVersion: ${text} 2026-01-01 $` } });

  it('VMware on HTCondor 10.0.0: PREFLIGHT error, nothing run on the node', async () => {
    const host = new FakeHost();
    const ctx = makeContext({ host, profile: snapshotProfile('vmware'), facts: withVersion('10.0.0') });
    await expect(preflight.run(ctx)).rejects.toMatchObject({ code: 'PREFLIGHT', message: expect.stringContaining('does not support VMware') });
    expect(host.log).toEqual([]);
  });

  it('KVM on HTCondor 7.2.4: PREFLIGHT error', async () => {
    const ctx = makeContext({ host: new FakeHost(), profile: profileFrom(), facts: withVersion('7.2.4') });
    await expect(preflight.run(ctx)).rejects.toMatchObject({ code: 'PREFLIGHT', hint: expect.stringContaining('7.4 and later') });
  });

  it('VMware on 9.0.0 with the tools present: the VMware checks report what they found', async () => {
    const host = new FakeHost().bin('/usr/bin/vmrun').bin('/usr/bin/vmware-vdiskmanager').bin('/usr/bin/perl');
    const ctx = makeContext({ host, profile: snapshotProfile('vmware'), facts: withVersion('9.0.0') });
    const r = await preflight.run(ctx);
    expect(r.status).toBe('ok');
    expect(r.summary).toBe('HTCondor 9.0.0, vmrun /usr/bin/vmrun, vmware-vdiskmanager /usr/bin/vmware-vdiskmanager, perl /usr/bin/perl');
  });
});

describe('condor-config step: rendering warnings reach the plan', () => {
  it('bridge interface on 7.4.2 (plan): the step outcome carries the warning', async () => {
    const { host } = fakeNode();
    const facts = factsFixture({ condor: { version: v('7.4.2') } });
    const ctx = makeContext({ host, profile: profileFrom(exampleText('kvm-node-bridge.yaml')), facts, check: true });
    const r = await condorConfig.run(ctx);
    expect(r.status).toBe('pending');
    expect(r.warnings).toEqual([
      'VM_NETWORKING_BRIDGE_INTERFACE is not read before HTCondor 7.4.3, nor by 7.5.0–7.5.2 (this is 7.4.2): condor.vm.networking.bridgeInterface = br0 is not written',
    ]);
    expect(r.diff).not.toContain('VM_NETWORKING_BRIDGE_INTERFACE');
  });

  it('the example on 23.9.6: no warnings', async () => {
    const { host } = fakeNode();
    const r = await condorConfig.run(makeContext({ host, check: true }));
    expect(r.warnings).toEqual([]);
  });
});
