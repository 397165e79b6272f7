// The run lock is flock(2) on a root-owned 0600 file (under /run): only root can open it, and the kernel frees the
// lock when the open file description goes, i.e. when its holder dies, however it dies, so it cannot go stale.
// The holder writes its PID, start time and argv into the locked file for the "locked" message.
import {
  closeSync, constants as fsc, fstatSync, ftruncateSync, lstatSync, openSync, readSync, renameSync, unlinkSync, writeSync,
  type Stats,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { VmpError } from '../errors/vmp-error.ts';
import { SEARCH_PATH, type LockHandle } from './host.ts';

interface Holder { pid: number; since: string; argv: string }

const LOCK_MODE = 0o600;
/** flock(1)'s exit status when the lock is taken (with --nonblock); distinct from its own error statuses. */
const CONFLICT = 101;
/** How often a lock held on a file that is not ours (wrong owner or mode) is retried before replacing that file. */
const FOREIGN_RETRIES = 10;

// Node opens every fd with O_CLOEXEC, so children spawned later never inherit (and never keep) the lock.
const OPEN_FLAGS = fsc.O_RDWR | fsc.O_NOFOLLOW | fsc.O_NONBLOCK;

function euid(): number {
  return process.geteuid?.() ?? -1;
}

/** A lock file only this user can open: a regular file, owned by us, mode 0600 (no group/other bits), one link. */
function trusted(st: Stats): boolean {
  return st.isFile() && st.uid === euid() && (st.mode & 0o077) === 0 && st.nlink === 1;
}

function lstatOrUndefined(path: string): Stats | undefined {
  try { return lstatSync(path); } catch (e) { if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined; throw e; }
}

function sameFile(a: Stats | undefined, b: Stats): boolean {
  return a !== undefined && a.dev === b.dev && a.ino === b.ino;
}

function kindOf(st: Stats): string {
  return st.isSymbolicLink() ? 'a symbolic link' : st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO'
    : st.isSocket() ? 'a socket' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'not a regular file';
}

function fail(path: string, message: string, hint: string, cause?: unknown): VmpError {
  return new VmpError('PREFLIGHT', `cannot take the run lock ${path}: ${message}`, { hint, context: { file: path }, cause });
}

function openOrFail(path: string, flags: number): number {
  try {
    return openSync(path, flags, LOCK_MODE);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new VmpError('NEEDS_ROOT', `cannot open the run lock ${path}: permission denied (only root can take it)`, {
        hint: 'run vm-provision as root', context: { file: path }, cause: e,
      });
    }
    if (code === 'ELOOP') throw fail(path, 'it is a symbolic link', 'remove it: vm-provision creates its lock file itself (root-owned, mode 0600)', e);
    throw fail(path, (e as Error).message, 'check the directory of the lock file', e);
  }
}

