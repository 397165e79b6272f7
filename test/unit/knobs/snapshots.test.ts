// The rendered drop-in for KVM, Xen and VMware at eleven HTCondor versions, stored as files in
// test/fixtures/render/<hypervisor>-<version>-<os>.config, exactly what `vm-provision render` prints.
//
// Snapshots are never written silently: a missing or different file fails. To (re)write them after a reviewed
// change:   UPDATE_SNAPSHOTS=1 npx vitest run --project unit test/unit/knobs
//
// Each snapshot was reviewed against the reference table (/work/shared/reference/htcondor-vm-universe.md); the
// review is written down below, per version, and asserted knob by knob (EXPECTED) independently of the knob
// table in src/condor/knobs.ts, so a wrong table entry fails here even if the snapshot was regenerated.
//
// Profiles (test/fixtures/render/profiles/): every one enables networking, so VM_NETWORKING_TYPE and
// VM_NETWORKING_DEFAULT_TYPE are written wherever the version reads them (all versions). kvm has types
// [nat, bridge] with bridgeInterface br0; xen leaves kernel, bootloader and kernel version to the node (placeholders);
// vmware uses perl, script auto, networkingType nat.
//
// 7.0.5  - VM_TYPE xen|vmware only: KVM is an error. VM_GAHP_SERVER required (no default before 8.1).
//          VM_GAHP_CONFIG required (7.0 only: the gahp's separate config file; placeholder + warning).
//          VM_VERSION read (7.0–7.3) but only required from 7.2, and no hypervisor version is known: not written.
//          Xen: XEN_SCRIPT required (≤7.4), XEN_DEFAULT_KERNEL (7.0–7.2; required), XEN_DEFAULT_INITRD (7.0–7.2),
//          XEN_BOOTLOADER (all). No VM_NETWORKING_BRIDGE_INTERFACE (7.4.3+), no XenInitrd/STARTD_ATTRS (7.4+).
//          VMware: VMWARE_PERL = perl, VMWARE_SCRIPT = $(SBIN)/condor_vm_vmware.pl (7.0–7.6), VMWARE_NETWORKING_TYPE.
// 7.2.4  - as 7.0.5, but VM_GAHP_CONFIG is gone (merged into the main config in 7.2), and VM_VERSION is required
//          (the 7.2 gahp refuses to start without it: "'VM_VERSION' is not defined") → placeholder + warning.
//          KVM still an error (VM_TYPE kvm from 7.4).
// 7.4.4  - KVM supported: VM_SCRIPT required for KVM in 7.4 (only there), VM_NETWORKING_BRIDGE_INTERFACE (7.4.3+).
//          No VM_VERSION (removed in 7.4: must not be written), no XEN_DEFAULT_KERNEL / XEN_DEFAULT_INITRD (7.0–7.2):
//          Xen advertises its initrd as the machine attribute XenInitrd (+ STARTD_ATTRS). XEN_SCRIPT still (7.0–7.4).
//          VMware script still condor_vm_vmware.pl.
// 7.8.8  - XEN_SCRIPT and VM_SCRIPT gone (removed in 7.6: libvirt API). VMWARE_SCRIPT = $(SBIN)/condor_vm_vmware.
// 8.8.0  - VM_GAHP_SERVER has a default since 8.1 but is still written (same value as the default).
// 9.0.0  - same knobs as 8.8.0.
// 9.11.0 - last version with VMware (VMWARE_* read by 7.0–9.11).
// 9.12.0 - VMware disabled ("A VM_TYPE of vmware is no longer supported"): an error. KVM, Xen as 9.11.
// 10.0.0 - as 9.12.0 (VMware code deleted in 10.2).
// 23.9.6 - as 10.0.0; the example KVM file is byte-identical to what vm-provision wrote before the knob table.
// 25.12.0- as 23.9.6 (the `user` networking type of 25.12 is not in the profile format, so nothing changes).
//
// Windows: only VMware runs on Windows (KVM and Xen there are errors); VM_GAHP_SERVER = $(SBIN)/condor_vm-gahp.exe,
// VM_GAHP_LOG written (required on Windows); otherwise the same knobs as Linux.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderPreview } from '../../../src/cli/render-command.ts';
import { VmpError } from '../../../src/errors/vmp-error.ts';
import type { Hypervisor, NodeOs } from '../../../src/condor/knobs.ts';
import { RENDER_FIXTURES, knobLines, snapshotProfile, v } from './helpers.ts';

