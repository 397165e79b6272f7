// The rendered drop-in for KVM, Xen and VMware at eleven HTCondor versions, stored as files in
// test/fixtures/render/<hypervisor>-<version>-<os>.config, exactly what `vm-provision render` prints.
//
// Snapshots are never written silently: a missing or different file fails. To (re)write them after a reviewed
// change:   UPDATE_SNAPSHOTS=1 npx vitest run --project unit test/unit/knobs
//
// Each snapshot was reviewed against /work/shared/reference/htcondor-source-facts.md (HTCondor's repository, tag by
// tag); the review is written down below, per version, and asserted knob by knob (EXPECTED) independently of the
// knob table in src/condor/knobs.ts, so a wrong table entry fails here even if the snapshot was regenerated.
//
// Profiles (test/fixtures/render/profiles/): every one enables networking, so VM_NETWORKING_TYPE and
// VM_NETWORKING_DEFAULT_TYPE are written wherever the condor configuration carries them (7.1.4 on). kvm has types
// [nat, bridge] with bridgeInterface br0; xen leaves kernel, bootloader and kernel version to the node (placeholders);
// vmware uses perl, script auto, networkingType nat.
//
// 7.0.5  - VM_TYPE xen|vmware only: KVM is an error. VM_GAHP_SERVER required (no default before 8.1.3).
//          Era A (to 7.1.3): the gahp reads VM_TYPE, VM_VERSION, VM_MAX_MEMORY, VM_NETWORKING*, XEN_*, VMWARE_*
//          only from its own file named by VM_GAHP_CONFIG (vmgahp_param() in vmgahp_common.C @ V7_0_0). The drop-in
//          holds what the startd reads: VM_TYPE, VM_GAHP_SERVER, VM_GAHP_LOG, VM_GAHP_CONFIG (placeholder), VM_MEMORY
//          (the startd's cap), VM_MAX_NUMBER, VM_NETWORKING; the gahp file's contents are a warning.
// 7.2.4  - Era B (7.1.4+): one configuration. VM_VERSION required ("'VM_VERSION' is not defined") → placeholder.
//          Xen: XEN_SCRIPT, XEN_DEFAULT_KERNEL (required), XEN_DEFAULT_INITRD, XEN_BOOTLOADER. KVM still an error.
// 7.4.4  - KVM supported: VM_SCRIPT required for KVM (7.4–7.5 only), VM_NETWORKING_BRIDGE_INTERFACE (7.4.3+).
//          LIBVIRT_XML_SCRIPT written for KVM and Xen: no default before 8.1.3 and a job fails at start without it
//          ("LIBVIRT_XML_SCRIPT not defined", xen_type.cpp @ V7_4_0). No VM_VERSION, XEN_DEFAULT_KERNEL/INITRD
//          (removed 7.4.0): Xen advertises its initrd as XenInitrd (+ STARTD_ATTRS). XEN_SCRIPT still (to 7.5.x).
// 7.8.8  - XEN_SCRIPT and VM_SCRIPT gone (not read from 7.6.0). LIBVIRT_XML_SCRIPT still written (default from 8.1.3).
//          VMWARE_SCRIPT = $(SBIN)/condor_vm_vmware.
// 8.8.0  - LIBVIRT_XML_SCRIPT and VM_GAHP_SERVER have defaults (8.1.3); VM_GAHP_SERVER is still written.
// 9.0.0  - same knobs as 8.8.0.
// 9.11.0 - last version with VMware (VMWARE_* read by 7.0–9.11).
// 9.12.0 - VMware disabled ("A VM_TYPE of vmware is no longer supported"): an error. KVM, Xen as 9.11.
// 10.0.0 - as 9.12.0 (VMware code deleted in 10.2).
// 23.9.6 - as 10.0.0; the example KVM file is byte-identical to what vm-provision wrote before the knob table.
// 25.12.0- as 23.9.6 (`user` networking needs 25.12.2 and is not in these profiles).
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
const ERA_A = ['VM_TYPE', 'VM_GAHP_SERVER', 'VM_GAHP_LOG', 'VM_GAHP_CONFIG', 'VM_MEMORY', 'VM_MAX_NUMBER', 'VM_NETWORKING'];
const XEN_OLD = ['XEN_SCRIPT', 'XEN_DEFAULT_KERNEL', 'XEN_DEFAULT_INITRD', 'XEN_BOOTLOADER'];
const XEN_NEW = ['XEN_BOOTLOADER', 'XenInitrd', 'STARTD_ATTRS'];
const VMWARE = ['VMWARE_PERL', 'VMWARE_SCRIPT', 'VMWARE_NETWORKING_TYPE'];
const BRIDGE = 'VM_NETWORKING_BRIDGE_INTERFACE';
const XML = 'LIBVIRT_XML_SCRIPT';

