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
      hint: expect.stringContaining('qemu:///session as root'),
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

  it('reads the StartLog messages about a missing gahp (vmuniverse_mgr.cpp: the path, or the knob name)', () => {
    for (const msg of ["To support vm universe, '/usr/sbin/condor_vm-gahp' must be executable",
      "To support vm universe, 'VM_GAHP_SERVER' must be defined in condor config file"]) {
      const r = findGahpReason({ startLog: `11/23/26 21:27:32 ${msg}\n` }, AT);
      expect(r, msg).toMatchObject({ log: 'StartLog', reason: msg, hint: expect.stringContaining('install condor-vm-gahp') });
    }
    expect(findGahpReason({ startLog: "11/23/26 21:27:32 To support vm universe, '/usr/sbin/condor_vm-gahp' must be executable\n" }, AT)?.hint)
      .toMatch(/^if \/usr\/sbin\/condor_vm-gahp is there: chmod 755 \/usr\/sbin\/condor_vm-gahp /);
  });

  it('23.0+ KVM test (qemu:///session as root) without a libvirt daemon: the libvirt error, and the session URI in the hint', () => {
    const gahp = output('VMGahpLog-kvm-session-no-daemon.log');
    const start = output('StartLog-kvm-test-failed.log');
    const since = Math.floor(new Date(2026, 10, 23, 21, 40, 0).getTime() / 1000);
    const r = findGahpReason({ vmGahpLog: gahp, startLog: start }, since);
    expect(r?.reason).toBe("libvirt not reachable: Failed to connect socket to '/var/run/libvirt/virtqemud-sock': No such file or directory");
    expect(r?.hint).toContain('virsh -c qemu:///session');
    // Only the StartLog (VMGahpLog elsewhere or rotated): the startd's own failure line, not the stale banner.
    expect(findGahpReason({ startLog: start }, since)?.reason).toBe("Test of vmgahp for VM_TYPE('kvm') failed. So we disabled VM Universe");
  });

  it('every test-mode failure message of the reference (§2.4) gives a reason', () => {
    const gahp: Array<[string, RegExp]> = [
      ['File Permission Error: Cannot read /dev/kvm as root', /^KVM not usable/],
      ['File Permission Error: Cannot write /dev/kvm as root', /^KVM not usable/],
      ["File(/dev/kvm) can't be read", /^KVM not usable/],
      ['VMGahp server for Xen or KVM requires root privilege', /needs root/],
      ["ERROR: 'VM_MEMORY' is not defined in configuration", /^VM_MEMORY is not defined/],
      ['Not supported VM TYPE(vmware)', /^Not supported VM TYPE\(vmware\)$/],
      ['ERROR: You should define Xen bootloader', /^Xen bootloader/],
      ["Xen bootloader file '/usr/bin/pygrub' cannot be read", /^Xen bootloader/],
      ['Failed to create libvirt connection: No reason found', /^libvirt not reachable: No reason found$/],
      ['LIBVIRT_XML_SCRIPT not defined', /^LIBVIRT_XML_SCRIPT not defined$/],
    ];
    for (const [msg, re] of gahp) expect(findGahpReason({ vmGahpLog: `11/23/26 21:27:32 ${msg}\n` }, AT)?.reason, msg).toMatch(re);
    const start = [
      'Failed to get output from /usr/sbin/condor_vm-gahp, ignoring',
      'Failed to execute /usr/sbin/condor_vm-gahp, ignoring',
      'A VM_TYPE of vmware is no longer supported',
      'There is no sufficient memory for virtual machines',
      'There is no VM_Memory in the output of vmgahp',
      'There is no VM_Type in the output of vmgahp. So VM Universe will be disabled',
      "The vmgahp(/usr/sbin/condor_vm-gahp) doesn't support this vmtype(kvm)",
      "Warning: '/usr/sbin/condor_vm-gahp -f -M 0 vmtype kvm' did not produce any valid output.",
    ];
    for (const msg of start) expect(findGahpReason({ startLog: `11/23/26 21:27:32 ${msg}\n` }, AT)?.reason, msg).toContain(msg);
    expect(findGahpReason({ startLog: '11/23/26 21:27:32 Failed to get output from /usr/sbin/condor_vm-gahp, ignoring\n' }, AT)?.hint).toMatch(/libvirt/);
  });

  it('is undefined with no logs or nothing recognisable', () => {
    expect(findGahpReason({}, 0)).toBeUndefined();
    expect(findGahpReason({ vmGahpLog: '11/23/26 21:27:32 all fine\n', startLog: '' }, 0)).toBeUndefined();
  });
});
