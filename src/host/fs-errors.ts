// A write the file system refuses (read-only, full, over quota, not permitted) is the node's state, not a bug:
// name the directory and what to do, instead of the bare errno text.
import { dirname } from 'node:path';
import { VmpError } from '../errors/vmp-error.ts';

const WHY: Record<string, (dir: string) => { why: string; hint: string }> = {
  EROFS: (dir) => ({ why: `${dir} is on a read-only file system`, hint: `remount it read-write (findmnt -T ${dir} shows the mount; mount -o remount,rw MOUNTPOINT), or write elsewhere; then run vm-provision again` }),
  ENOSPC: (dir) => ({ why: `no space left on the file system holding ${dir}`, hint: `free space there (df -h ${dir}), then run vm-provision again` }),
  EDQUOT: (dir) => ({ why: `the disk quota of the file system holding ${dir} is exhausted`, hint: `free space or raise the quota (quota -v; df -h ${dir}), then run vm-provision again` }),
  EACCES: (dir) => ({ why: `permission denied in ${dir}`, hint: `check the owner, mode and attributes of ${dir} (ls -ld ${dir}; lsattr -d ${dir}), then run vm-provision again` }),
  EPERM: (dir) => ({ why: `the operation is not permitted in ${dir} (an immutable attribute, or a security policy)`, hint: `check lsattr -d ${dir} and the node's security policy (SELinux/AppArmor), then run vm-provision again` }),
  EIO: (dir) => ({ why: `an I/O error on the device holding ${dir}`, hint: `check the disk (dmesg), then run vm-provision again` }),
};

/** A VmpError FILESYSTEM for an errno that says the file system refused `path`; anything else is returned as is. */
export function fsWriteError(e: unknown, path: string, isDir = false): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const known = code ? WHY[code] : undefined;
  if (!known) return e;
  const dir = isDir ? path : dirname(path);
  const { why, hint } = known(dir);
  return new VmpError('FILESYSTEM', `cannot write ${path}: ${why} (${code})`, { hint, context: { file: path }, cause: e });
}
