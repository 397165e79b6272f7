import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { acquireRunLock } from '../../../src/host/run-lock.ts';
import { exitCodeFor } from '../../../src/errors/exit-codes.ts';
import { isVmpError, type VmpError } from '../../../src/errors/vmp-error.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const HOLDER = join(import.meta.dirname, 'lock-holder.ts');
const AS_NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];
const isRoot = process.getuid?.() === 0;

async function rejection(p: Promise<unknown>): Promise<VmpError> {
  try { await p; } catch (e) { if (isVmpError(e)) return e; throw e; }
  throw new Error('expected a VmpError, but it resolved');
}

/** Starts a process and waits for the first stdout line starting with `marker`. */
async function startAndWait(proc: ResultPromise, marker: string): Promise<string> {
  return new Promise((res, rej) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith(marker));
      if (line) res(line);
    });
    proc.then((r) => rej(new Error(`exited before "${marker}": ${r.exitCode} ${String(r.stderr)}`)), rej);
  });
}

let dir: string;
let lockPath: string;
const procs: ResultPromise[] = [];
const pids: number[] = [];

beforeEach(() => {
  // Like /run: root-owned, others may only traverse.
  dir = mkdtempSync(join(tmpdir(), 'vmp-lock-'));
  chmodSync(dir, 0o755);
  lockPath = join(dir, 'vm-provision.lock');
});

