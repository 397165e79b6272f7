// The knob table itself: complete, well-formed data covering every knob the issue and the reference name.
import { describe, expect, it } from 'vitest';
import { KNOBS, VMWARE_SCRIPTS, allowedValues, isRequired, lastBefore, readRangeText, shortSince, versionReads } from '../../../src/condor/knobs.ts';
import { parseVersion } from '../../../src/condor/version.ts';
import { snapshotProfile, v } from './helpers.ts';

const knob = (name: string) => {
  const k = KNOBS.find((x) => x.name === name);
  if (!k) throw new Error(`${name} is not in the knob table`);
  return k;
};

describe('the knob table', () => {
  it('covers the knobs of the reference, with version ranges as in the reference', () => {
    const ranges = Object.fromEntries(KNOBS.map((k) => [k.name, [k.since ?? null, k.until ?? null]]));
    expect(ranges).toEqual({
      VM_TYPE: [null, null],
      VM_VERSION: ['7.0.0', '7.4.0'],
      VM_GAHP_SERVER: [null, null],
      VM_GAHP_LOG: [null, null],
      VM_GAHP_CONFIG: ['7.0.0', '7.1.4'],
      VM_MAX_MEMORY: ['7.0.0', '7.1.4'],
      VM_MEMORY: [null, null],
      VM_MAX_NUMBER: [null, null],
      VM_NETWORKING: [null, null],
      VM_NETWORKING_TYPE: [null, null],
      VM_NETWORKING_DEFAULT_TYPE: [null, null],
      VM_NETWORKING_BRIDGE_INTERFACE: ['7.4.3', null],
      VM_SCRIPT: ['7.4.0', '7.6.0'],
      VMWARE_PERL: ['7.0.0', '9.12.0'],
      VMWARE_SCRIPT: ['7.0.0', '9.12.0'],
      VMWARE_NETWORKING_TYPE: ['7.0.0', '9.12.0'],
      XEN_CONTROLLER: ['7.0.0', '7.1.4'],
      XEN_SCRIPT: ['7.0.0', '7.6.0'],
      XEN_DEFAULT_KERNEL: ['7.0.0', '7.4.0'],
      XEN_DEFAULT_INITRD: ['7.0.0', '7.4.0'],
      XEN_BOOTLOADER: [null, null],
      XenInitrd: ['7.4.0', null],
      STARTD_ATTRS: ['7.4.0', null],
      LIBVIRT_XML_SCRIPT: ['7.3.2', null],
    });
  });

  it('every entry is documented and its versions parse', () => {
    for (const k of KNOBS) {
      expect(k.default, k.name).toBeTruthy();
      expect(k.derivedFrom, k.name).toBeTruthy();
      for (const t of [k.since, k.until, ...(k.required ?? []).flatMap((r) => [r.since, r.until])]) if (t) expect(parseVersion(t), `${k.name} ${t}`).toBeDefined();
    }
    expect(VMWARE_SCRIPTS.map((s) => s.value)).toEqual(['$(SBIN)/condor_vm_vmware.pl', '$(SBIN)/condor_vm_vmware']);
  });

  it('required: VM_GAHP_SERVER before 8.1.3, VM_GAHP_LOG on Windows, VM_VERSION while it exists, VM_MEMORY from 7.1.4', () => {
    const ctx = (version: string, os: 'linux' | 'windows' = 'linux') => ({ profile: snapshotProfile('vmware'), version: v(version), os, found: {} });
    // param_info.in has `$(SBIN)/condor_vm-gahp` from V8_1_3 only.
    expect(isRequired(knob('VM_GAHP_SERVER'), ctx('8.0.9'))).toBe(true);
    expect(isRequired(knob('VM_GAHP_SERVER'), ctx('8.1.2'))).toBe(true);
    expect(isRequired(knob('VM_GAHP_SERVER'), ctx('8.1.3'))).toBe(false);
    expect(isRequired(knob('VM_MEMORY'), ctx('7.0.5'))).toBe(false);
    expect(isRequired(knob('VM_MEMORY'), ctx('7.1.4'))).toBe(true);
    expect(isRequired(knob('VM_GAHP_LOG'), ctx('9.0.0'))).toBe(false);
    expect(isRequired(knob('VM_GAHP_LOG'), ctx('9.0.0', 'windows'))).toBe(true);
    // vmgahp_config.C @ V7_0_0: "'VM_VERSION' is not defined in <gahp file>" → the gahp refuses to start.
    expect(isRequired(knob('VM_VERSION'), ctx('7.0.5'))).toBe(true);
    expect(isRequired(knob('VM_VERSION'), ctx('7.2.0'))).toBe(true);
    expect(isRequired(knob('VM_NETWORKING_DEFAULT_TYPE'), ctx('9.0.0'))).toBe(false); // one type only
    expect(isRequired(knob('VM_NETWORKING_TYPE'), ctx('9.0.0'))).toBe(true); // networking enabled
  });

  it('LIBVIRT_XML_SCRIPT: required for KVM/Xen on 7.4.0–8.1.2 (xen_type.cpp @ V7_4_0), default from 8.1.3', () => {
    const ctx = (version: string) => ({ profile: snapshotProfile('kvm'), version: v(version), os: 'linux' as const, found: {} });
    for (const [version, req] of [['7.3.2', false], ['7.4.0', true], ['8.1.2', true], ['8.1.3', false], ['23.9.6', false]] as const) {
      expect(isRequired(knob('LIBVIRT_XML_SCRIPT'), ctx(version)), version).toBe(req);
    }
    expect(knob('LIBVIRT_XML_SCRIPT').hypervisors).toEqual(['kvm', 'xen']);
  });

  it('VM_NETWORKING_BRIDGE_INTERFACE: read from 7.4.3, but not by 7.5.0–7.5.2 (absent at V7_5_2, back at V7_5_3)', () => {
    const k = knob('VM_NETWORKING_BRIDGE_INTERFACE');
    for (const [version, reads] of [['7.4.2', false], ['7.4.3', true], ['7.5.0', false], ['7.5.2', false], ['7.5.3', true], ['25.0.1', true]] as const) {
      expect(versionReads(k, v(version)), version).toBe(reads);
    }
    expect(readRangeText(k)).toBe('not read before HTCondor 7.4.3, nor by 7.5.0–7.5.2');
  });

  it('VM_NETWORKING_TYPE: nat and bridge always; user only for KVM from 25.12.2', () => {
    const k = knob('VM_NETWORKING_TYPE');
    expect(allowedValues(k, v('25.12.1'), 'kvm')).toEqual(['nat', 'bridge']);
    expect(allowedValues(k, v('25.12.2'), 'kvm')).toEqual(['nat', 'bridge', 'user']);
    expect(allowedValues(k, v('25.13.2'), 'xen')).toEqual(['nat', 'bridge']);
  });

  it('every entry names its evidence in HTCondor\'s source (a tag or a file)', () => {
    for (const k of KNOBS) expect(k.evidence, k.name).toMatch(/V\d+_\d+_\d+|v2\d\.\d+\.\d+|HEAD|\.(cpp|C|tex|in|generic)\b|history/);
  });

  it('version boundaries: since inclusive, until exclusive', () => {
    expect(versionReads(knob('VM_VERSION'), v('7.3.9'))).toBe(true);
    expect(versionReads(knob('VM_VERSION'), v('7.4.0'))).toBe(false);
    expect(versionReads(knob('VMWARE_PERL'), v('9.11.99'))).toBe(true);
    expect(versionReads(knob('VMWARE_PERL'), v('9.12.0'))).toBe(false);
  });

  it('range texts for messages and docs', () => {
    expect(shortSince('7.4.0')).toBe('7.4');
    expect(shortSince('7.4.3')).toBe('7.4.3');
    expect(lastBefore('9.12.0')).toBe('9.11');
    expect(lastBefore('7.4.3')).toBe('7.4.2');
    expect(lastBefore('8.0.0')).toBe('7.x');
    expect(readRangeText({ since: '7.4.3' })).toBe('not read before HTCondor 7.4.3');
    expect(readRangeText({ since: '7.0.0', until: '7.4.0' })).toBe('read by HTCondor 7.0–7.3 only');
    expect(readRangeText({ until: '9.12.0' })).toBe('not read from HTCondor 9.12 on');
  });
});
