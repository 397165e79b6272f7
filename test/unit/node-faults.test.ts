// Pure logic behind the node faults: clock skew against the collector, daemons as ps names them, df and mountinfo,
// and a write the file system refuses turned into an error that names the directory and what to do.
import { describe, expect, it } from 'vitest';
import { clockSkew, describeSkew } from '../../src/condor/clock.ts';
import { daemonList, isRunning } from '../../src/condor/daemons.ts';
import { mountOf, parseDf, parseMountinfo, readOnly } from '../../src/doctor/node-parse.ts';
import { fsWriteError } from '../../src/host/fs-errors.ts';
import { isVmpError } from '../../src/errors/vmp-error.ts';

const NOW = 1796150000;
const YEAR = 365 * 86400;

describe('clockSkew', () => {
  it('an ad heard just now, or as old as an ad can live (CLASSAD_LIFETIME + UPDATE_INTERVAL), is no skew', () => {
    expect(clockSkew(NOW, [NOW - 3])).toBeUndefined();
    expect(clockSkew(NOW, [NOW - 1200 - 3600])).toBeUndefined();
    expect(clockSkew(NOW, [NOW + 3600])).toBeUndefined();
    expect(clockSkew(NOW, [])).toBeUndefined();
    expect(clockSkew(NOW, [0, Number.NaN])).toBeUndefined();
  });
  it('ahead: the newest ad looks older than any ad can be; behind: heard "in the future"', () => {
    expect(clockSkew(NOW, [NOW - 1200 - 3601])).toEqual({ skew: 1200 + 3601, nodeTime: NOW, collectorTime: NOW - 4801 });
    expect(clockSkew(NOW + 5 * YEAR, [NOW - 10, NOW - 300])?.skew).toBe(5 * YEAR + 10);
    expect(clockSkew(NOW, [NOW + 3601])?.skew).toBe(-3601);
  });
  it('describes the amount and the direction', () => {
    expect(describeSkew({ skew: 5 * YEAR + 10, nodeTime: NOW + 5 * YEAR, collectorTime: NOW - 10 })).toMatch(/^this node's clock \(2031-.*\) is about 5\.0 years ahead of the collector's \(it last heard from this node at 2026-.*, by its clock\)$/);
    expect(describeSkew({ skew: -3 * 86400, nodeTime: NOW, collectorTime: NOW + 3 * 86400 })).toContain('about 3 days behind');
    expect(describeSkew({ skew: 5 * 3600, nodeTime: NOW, collectorTime: NOW })).toContain('about 5 hours ahead');
  });
});

describe('daemons', () => {
  it('ps names a daemon by at most 15 characters', () => {
    expect(isRunning(['condor_master', 'condor_collecto'], 'condor_collector')).toBe(true);
    expect(isRunning(['condor_master', 'condor_startd'], 'condor_collector')).toBe(false);
    expect(isRunning(['condor_master'], 'condor_master')).toBe(true);
    expect(isRunning(['condor_negotiat'], 'condor_collector')).toBe(false);
  });
  it('DAEMON_LIST separated by commas and/or spaces', () => {
    expect(daemonList('MASTER, COLLECTOR NEGOTIATOR,SCHEDD  startd\n')).toEqual(['MASTER', 'COLLECTOR', 'NEGOTIATOR', 'SCHEDD', 'STARTD']);
    expect(daemonList(undefined)).toEqual([]);
  });
});

describe('df and mountinfo', () => {
  it('df -k --output=size,avail,fstype,target', () => {
    expect(parseDf('1K-blocks Avail Type  Mounted on\n      256     0 tmpfs /var/lib/vm-provision\n')).toEqual([{ sizeKiB: 256, availKiB: 0, fstype: 'tmpfs', target: '/var/lib/vm-provision' }]);
    expect(parseDf('1K-blocks Avail Type Mounted on\n')).toEqual([]);
  });
  const text = [
    '1223 1222 0:108 / / rw,relatime shared:639 - overlay overlay rw,lowerdir=/l',
    '1300 1223 0:50 / /var/lib/vm-provision rw,relatime - tmpfs tmpfs rw,size=256k',
    '1475 1223 0:108 /etc/condor /etc/condor ro,relatime shared:639 - overlay overlay rw,lowerdir=/l',
    '1500 1223 0:60 / /mnt/with\\040space rw - ext4 /dev/sdb1 ro,errors=remount-ro',
  ].join('\n');
  const mounts = parseMountinfo(text);
  it('the mount holding a path is the longest mount point above it', () => {
    expect(mountOf(mounts, '/etc/condor/config.d')?.mountPoint).toBe('/etc/condor');
    expect(mountOf(mounts, '/etc/condorx')?.mountPoint).toBe('/');
    expect(mountOf(mounts, '/var/lib/vm-provision')?.fstype).toBe('tmpfs');
    expect(mountOf(mounts, '/mnt/with space/x')?.mountPoint).toBe('/mnt/with space');
  });
  it('read-only by the mount\'s options or the file system\'s', () => {
    expect(readOnly(mountOf(mounts, '/etc/condor')!)).toBe(true);
    expect(readOnly(mountOf(mounts, '/var/lib/vm-provision')!)).toBe(false);
    expect(readOnly(mountOf(mounts, '/mnt/with space')!)).toBe(true);
    expect(readOnly(mountOf(mounts, '/usr')!)).toBe(false);
  });
  it('the last of mounts stacked on one point wins', () => {
    const stacked = parseMountinfo(`${text}\n1600 1475 0:108 /etc/condor /etc/condor rw,relatime - overlay overlay rw`);
    expect(readOnly(mountOf(stacked, '/etc/condor/config.d')!)).toBe(false);
  });
});

describe('fsWriteError', () => {
  const errno = (code: string) => Object.assign(new Error(`${code}: x`), { code });
  it('EROFS, ENOSPC: FILESYSTEM naming the directory and what to do', () => {
    const ro = fsWriteError(errno('EROFS'), '/etc/condor/config.d/50-vm-universe.config');
    expect(isVmpError(ro) && ro.code).toBe('FILESYSTEM');
    expect((ro as Error).message).toBe('cannot write /etc/condor/config.d/50-vm-universe.config: /etc/condor/config.d is on a read-only file system (EROFS)');
    expect(isVmpError(ro) && ro.hint).toMatch(/^remount it read-write \(findmnt -T \/etc\/condor\/config\.d/);
    const full = fsWriteError(errno('ENOSPC'), '/var/lib/vm-provision/staged', true);
    expect((full as Error).message).toBe('cannot write /var/lib/vm-provision/staged: no space left on the file system holding /var/lib/vm-provision/staged (ENOSPC)');
    expect(isVmpError(full) && full.context.file).toBe('/var/lib/vm-provision/staged');
  });
  it('anything else is returned as it was', () => {
    const e = errno('EEXIST');
    expect(fsWriteError(e, '/x')).toBe(e);
    const plain = new Error('boom');
    expect(fsWriteError(plain, '/x')).toBe(plain);
  });
});