/** The review above as data: knobs per version and hypervisor (Linux), or 'error' where unsupported. */
const EXPECTED: Record<Version, Record<Hypervisor, string[] | 'error'>> = {
  '7.0.5': { kvm: 'error', xen: ERA_A, vmware: ERA_A },
  '7.2.4': { kvm: 'error', xen: [...COMMON, 'VM_VERSION', ...XEN_OLD], vmware: [...COMMON, 'VM_VERSION', ...VMWARE] },
  '7.4.4': { kvm: [...COMMON, BRIDGE, 'VM_SCRIPT', XML], xen: [...COMMON, 'XEN_SCRIPT', ...XEN_NEW, XML], vmware: [...COMMON, ...VMWARE] },
  '7.8.8': { kvm: [...COMMON, BRIDGE, XML], xen: [...COMMON, ...XEN_NEW, XML], vmware: [...COMMON, ...VMWARE] },
  '8.8.0': { kvm: [...COMMON, BRIDGE], xen: [...COMMON, ...XEN_NEW], vmware: [...COMMON, ...VMWARE] },
  '9.0.0': { kvm: [...COMMON, BRIDGE], xen: [...COMMON, ...XEN_NEW], vmware: [...COMMON, ...VMWARE] },
  '9.11.0': { kvm: [...COMMON, BRIDGE], xen: [...COMMON, ...XEN_NEW], vmware: [...COMMON, ...VMWARE] },
  '9.12.0': { kvm: [...COMMON, BRIDGE], xen: [...COMMON, ...XEN_NEW], vmware: 'error' },
  '10.0.0': { kvm: [...COMMON, BRIDGE], xen: [...COMMON, ...XEN_NEW], vmware: 'error' },
  '23.9.6': { kvm: [...COMMON, BRIDGE], xen: [...COMMON, ...XEN_NEW], vmware: 'error' },
  '25.12.0': { kvm: [...COMMON, BRIDGE], xen: [...COMMON, ...XEN_NEW], vmware: 'error' },
};

/** Every knob the table knows: each must be present exactly where EXPECTED says, and absent everywhere else. */
const ALL_KNOWN = [...new Set([...COMMON, BRIDGE, XML, 'VM_VERSION', 'VM_GAHP_CONFIG', 'VM_MAX_MEMORY', 'XEN_CONTROLLER', 'VM_SCRIPT', ...XEN_OLD, ...XEN_NEW, ...VMWARE])];

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

  it('VMWARE_SCRIPT: condor_vm_vmware.pl up to 7.7, condor_vm_vmware from 7.8 (7.0.x: in the gahp file)', () => {
    for (const version of ['7.2.4', '7.4.4', '7.6.10']) expect(get('vmware', version, 'VMWARE_SCRIPT')).toBe('$(SBIN)/condor_vm_vmware.pl');
    expect(render('vmware', '7.0.5', 'linux').warnings.join('\n')).toContain('VMWARE_SCRIPT = $(SBIN)/condor_vm_vmware.pl');
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
    // 7.0.x: the gahp reads VM_VERSION from its own file only (vmgahp_config.C @ V7_0_0), so it is a warning there.
    const old = renderConfig({ profile, version: v('7.0.5'), os: 'linux', found: { VM_VERSION: 'server1.0.4' } });
    expect(knobLines(old.content).map(([n]) => n)).not.toContain('VM_VERSION');
    expect(old.warnings.join('\n')).toContain('VM_VERSION = server1.0.4');
  });

  it('LIBVIRT_XML_SCRIPT: written for KVM and Xen on 7.4.0–8.1.2 (no default before 8.1.3), not from 8.1.3', () => {
    for (const version of ['7.4.0', '7.6.0', '8.0.0', '8.1.2']) {
      expect(get('kvm', version, 'LIBVIRT_XML_SCRIPT'), version).toBe('$(LIBEXEC)/libvirt_simple_script.awk');
      expect(get('xen', version, 'LIBVIRT_XML_SCRIPT'), version).toBe('$(LIBEXEC)/libvirt_simple_script.awk');
    }
    for (const version of ['8.1.3', '9.0.0', '23.9.6']) expect(get('kvm', version, 'LIBVIRT_XML_SCRIPT'), version).toBeUndefined();
    expect(get('xen', '7.2.4', 'LIBVIRT_XML_SCRIPT')).toBeUndefined();
    expect(get('vmware', '7.4.4', 'LIBVIRT_XML_SCRIPT')).toBeUndefined();
  });

  it('7.0.x: the gahp file\'s contents are a warning, with VM_MAX_MEMORY and the Xen knobs', () => {
    const w = render('xen', '7.0.5', 'linux').warnings.find((x) => x.includes('reads its settings only from its own file'));
    expect(w).toBe("HTCondor 7.0.5's condor_vm-gahp reads its settings only from its own file ($(RELEASE_DIR)/etc/condor_vmgahp_config.xen), "
      + 'which vm-provision does not write; it must contain: VM_TYPE = xen; VM_VERSION = unknown; VM_MAX_MEMORY = 2048; VM_NETWORKING = true; '
      + 'VM_NETWORKING_TYPE = nat; VM_NETWORKING_DEFAULT_TYPE = nat; XEN_CONTROLLER = xm; XEN_SCRIPT = $(SBIN)/condor_vm_xen.sh; '
      + 'XEN_DEFAULT_KERNEL = /boot/vmlinuz-<kernelVersion>; XEN_DEFAULT_INITRD = /boot/initrd-<kernelVersion>-condor-xen.img; '
      + 'XEN_BOOTLOADER = /usr/lib/xen-<version>/bin/pygrub');
    // 7.1.4 merged the gahp file into the configuration: no such warning, and VM_GAHP_CONFIG is not written.
    const merged = render('xen', '7.1.4', 'linux');
    expect(merged.warnings.join('\n')).not.toMatch(/its own file/);
    expect(knobLines(merged.content).map(([n]) => n)).not.toContain('VM_GAHP_CONFIG');
    expect(get('xen', '7.1.3', 'VM_GAHP_CONFIG')).toBe('$(RELEASE_DIR)/etc/condor_vmgahp_config.xen');
  });
});
