// The drop-in as rendered from a profile, and which knobs each profile/version gets.
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../src/profile/index.ts';
import { renderConfig } from '../../src/condor/render.ts';
import { knobValues, KNOBS, versionReads, type KnobContext } from '../../src/condor/knobs.ts';
import { parseVersion } from '../../src/condor/version.ts';
import { exampleText, profileFrom } from '../helpers/facts-fixture.ts';

const v = (t: string) => parseVersion(t)!;
const ctxFor = (profile = profileFrom(), version = '23.9.6'): KnobContext => ({ profile, version: v(version), os: 'linux', found: {} });

describe('renderConfig', () => {
  it('renders examples/kvm-node.yaml for HTCondor 23.9.6 exactly', () => {
    const loaded = loadProfile('examples/kvm-node.yaml', exampleText('kvm-node.yaml'));
    if (!loaded.ok) throw new Error('example must load');
    const { content, knobs } = renderConfig({ profile: loaded.profile, version: v('23.9.6'), os: 'linux', found: {} });
    expect(content).toBe(
      '# Written by vm-provision from host profile "kvm-node" for HTCondor 23.9.6 (linux).\n'
      + '# Do not edit: the next run replaces this file. Previous versions are kept in /var/lib/vm-provision/backups.\n'
      + '# VM universe on this node: hypervisor kvm. VM_* changes take effect at `condor_restart -startd`.\n'
      + 'VM_TYPE        = kvm\n'
      + 'VM_GAHP_SERVER = $(SBIN)/condor_vm-gahp\n'
      + 'VM_GAHP_LOG    = $(LOG)/VMGahpLog\n'
      + 'VM_MEMORY      = 1024\n'
      + 'VM_MAX_NUMBER  = 2\n'
      + 'VM_NETWORKING  = false\n',
    );
    expect(knobs).toEqual([
      ['VM_TYPE', 'kvm'], ['VM_GAHP_SERVER', '$(SBIN)/condor_vm-gahp'], ['VM_GAHP_LOG', '$(LOG)/VMGahpLog'],
      ['VM_MEMORY', '1024'], ['VM_MAX_NUMBER', '2'], ['VM_NETWORKING', 'false'],
    ]);
  });

  it('renders examples/kvm-node-bridge.yaml with the networking knobs aligned', () => {
    const { content } = renderConfig(ctxFor(profileFrom(exampleText('kvm-node-bridge.yaml'))));
    expect(content.split('\n').slice(3)).toEqual([
      'VM_TYPE                        = kvm',
      'VM_GAHP_SERVER                 = $(SBIN)/condor_vm-gahp',
      'VM_GAHP_LOG                    = $(LOG)/VMGahpLog',
      'VM_MEMORY                      = 1024',
      'VM_MAX_NUMBER                  = 2',
      'VM_NETWORKING                  = true',
      'VM_NETWORKING_TYPE             = nat, bridge',
      'VM_NETWORKING_DEFAULT_TYPE     = nat',
      'VM_NETWORKING_BRIDGE_INTERFACE = br0',
      '',
    ]);
  });

  it('is deterministic: the same input renders the same bytes', () => {
    expect(renderConfig(ctxFor()).content).toBe(renderConfig(ctxFor()).content);
  });

  it('refuses a value with a control character or a trailing backslash', () => {
    const xen = ctxFor({ ...profileFrom(), hypervisor: 'xen' });
    expect(renderConfig({ ...xen, found: { XEN_BOOTLOADER: '/usr/bin/pygrub' } }).content).toContain('XEN_BOOTLOADER = /usr/bin/pygrub\n');
    expect(() => renderConfig({ ...xen, found: { XEN_BOOTLOADER: '/usr/bin/pygrub\nSTART = True' } })).toThrow(/refusing to render XEN_BOOTLOADER/);
    expect(() => renderConfig({ ...xen, found: { XEN_BOOTLOADER: '/usr/bin/pygrub\\' } })).toThrow(/line continuation/);
  });
});

describe('knobValues', () => {
  const names = (c: KnobContext) => knobValues(c).map(([n]) => n);
  const get = (c: KnobContext, n: string) => knobValues(c).find(([k]) => k === n)?.[1];

  it('networking disabled: only VM_NETWORKING = false', () => {
    const c = ctxFor();
    expect(get(c, 'VM_NETWORKING')).toBe('false');
    expect(names(c).filter((n) => n.startsWith('VM_NETWORKING_'))).toEqual([]);
  });

  it('NAT only: type and default, no bridge interface', () => {
    const c = ctxFor(profileFrom(undefined, [['enabled: false', 'enabled: true']]));
    expect(knobValues(c).filter(([n]) => n.startsWith('VM_NETWORKING'))).toEqual([
      ['VM_NETWORKING', 'true'], ['VM_NETWORKING_TYPE', 'nat'], ['VM_NETWORKING_DEFAULT_TYPE', 'nat'],
    ]);
  });

  it('bridge: the bridge interface from 7.4.3 on, not before', () => {
    const bridge = profileFrom(exampleText('kvm-node-bridge.yaml'));
    expect(get(ctxFor(bridge, '23.9.6'), 'VM_NETWORKING_BRIDGE_INTERFACE')).toBe('br0');
    expect(get(ctxFor(bridge, '7.4.3'), 'VM_NETWORKING_BRIDGE_INTERFACE')).toBe('br0');
    expect(get(ctxFor(bridge, '7.4.2'), 'VM_NETWORKING_BRIDGE_INTERFACE')).toBeUndefined();
    expect(get(ctxFor(bridge, '7.4.2'), 'VM_NETWORKING_TYPE')).toBe('nat, bridge');
  });

  it('bridge listed but networking disabled: no networking knobs but VM_NETWORKING', () => {
    const p = profileFrom(exampleText('kvm-node-bridge.yaml'), [['enabled: true', 'enabled: false']]);
    expect(knobValues(ctxFor(p)).filter(([n]) => n.startsWith('VM_NETWORKING'))).toEqual([['VM_NETWORKING', 'false']]);
  });

  it('XEN_BOOTLOADER only for xen, and only when found', () => {
    const p = profileFrom();
    expect(names({ ...ctxFor(p), found: { XEN_BOOTLOADER: '/usr/bin/pygrub' } })).not.toContain('XEN_BOOTLOADER');
    const xen = { ...p, hypervisor: 'xen' as const };
    expect(get({ ...ctxFor(xen), found: { XEN_BOOTLOADER: '/usr/bin/pygrub' } }, 'XEN_BOOTLOADER')).toBe('/usr/bin/pygrub');
    expect(names(ctxFor(xen))).not.toContain('XEN_BOOTLOADER');
  });

  it('Windows uses condor_vm-gahp.exe', () => {
    expect(get({ ...ctxFor(), os: 'windows' }, 'VM_GAHP_SERVER')).toBe('$(SBIN)/condor_vm-gahp.exe');
  });

  it('versionReads honours since (inclusive) and until (exclusive)', () => {
    const k = { name: 'X', since: '8.0.0', until: '9.11.0', value: () => 'x' };
    expect(versionReads(k, v('7.9.9'))).toBe(false);
    expect(versionReads(k, v('8.0.0'))).toBe(true);
    expect(versionReads(k, v('9.10.99'))).toBe(true);
    expect(versionReads(k, v('9.11.0'))).toBe(false);
    expect(KNOBS.find((x) => x.name === 'VM_NETWORKING_BRIDGE_INTERFACE')?.since).toBe('7.4.3');
  });
});