const VERSIONS = ['7.0.5', '7.2.4', '7.4.4', '7.8.8', '8.8.0', '9.0.0', '9.11.0', '9.12.0', '10.0.0', '23.9.6', '25.12.0'] as const;
type Version = (typeof VERSIONS)[number];
const UPDATE = process.env.UPDATE_SNAPSHOTS === '1';

const COMMON = ['VM_TYPE', 'VM_GAHP_SERVER', 'VM_GAHP_LOG', 'VM_MEMORY', 'VM_MAX_NUMBER', 'VM_NETWORKING', 'VM_NETWORKING_TYPE', 'VM_NETWORKING_DEFAULT_TYPE'];
const XEN_OLD = ['XEN_SCRIPT', 'XEN_DEFAULT_KERNEL', 'XEN_DEFAULT_INITRD', 'XEN_BOOTLOADER'];
const XEN_NEW = ['XEN_BOOTLOADER', 'XenInitrd', 'STARTD_ATTRS'];
const VMWARE = ['VMWARE_PERL', 'VMWARE_SCRIPT', 'VMWARE_NETWORKING_TYPE'];
const BRIDGE = 'VM_NETWORKING_BRIDGE_INTERFACE';

/** The review above as data: knobs per version and hypervisor (Linux), or 'error' where unsupported. */
const EXPECTED: Record<Version, Record<Hypervisor, string[] | 'error'>> = {
  '7.0.5': { kvm: 'error', xen: [...COMMON, 'VM_GAHP_CONFIG', ...XEN_OLD], vmware: [...COMMON, 'VM_GAHP_CONFIG', ...VMWARE] },
  '7.2.4': { kvm: 'error', xen: [...COMMON, 'VM_VERSION', ...XEN_OLD], vmware: [...COMMON, 'VM_VERSION', ...VMWARE] },
  '7.4.4': { kvm: [...COMMON, BRIDGE, 'VM_SCRIPT'], xen: [...COMMON, 'XEN_SCRIPT', ...XEN_NEW], vmware: [...COMMON, ...VMWARE] },
  '7.8.8': { kvm: [...COMMON, BRIDGE], xen: [...COMMON, ...XEN_NEW], vmware: [...COMMON, ...VMWARE] },
  '8.8.0': { kvm: [...COMMON, BRIDGE], xen: [...COMMON, ...XEN_NEW], vmware: [...COMMON, ...VMWARE] },
  '9.0.0': { kvm: [...COMMON, BRIDGE], xen: [...COMMON, ...XEN_NEW], vmware: [...COMMON, ...VMWARE] },
  '9.11.0': { kvm: [...COMMON, BRIDGE], xen: [...COMMON, ...XEN_NEW], vmware: [...COMMON, ...VMWARE] },
  '9.12.0': { kvm: [...COMMON, BRIDGE], xen: [...COMMON, ...XEN_NEW], vmware: 'error' },
  '10.0.0': { kvm: [...COMMON, BRIDGE], xen: [...COMMON, ...XEN_NEW], vmware: 'error' },
  '23.9.6': { kvm: [...COMMON, BRIDGE], xen: [...COMMON, ...XEN_NEW], vmware: 'error' },
  '25.12.0': { kvm: [...COMMON, BRIDGE], xen: [...COMMON, ...XEN_NEW], vmware: 'error' },
};