afterEach(async () => {
  for (const p of procs.splice(0)) { p.kill('SIGKILL'); await p.catch(() => undefined); }
  for (const pid of pids.splice(0)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  rmSync(dir, { recursive: true, force: true });
});

function holder(...extra: string[]): ResultPromise {
  const p = execa(process.execPath, ['--import', 'tsx', HOLDER, lockPath, ...extra], { reject: false, cwd: ROOT });
  procs.push(p);
  return p;
}

describe('run lock: flock on a root-only file', () => {
  it('a second acquisition in the same process is LOCKED (exit 75) naming this PID; free again after release', async () => {
    const first = await acquireRunLock(lockPath);
    const e = await rejection(acquireRunLock(lockPath));
    expect(e.code).toBe('LOCKED');
    expect(exitCodeFor(e.code)).toBe(75);
    expect(e.context.pid).toBe(process.pid);
    expect(e.message).toContain(`PID ${process.pid}`);
    await first.release();
    const again = await acquireRunLock(lockPath);
    await again.release();
  });

  it('the lock file is a regular file of ours, mode 0600, naming the holder; removed on release', async () => {
    const h = await acquireRunLock(lockPath);
    const st = lstatSync(lockPath);
    expect(st.isFile()).toBe(true);
    expect(st.mode & 0o7777).toBe(0o600);
    expect(st.uid).toBe(process.getuid!());
    expect(JSON.parse(readFileSync(lockPath, 'utf8'))).toMatchObject({ pid: process.pid });
    await h.release();
    expect(existsSync(lockPath)).toBe(false);
  });

  it('held by another process: LOCKED names its PID; SIGKILL frees it at once', async () => {
    const p = holder();
    const line = await startAndWait(p, 'locked');
    const pid = Number(line.split(' ')[1]);
    const e = await rejection(acquireRunLock(lockPath));
    expect(e.code).toBe('LOCKED');
    expect(e.context.pid).toBe(pid);
    expect(e.message).toContain(`PID ${pid}`);
    p.kill('SIGKILL');
    await p;
    const mine = await acquireRunLock(lockPath);
    expect(JSON.parse(readFileSync(lockPath, 'utf8'))).toMatchObject({ pid: process.pid });
    await mine.release();
  }, 60_000);

  it('a long-lived child the holder started does not inherit the lock fd nor keep the lock', async () => {
    const p = holder('--spawn-child');
    const line = await startAndWait(p, 'locked');
    const child = Number(line.split(' ')[2]);
    pids.push(child);
    expect(child).toBeGreaterThan(0);
    const fds = readdirSync(`/proc/${child}/fd`).map((fd) => { try { return readlinkSync(`/proc/${child}/fd/${fd}`); } catch { return ''; } });
    expect(fds).not.toContain(lockPath);
    p.kill('SIGKILL');
    await p;
    expect(existsSync(`/proc/${child}`)).toBe(true);
    const mine = await acquireRunLock(lockPath);
    await mine.release();
  }, 60_000);

  it.skipIf(!isRoot)('nobody (any job on an execute node) cannot open or lock the file, and root still takes it', async () => {
    const held = await acquireRunLock(lockPath);
    const tries = [
      ['flock', '--nonblock', '--exclusive', lockPath, 'true'],
      ['flock', '--nonblock', '--shared', lockPath, 'true'],
      ['sh', '-c', `exec 9<"$1" && flock -n 9`, 'sh', lockPath],
    ];
    for (const argv of tries) {
      const r = await execa('setpriv', [...AS_NOBODY, ...argv], { reject: false });
      expect(r.exitCode, argv.join(' ')).not.toBe(0);
      expect(r.stderr, argv.join(' ')).toMatch(/Permission denied/);
    }
    await held.release();
    // Nor can it create the file first while no run holds it.
    const create = await execa('setpriv', [...AS_NOBODY, 'flock', '--nonblock', '--exclusive', lockPath, 'true'], { reject: false });
    expect(create.stderr).toMatch(/Permission denied/);
    expect(existsSync(lockPath)).toBe(false);
    // Nobody keeps trying in a loop while root takes the lock.
    const loop = execa('setpriv', [...AS_NOBODY, 'sh', '-c', `while :; do flock -n -x "$1" true; sleep 0.01; done`, 'sh', lockPath], { reject: false, stdio: 'ignore' });
    procs.push(loop);
    await new Promise((r) => setTimeout(r, 100));
    const mine = await acquireRunLock(lockPath);
    await mine.release();
  });

  it.skipIf(!isRoot)('nobody binding the old abstract socket name no longer makes root\'s run exit 75', async () => {
    const squat = `require('net').createServer().listen({ path: '\\0' + process.argv[1] }, () => console.log('bound'))`;
    const p = execa('setpriv', [...AS_NOBODY, process.execPath, '-e', squat, `vm-provision:${lockPath}`], { reject: false });
    procs.push(p);
    await startAndWait(p, 'bound');
    const mine = await acquireRunLock(lockPath);
    await mine.release();
  });

  it.skipIf(!isRoot)('a readable lock file left by an older version, locked by nobody, is replaced by a root-only one', async () => {
    writeFileSync(lockPath, JSON.stringify({ pid: 1, since: 'then', argv: 'apply old' }) + '\n', { mode: 0o644 });
    chmodSync(lockPath, 0o644);
    const before = lstatSync(lockPath).ino;
    const p = execa('setpriv', [...AS_NOBODY, 'sh', '-c', 'exec 9<"$1" && flock -x 9 && echo held && exec sleep 60', 'sh', lockPath], { reject: false });
    procs.push(p);
    await startAndWait(p, 'held');
    const mine = await acquireRunLock(lockPath);
    const st = lstatSync(lockPath);
    expect(st.ino).not.toBe(before);
    expect(st.mode & 0o7777).toBe(0o600);
    expect(JSON.parse(readFileSync(lockPath, 'utf8'))).toMatchObject({ pid: process.pid });
    await mine.release();
  });

  it('a symlink at the lock path is refused, its target untouched', async () => {
    const target = join(dir, 'victim');
    writeFileSync(target, 'precious\n');
    symlinkSync(target, lockPath);
    const e = await rejection(acquireRunLock(lockPath));
    expect(e.message).toContain('symbolic link');
    expect(readFileSync(target, 'utf8')).toBe('precious\n');
    expect(lstatSync(lockPath).isSymbolicLink()).toBe(true);
  });
});
