// The drop-in as rendered from a profile, and which knobs each profile/version gets.
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../src/profile/index.ts';
import { renderConfig } from '../../src/condor/render.ts';
import { classAdString, knobValues, KNOBS, versionReads, type KnobContext } from '../../src/condor/knobs.ts';
import { VmpError } from '../../src/errors/vmp-error.ts';
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

  it('HTCondor 7.4.4 KVM: LIBVIRT_XML_SCRIPT and VM_SCRIPT written (no defaults there), byte for byte', () => {
    // Reference: LIBVIRT_XML_SCRIPT has no default before 8.1.3 ("LIBVIRT_XML_SCRIPT not defined" at job start);
    // VM_SCRIPT is required by KVM on 7.4.x; the example config of V7_4_0 sets both to these values.
    const { content } = renderConfig(ctxFor(profileFrom(), '7.4.4'));
    expect(content).toBe(
      '# Written by vm-provision from host profile "kvm-node" for HTCondor 7.4.4 (linux).\n'
      + '# Do not edit: the next run replaces this file. Previous versions are kept in /var/lib/vm-provision/backups.\n'
      + '# VM universe on this node: hypervisor kvm. VM_* changes take effect at `condor_restart -startd`.\n'
      + 'VM_TYPE            = kvm\n'
      + 'VM_GAHP_SERVER     = $(SBIN)/condor_vm-gahp\n'
      + 'VM_GAHP_LOG        = $(LOG)/VMGahpLog\n'
      + 'VM_MEMORY          = 1024\n'
      + 'VM_MAX_NUMBER      = 2\n'
      + 'VM_NETWORKING      = false\n'
      + 'VM_SCRIPT          = $(SBIN)/condor_vm_xen.sh\n'
      + 'LIBVIRT_XML_SCRIPT = $(LIBEXEC)/libvirt_simple_script.awk\n',
    );
  });

  it('8.1.2 still writes LIBVIRT_XML_SCRIPT, 8.1.3 (param_info.in default) does not', () => {
    const lines = (version: string) => renderConfig(ctxFor(profileFrom(), version)).content.split('\n').slice(3);
    expect(lines('8.1.2')).toContain('LIBVIRT_XML_SCRIPT = $(LIBEXEC)/libvirt_simple_script.awk');
    expect(lines('8.1.3')).toEqual([
      'VM_TYPE        = kvm', 'VM_GAHP_SERVER = $(SBIN)/condor_vm-gahp', 'VM_GAHP_LOG    = $(LOG)/VMGahpLog',
      'VM_MEMORY      = 1024', 'VM_MAX_NUMBER  = 2', 'VM_NETWORKING  = false', '',
    ]);
  });

  it('refuses a value with a control character or a trailing backslash', () => {
    const xen = ctxFor({ ...profileFrom(), hypervisor: 'xen' });
    expect(renderConfig({ ...xen, found: { XEN_BOOTLOADER: '/usr/bin/pygrub' } }).content).toContain('XEN_BOOTLOADER = /usr/bin/pygrub\n');
    expect(() => renderConfig({ ...xen, found: { XEN_BOOTLOADER: '/usr/bin/pygrub\nSTART = True' } })).toThrow(/refusing to render XEN_BOOTLOADER/);
    expect(() => renderConfig({ ...xen, found: { XEN_BOOTLOADER: '/usr/bin/pygrub\\' } })).toThrow(/line continuation/);
    // C1 controls and Unicode line separators too.
    for (const bad of ['/usr/bin/py\u0085grub', '/usr/bin/py\u2028grub', '/usr/bin/py\u009bgrub']) {
      expect(() => renderConfig({ ...xen, found: { XEN_BOOTLOADER: bad } }), JSON.stringify(bad)).toThrow(/refusing to render XEN_BOOTLOADER/);
    }
  });
});

/**
 * Reads one ClassAd string literal at the start of `text` as HTCondor's lexer does (backslash escapes the next
 * character): the decoded string and what follows the closing quote. Written here, independent of the code.
 */
function readClassAdString(text: string): { value: string; rest: string } {
  if (text[0] !== '"') throw new Error(`not a string literal: ${text}`);
  let value = '';
  for (let i = 1; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\') { value += text[i + 1] ?? ''; i++; continue; }
    if (ch === '"') return { value, rest: text.slice(i + 1) };
    value += ch;
  }
  throw new Error(`unterminated string literal: ${text}`);
}

describe('XenInitrd: a ClassAd string literal, escaped (issue 9, item 11)', () => {
  const xen = (initrd: string): KnobContext => ({
    ...ctxFor({ ...profileFrom(), hypervisor: 'xen' }), found: { XEN_BOOTLOADER: '/usr/bin/pygrub', XEN_INITRD: initrd },
  });
  const xenInitrd = (initrd: string) => {
    const lines = renderConfig(xen(initrd)).content.split('\n').filter((l) => l.startsWith('XenInitrd '));
    expect(lines).toHaveLength(1);
    return lines[0]!.replace(/^XenInitrd\s+= /, '');
  };

  it('a plain path is quoted as is', () => {
    expect(xenInitrd('/boot/initrd-6.1.0-condor-xen.img')).toBe('"/boot/initrd-6.1.0-condor-xen.img"');
  });

  it('a `"` cannot end the string: the injected START is part of the one string value', () => {
    const evil = '/boot/a" ; START = True ; X = "';
    const value = xenInitrd(evil);
    expect(value).toBe('"/boot/a\\" ; START = True ; X = \\""');
    const lit = readClassAdString(value);
    expect(lit).toEqual({ value: evil, rest: '' });
  });

  it('backslashes are escaped too, so a trailing one cannot escape the closing quote', () => {
    for (const path of ['/boot/a\\', '/boot/a\\"b', '/boot/\\\\x']) {
      expect(readClassAdString(xenInitrd(path)), path).toEqual({ value: path, rest: '' });
    }
  });

  it('control characters and line separators are refused (VmpError CONFIG), never written', () => {
    for (const bad of ['/boot/a\nSTART = True', '/boot/a\rb', '/boot/a\u0085b', '/boot/a\u2029b']) {
      expect(() => renderConfig(xen(bad)), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: 'CONFIG' }));
    }
    expect(() => classAdString('a\tb')).toThrow(VmpError);
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