/** Every knob the table knows: each must be present exactly where EXPECTED says, and absent everywhere else. */
const ALL_KNOWN = [...new Set([...COMMON, BRIDGE, 'VM_VERSION', 'VM_GAHP_CONFIG', 'VM_SCRIPT', 'LIBVIRT_XML_SCRIPT', ...XEN_OLD, ...XEN_NEW, ...VMWARE])];

const sorted = (a: string[]) => [...a].sort();

function cases(): Array<{ h: Hypervisor; version: Version; os: NodeOs }> {
  const out: Array<{ h: Hypervisor; version: Version; os: NodeOs }> = [];
  for (const version of VERSIONS) {
    for (const h of ['kvm', 'xen', 'vmware'] as const) out.push({ h, version, os: 'linux' });
    out.push({ h: 'vmware', version, os: 'windows' });
  }
  return out;
}

function render(h: Hypervisor, version: string, os: NodeOs) {
  return renderPreview(snapshotProfile(h), v(version), os);
}

describe('rendered drop-in snapshots (test/fixtures/render)', () => {
  for (const { h, version, os } of cases()) {
    const expected = EXPECTED[version][h];
    const file = `${h}-${version}-${os}.config`;
    if (expected === 'error') {
      it(`${h} on HTCondor ${version} (${os}): refused, no snapshot`, () => {
        expect(() => render(h, version, os)).toThrow(VmpError);
        try { render(h, version, os); } catch (e) {
          expect((e as VmpError).code).toBe('PREFLIGHT');
          expect((e as VmpError).hint).toBeTruthy();
        }
        expect(existsSync(`${RENDER_FIXTURES}${file}`), `${file} must not exist for an unsupported combination`).toBe(false);
      });
      continue;
    }
    it(`${h} on HTCondor ${version} (${os}) matches ${file}`, () => {
      const { content } = render(h, version, os);
      const names = knobLines(content).map(([n]) => n);
      // Presence and absence, from the review, independently of src/condor/knobs.ts.
      expect(sorted(names)).toEqual(sorted(expected));
      for (const k of ALL_KNOWN) expect(names.includes(k), `${k} at ${version}`).toBe(expected.includes(k));
      expect(content.split('\n')[0]).toBe(`# Written by vm-provision from host profile "${h}-render" for HTCondor ${version} (${os}).`);

      const path = `${RENDER_FIXTURES}${file}`;
      if (UPDATE) { mkdirSync(RENDER_FIXTURES, { recursive: true }); writeFileSync(path, content); return; }
      if (!existsSync(path)) throw new Error(`${file} is missing: review the output, then UPDATE_SNAPSHOTS=1 npx vitest run --project unit test/unit/knobs`);
      expect(content, `${file} differs: review, then UPDATE_SNAPSHOTS=1 npx vitest run --project unit test/unit/knobs`).toBe(readFileSync(path, 'utf8'));
    });
  }
});

