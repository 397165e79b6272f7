// The knob table itself: complete, well-formed data covering every knob the issue and the reference name.
import { describe, expect, it } from 'vitest';
import { KNOBS, VMWARE_SCRIPTS, isRequired, lastBefore, readRangeText, shortSince, versionReads } from '../../../src/condor/knobs.ts';
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
      VM_GAHP_CONFIG: ['7.0.0', '7.2.0'],
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
      XEN_SCRIPT: ['7.0.0', '7.6.0'],
      XEN_DEFAULT_KERNEL: ['7.0.0', '7.4.0'],
      XEN_DEFAULT_INITRD: ['7.0.0', '7.4.0'],
      XEN_BOOTLOADER: [null, null],
      XenInitrd: ['7.4.0', null],
      STARTD_ATTRS: ['7.4.0', null],
      LIBVIRT_XML_SCRIPT: ['7.4.0', null],
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

  it('required: VM_GAHP_SERVER before 8.1, VM_GAHP_LOG on Windows, VM_VERSION on 7.2–7.3', () => {
    const ctx = (version: string, os: 'linux' | 'windows' = 'linux') => ({ profile: snapshotProfile('vmware'), version: v(version), os, found: {} });
    expect(isRequired(knob('VM_GAHP_SERVER'), ctx('8.0.9'))).toBe(true);
    expect(isRequired(knob('VM_GAHP_SERVER'), ctx('8.1.0'))).toBe(false);
    expect(isRequired(knob('VM_GAHP_LOG'), ctx('9.0.0'))).toBe(false);
    expect(isRequired(knob('VM_GAHP_LOG'), ctx('9.0.0', 'windows'))).toBe(true);
    expect(isRequired(knob('VM_VERSION'), ctx('7.0.5'))).toBe(false);
    expect(isRequired(knob('VM_VERSION'), ctx('7.2.0'))).toBe(true);
    expect(isRequired(knob('VM_NETWORKING_DEFAULT_TYPE'), ctx('9.0.0'))).toBe(false); // one type only
    expect(isRequired(knob('VM_NETWORKING_TYPE'), ctx('9.0.0'))).toBe(true); // networking enabled
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
