// doctor's parsers: dd's open errors, MasterLog's restart backoff, StartLog's gahp test, slot ads, stat mtimes.
import { describe, expect, it } from 'vitest';
import { lastGahpTest, linesSince, parseDoctorSlots, parseMtimes, parseOpenResult, pendingStartdBackoff } from '../../../src/doctor/parse.ts';
import { logLineTime } from '../../../src/condor/gahp-reasons.ts';
import { output } from '../../helpers/fake-host.ts';
import { checkForGahpReason, linkCauses, rootOf } from '../../../src/doctor/causes.ts';
import { problem } from '../../../src/doctor/finding.ts';

describe('doctor parsers', () => {
  it('what open(2) said, from dd: errno names for the texts glibc prints', () => {
    expect(parseOpenResult({ exitCode: 0, stderr: '' })).toEqual({ ok: true });
    expect(parseOpenResult({ exitCode: 1, stderr: "dd: failed to open '/dev/kvm': No such device\n" })).toEqual({ ok: false, error: 'No such device', errno: 'ENODEV' });
    expect(parseOpenResult({ exitCode: 1, stderr: "dd: failed to open '/dev/kvm': No such device or address\n" })).toEqual({ ok: false, error: 'No such device or address', errno: 'ENXIO' });
    expect(parseOpenResult({ exitCode: 1, stderr: "dd: failed to open '/dev/kvm': Permission denied\n" })).toEqual({ ok: false, error: 'Permission denied', errno: 'EACCES' });
    expect(parseOpenResult({ exitCode: 127, stderr: 'dd: command not found\n' })).toEqual({ ok: false, error: 'dd: command not found' });
  });

  it('the master\'s pending restart of the startd: the last delay not yet followed by a start', () => {
    const log = [
      '12/01/26 16:00:00 restarting /usr/sbin/condor_startd in 11 seconds',
      '12/01/26 16:00:11 Started DaemonCore process "/usr/sbin/condor_startd", pid and pgroup = 100',
      '12/01/26 16:00:30 The STARTD (pid 100) exited with status 0',
      '12/01/26 16:00:30 restarting /usr/sbin/condor_startd in 13 seconds',
    ].join('\n');
    const b = pendingStartdBackoff(log)!;
    expect(b.seconds).toBe(13);
    expect(b.until - b.at).toBe(13);
    expect(b.at).toBe(logLineTime('12/01/26 16:00:30')!);
    expect(pendingStartdBackoff(`${log}\n12/01/26 16:00:43 Started DaemonCore process "/usr/sbin/condor_startd", pid and pgroup = 101\n`)).toBeUndefined();
    expect(pendingStartdBackoff('12/01/26 16:00:30 restarting /usr/sbin/condor_schedd in 13 seconds\n')).toBeUndefined();
    expect(pendingStartdBackoff(undefined)).toBeUndefined();
  });

  it('the last gahp test in StartLog: a failure (captured) and a pass', () => {
    const failed = lastGahpTest(output('StartLog-kvm-test-failed.log'))!;
    expect(failed.passed).toBe(false);
    expect(failed.resultLine).toMatch(/did not produce any valid output/);
    expect(failed.at).toBe(logLineTime('11/23/26 21:40:01')!);
    const passed = lastGahpTest(`${output('StartLog-kvm-test-failed.log')}11/23/26 21:50:01 VM universe will be tested to check if it is available\n11/23/26 21:50:02 VMType('kvm') is supported\n`)!;
    expect(passed).toMatchObject({ passed: true, resultLine: "11/23/26 21:50:02 VMType('kvm') is supported" });
    expect(lastGahpTest('11/23/26 21:50:02 nothing here\n')).toBeUndefined();
  });

  it('slot ads with doctor\'s attributes; VMOfflineReason keeps its tabs', () => {
    expect(parseDoctorSlots('slot1@n\tfalse\tundefined\tundefined\t1795468548\t{ "VM",13 }\tFailed to\tcreate domain\n')).toEqual([
      { name: 'slot1@n', hasVm: false, daemonStartTime: 1795468548, offlineUniverses: '{ "VM",13 }', vmOfflineReason: 'Failed to\tcreate domain' },
    ]);
    expect(parseDoctorSlots('slot1@n\ttrue\tkvm\t1024\t1795468548\tundefined\tundefined\n')).toEqual([{ name: 'slot1@n', hasVm: true, vmType: 'kvm', vmMemory: 1024, daemonStartTime: 1795468548 }]);
  });

  it('log lines since a time: a line without a time belongs to the one before it', () => {
    const log = "12/01/26 16:07:53 \nERROR: 'VM_MEMORY' is not defined in configuration\n12/01/26 16:08:38 \nother\n";
    expect(linesSince(log, logLineTime('12/01/26 16:08:00')!)).toBe('12/01/26 16:08:38 \nother\n');
    expect(linesSince(log, logLineTime('12/01/26 16:07:53')!)?.split('\n')).toContain("ERROR: 'VM_MEMORY' is not defined in configuration");
    expect(linesSince('no time at all\n', 0)).toBe('');
  });

  it('stat mtimes, paths with spaces included', () => {
    expect([...parseMtimes('1795400000 /etc/condor/condor_config\n1795468590 /etc/condor/config.d/50 x.config\n')]).toEqual([
      ['/etc/condor/condor_config', 1795400000], ['/etc/condor/config.d/50 x.config', 1795468590],
    ]);
  });

  it('gahp reasons point at the check that explains them; causes link transitively and stop at cycles', () => {
    expect(checkForGahpReason("libvirt not reachable: Failed to connect socket to '/var/run/libvirt/libvirt-sock'")).toBe('libvirt');
    expect(checkForGahpReason('VM_MEMORY is not defined (or is 0)')).toBe('vm-memory');
    expect(checkForGahpReason('KVM not usable: Cannot read /dev/kvm as root')).toBe('kvm-device');
    expect(checkForGahpReason("To support vm universe, '/usr/sbin/condor_vm-gahp' must be executable")).toBe('gahp-binary');
    const fs = linkCauses([problem('libvirt', 'x', 'a'), problem('gahp-test', 'the last gahp test failed: libvirt not reachable: y', 'a'), problem('advertised', 'the startd advertises HasVM = false', 'a')]);
    expect(fs.map((f) => f.causedBy)).toEqual([undefined, 'libvirt', 'gahp-test']);
    expect(rootOf(fs, fs[2]!).check).toBe('libvirt');
    const loop = [problem('a', 'x', 'a', [], 'b'), problem('b', 'y', 'b', [], 'a')];
    expect(['a', 'b']).toContain(rootOf(loop, loop[0]!).check);
  });
});