describe('values that change with the version (from the reference)', () => {
  const get = (h: Hypervisor, version: string, name: string, os: NodeOs = 'linux') => knobLines(render(h, version, os).content).find(([n]) => n === name)?.[1];

  it('VMWARE_SCRIPT: condor_vm_vmware.pl up to 7.6, condor_vm_vmware from 7.8', () => {
    for (const version of ['7.0.5', '7.2.4', '7.4.4', '7.6.10']) expect(get('vmware', version, 'VMWARE_SCRIPT')).toBe('$(SBIN)/condor_vm_vmware.pl');
    for (const version of ['7.8.0', '7.8.8', '8.8.0', '9.0.0', '9.11.0']) expect(get('vmware', version, 'VMWARE_SCRIPT')).toBe('$(SBIN)/condor_vm_vmware');
  });

  it('VMWARE_SCRIPT: an absolute vmware.script is written as given; VMWARE_PERL is the interpreter', () => {
    const p = snapshotProfile('vmware', [['script: auto', 'script: /opt/condor/sbin/condor_vm_vmware'], ['perl: perl', 'perl: /usr/bin/perl']]);
    const names = knobLines(renderPreview(p, v('9.0.0'), 'linux').content);
    expect(names).toContainEqual(['VMWARE_SCRIPT', '/opt/condor/sbin/condor_vm_vmware']);
    expect(names).toContainEqual(['VMWARE_PERL', '/usr/bin/perl']);
  });

  it('VM_GAHP_SERVER: condor_vm-gahp, .exe on Windows; VM_GAHP_LOG written on both', () => {
    for (const version of ['7.0.5', '9.11.0']) {
      expect(get('vmware', version, 'VM_GAHP_SERVER')).toBe('$(SBIN)/condor_vm-gahp');
      expect(get('vmware', version, 'VM_GAHP_SERVER', 'windows')).toBe('$(SBIN)/condor_vm-gahp.exe');
      expect(get('vmware', version, 'VM_GAHP_LOG', 'windows')).toBe('$(LOG)/VMGahpLog');
    }
  });

  it('VM_TYPE is the hypervisor; VMWARE_NETWORKING_TYPE from vmware.networkingType', () => {
    expect(get('kvm', '7.4.4', 'VM_TYPE')).toBe('kvm');
    expect(get('xen', '7.0.5', 'VM_TYPE')).toBe('xen');
    expect(get('vmware', '9.11.0', 'VMWARE_NETWORKING_TYPE')).toBe('nat');
  });

  it('VM_SCRIPT for KVM on 7.4 only: the libvirt control script', () => {
    expect(get('kvm', '7.4.0', 'VM_SCRIPT')).toBe('$(SBIN)/condor_vm_xen.sh');
    expect(get('kvm', '7.6.0', 'VM_SCRIPT')).toBeUndefined();
    expect(get('xen', '7.4.4', 'VM_SCRIPT')).toBeUndefined();
  });

  it('Xen: XEN_SCRIPT through 7.4, removed in 7.6', () => {
    expect(get('xen', '7.4.9', 'XEN_SCRIPT')).toBe('$(SBIN)/condor_vm_xen.sh');
    expect(get('xen', '7.6.0', 'XEN_SCRIPT')).toBeUndefined();
  });

  it('Xen: the initrd is XEN_DEFAULT_INITRD before 7.4, the XenInitrd attribute from 7.4', () => {
    expect(get('xen', '7.2.4', 'XEN_DEFAULT_INITRD')).toBe('/boot/initrd-<kernelVersion>-condor-xen.img');
    expect(get('xen', '7.4.0', 'XenInitrd')).toBe('"/boot/initrd-<kernelVersion>-condor-xen.img"');
    expect(get('xen', '7.4.0', 'STARTD_ATTRS')).toBe('$(STARTD_ATTRS) XenInitrd');
    expect(get('xen', '7.4.0', 'XEN_DEFAULT_INITRD')).toBeUndefined();
  });

  it('VM_VERSION: 7.0–7.3 only; from found.VM_VERSION when the caller supplies it', async () => {
    const { renderConfig } = await import('../../../src/condor/render.ts');
    const profile = snapshotProfile('vmware');
    const r = renderConfig({ profile, version: v('7.2.4'), os: 'linux', found: { VM_VERSION: 'server1.0.4' } });
    expect(knobLines(r.content)).toContainEqual(['VM_VERSION', 'server1.0.4']);
    expect(r.warnings.join('\n')).not.toMatch(/VM_VERSION/);
    expect(knobLines(renderConfig({ profile, version: v('7.4.0'), os: 'linux', found: { VM_VERSION: 'server1.0.4' } }).content).map(([n]) => n)).not.toContain('VM_VERSION');
    expect(knobLines(renderConfig({ profile, version: v('7.0.5'), os: 'linux', found: { VM_VERSION: 'server1.0.4' } }).content)).toContainEqual(['VM_VERSION', 'server1.0.4']);
  });
});
