// Why the VM universe did not come up, read from the captured VMGahpLog line and StartLog.
import { describe, expect, it } from 'vitest';
import { findGahpReason, logLineTime } from '../../src/condor/gahp-reasons.ts';
import { output } from '../helpers/fake-host.ts';

const masked = output('VMGahpLog-libvirtd-masked.log');
/** 11/23/26 21:27:32 in the local time zone, computed independently of logLineTime. */
const AT = Math.floor(new Date(2026, 10, 23, 21, 27, 32).getTime() / 1000);

describe('logLineTime', () => {
  it('reads MM/DD/YY HH:MM:SS in local time', () => {
    expect(logLineTime(masked)).toBe(AT);
    expect(logLineTime('01/02/27 03:04:05 x')).toBe(Math.floor(new Date(2027, 0, 2, 3, 4, 5).getTime() / 1000));
  });

  it('is undefined for a line without a timestamp', () => {
    expect(logLineTime('  continuation of the previous message')).toBeUndefined();
    expect(logLineTime('')).toBeUndefined();
    expect(logLineTime('2026-11-23 21:27:32 iso is not the HTCondor format')).toBeUndefined();
  });
});

describe('findGahpReason', () => {
  it('turns the captured libvirt line into "libvirt not reachable: ..." with a hint', () => {
    const r = findGahpReason({ vmGahpLog: masked }, AT - 60);
    expect(r).toEqual({
      reason: "libvirt not reachable: Failed to connect socket to '/var/run/libvirt/libvirt-sock': Connection refused",
      hint: 'start the libvirt daemon (systemctl enable --now libvirtd); if it is masked: systemctl unmask libvirtd',
      log: 'VMGahpLog',
      line: masked.trim(),
    });
  });

  it('counts a line written in the same second as `since`', () => {
    expect(findGahpReason({ vmGahpLog: masked }, AT)?.reason).toMatch(/^libvirt not reachable/);
  });

  it('ignores lines older than `since` (a previous startd)', () => {
    expect(findGahpReason({ vmGahpLog: masked }, AT + 1)).toBeUndefined();
  });

  it('prefers the specific pattern over a later generic ERROR, and a fresh line over an old one', () => {
    const log = [
      "11/22/26 08:00:00 'VM_MEMORY' is not defined",
      masked.trim(),
      '11/23/26 21:27:33 ERROR: something generic',
    ].join('\n');
    const r = findGahpReason({ vmGahpLog: log }, AT - 1);
    expect(r?.reason).toMatch(/^libvirt not reachable/);
    expect(findGahpReason({ vmGahpLog: log }, AT + 1)?.reason).toBe('VM gahp error: something generic');
  });

  it('falls back to StartLog: "Test of vmgahp for VM_TYPE(\'kvm\') failed"', () => {
    const startLog = `11/23/26 21:27:31 Starting vmgahp\n11/23/26 21:27:32 Test of vmgahp for VM_TYPE('kvm') failed, so the VM universe is disabled\n`;
    const r = findGahpReason({ vmGahpLog: '11/20/26 10:00:00 ERROR: old\n', startLog }, AT - 5);
    expect(r).toMatchObject({
      reason: "Test of vmgahp for VM_TYPE('kvm') failed, so the VM universe is disabled",
      hint: 'the reason is in VMGahpLog on the node',
      log: 'StartLog',
    });
  });

  it('reads the StartLog message about a missing gahp', () => {
    const r = findGahpReason({ startLog: "11/23/26 21:27:32 To support vm universe, 'VM_GAHP_SERVER' must be executable: /usr/sbin/condor_vm-gahp\n" }, AT);
    expect(r).toMatchObject({ log: 'StartLog', hint: 'install condor-vm-gahp' });
    expect(r?.reason).toMatch(/^To support vm universe/);
  });

  it('is undefined with no logs or nothing recognisable', () => {
    expect(findGahpReason({}, 0)).toBeUndefined();
    expect(findGahpReason({ vmGahpLog: '11/23/26 21:27:32 all fine\n', startLog: '' }, 0)).toBeUndefined();
  });
});