/** flock(LOCK_EX|LOCK_NB) on our fd, through flock(1): the lock belongs to the open file description we keep. */
async function flockFd(fd: number, path: string): Promise<boolean> {
  // The fd is the child's stdin: `flock 0` locks that open file description, which stays ours after the child exits.
  // (execa hands an integer stdin to spawn() as is; its types only spell out 0.)
  const r = await execa('flock', ['--nonblock', '--exclusive', '--conflict-exit-code', String(CONFLICT), '0'], {
    stdin: fd as 0, stdout: 'pipe', stderr: 'pipe', reject: false, env: { PATH: SEARCH_PATH.join(':'), LC_ALL: 'C' }, extendEnv: false,
  });
  if (r.exitCode === 0) return true;
  if (r.exitCode === CONFLICT) return false;
  const notFound = (r.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  throw fail(path, notFound ? 'flock(1) not found' : `flock(1) failed (exit ${r.exitCode ?? '?'}): ${String(r.stderr ?? '').trim()}`,
    notFound ? 'install util-linux (it provides flock)' : 'check the lock file and its directory');
}

function readText(fd: number): string {
  const size = fstatSync(fd).size;
  const buf = Buffer.alloc(Math.min(size, 64 * 1024));
  const n = buf.length ? readSync(fd, buf, 0, buf.length, 0) : 0;
  return buf.subarray(0, n).toString('utf8');
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

async function readHolder(fd: number): Promise<Holder | undefined> {
  // The holder writes its info right after locking (over a killed holder's): allow it a moment.
  for (let i = 0; i < 10; i++) {
    try {
      const h = JSON.parse(readText(fd)) as Holder;
      if (Number.isInteger(h.pid) && alive(h.pid)) return h;
    } catch { /* empty or being written */ }
    await sleep(20);
  }
  return undefined;
}

async function lockedError(fd: number, path: string): Promise<VmpError> {
  const h = await readHolder(fd);
  const who = h ? `PID ${h.pid} (running since ${h.since}: \`vm-provision ${h.argv}\`)` : 'another process (PID not recorded yet)';
  return new VmpError('LOCKED', `another vm-provision run is in progress on this node: ${who}`, {
    hint: h ? `wait for PID ${h.pid} to finish; the lock goes with that process, however it ends` : 'try again in a moment',
    context: { pid: h?.pid, file: path },
  });
}

/** A new 0600 file beside `path`, already locked by us, to be renamed over it. */
async function freshLockedFile(path: string): Promise<{ fd: number; tmp: string }> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}`);
  const fd = openOrFail(tmp, OPEN_FLAGS | fsc.O_CREAT | fsc.O_EXCL);
  try {
    if (!(await flockFd(fd, tmp))) throw fail(path, `a new file ${tmp} was locked by someone else`, 'try again');
    return { fd, tmp };
  } catch (e) {
    closeSync(fd);
    try { unlinkSync(tmp); } catch { /* gone */ }
    throw e;
  }
}

function handle(fd: number, path: string): LockHandle {
  const me: Holder = { pid: process.pid, since: new Date().toISOString(), argv: process.argv.slice(2).join(' ') };
  ftruncateSync(fd, 0);
  writeSync(fd, JSON.stringify(me) + '\n', 0);
  const st = fstatSync(fd);
  let open = true;
  return {
    release: async () => {
      if (!open) return;
      open = false;
      // Unlinked while still locked: whoever locks this inode afterwards sees it is no longer at `path` and retries.
      try { if (sameFile(lstatOrUndefined(path), st)) unlinkSync(path); } catch { /* the lock goes with the fd anyway */ }
      closeSync(fd);
    },
  };
}

export async function acquireRunLock(path: string): Promise<LockHandle> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const before = lstatOrUndefined(path);
    if (before && !before.isFile()) {
      throw fail(path, `it is ${kindOf(before)}`, 'remove it: vm-provision creates its lock file itself (root-owned, mode 0600)');
    }
    const fd = openOrFail(path, OPEN_FLAGS | fsc.O_CREAT);
    let kept = false;
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw fail(path, `it is ${kindOf(st)}`, 'remove it');
      const ours = trusted(st);
      const locked = await flockFd(fd, path);
      // Someone replaced the file between our open and our lock: start again on what is there now.
      if (locked && !sameFile(lstatOrUndefined(path), st)) continue;
      if (ours) {
        if (!locked) throw await lockedError(fd, path);
        kept = true;
        return handle(fd, path);
      }
      // Another owner or loose mode (an older vm-provision wrote it 0644): anyone who opened it could lock it.
      // Replace it while holding its lock; a lock still held after the retries is not a vm-provision run's.
      if (!locked && attempt < FOREIGN_RETRIES) { await sleep(20); continue; }
      const fresh = await freshLockedFile(path);
      try {
        renameSync(fresh.tmp, path);
      } catch (e) {
        closeSync(fresh.fd);
        try { unlinkSync(fresh.tmp); } catch { /* gone */ }
        throw fail(path, (e as Error).message, 'check the directory of the lock file', e);
      }
      if (!sameFile(lstatOrUndefined(path), fstatSync(fresh.fd))) { closeSync(fresh.fd); continue; }
      return handle(fresh.fd, path);
    } finally {
      if (!kept) closeSync(fd);
    }
  }
  throw fail(path, 'the lock file kept changing while we tried to lock it', 'try again; check what else writes it');
}
