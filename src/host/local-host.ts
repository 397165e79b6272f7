// The Host for the node the agent runs on: node:fs and execa.
import { promises as fs, constants as fsc } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import type { ExecOptions, ExecResult, FileInfo, Host, LockHandle } from './host.ts';
import { SEARCH_PATH } from './host.ts';
import { acquireRunLock } from './run-lock.ts';
import { fsWriteError } from './fs-errors.ts';

const ENV = { PATH: SEARCH_PATH.join(':'), LC_ALL: 'C', LANG: 'C' };

export class LocalHost implements Host {
  readonly name = hostname();

  async exec(cmd: string, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const t0 = Date.now();
    const r = await execa(cmd, args, {
      reject: false, input: opts.input, timeout: opts.timeoutMs, env: { ...ENV, ...opts.env }, extendEnv: false,
      stripFinalNewline: false, stdin: opts.input === undefined ? 'ignore' : undefined,
    });
    if (r.failed && r.exitCode === undefined && !r.timedOut) {
      const code = (r.cause as NodeJS.ErrnoException | undefined)?.code;
      return { command: [cmd, ...args], exitCode: 127, stdout: '', stderr: `${cmd}: ${code === 'ENOENT' ? 'command not found' : r.shortMessage}`, durationMs: Date.now() - t0 };
    }
    if (process.env.VMP_DEBUG) process.stderr.write(`vm-provision: exec ${Date.now() - t0} ms: ${[cmd, ...args].join(' ')}\n`);
    return {
      command: [cmd, ...args], exitCode: r.exitCode ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''),
      durationMs: Date.now() - t0, timedOut: r.timedOut,
    };
  }

  async readFile(path: string): Promise<string | undefined> {
    try { return await fs.readFile(path, 'utf8'); } catch (e) { if (isMissing(e)) return undefined; throw e; }
  }

  async fileInfo(path: string): Promise<FileInfo | undefined> {
    try {
      const s = await fs.lstat(path);
      const kind = s.isSymbolicLink() ? 'symlink' : s.isDirectory() ? 'dir' : s.isFile() ? 'file' : 'other';
      return { kind, mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, size: s.size };
    } catch (e) { if (isMissing(e)) return undefined; throw e; }
  }

  async realpath(path: string): Promise<string | undefined> {
    try { return await fs.realpath(path); } catch (e) { if (isMissing(e)) return undefined; throw e; }
  }

  async listDir(path: string): Promise<string[] | undefined> {
    try { return (await fs.readdir(path)).sort(); } catch (e) { if (isMissing(e)) return undefined; throw e; }
  }

  async mkdirp(path: string, mode = 0o755): Promise<void> {
    try { await fs.mkdir(path, { recursive: true, mode }); } catch (e) { throw fsWriteError(e, path, true); }
  }

  async writeFileAtomic(path: string, content: string, opts: { mode?: number } = {}): Promise<void> {
    try { await writeAtomic(path, content, opts); } catch (e) { throw fsWriteError(e, path); }
  }

  async remove(path: string): Promise<void> {
    await fs.rm(path, { force: true });
  }

  acquireLock(path: string): Promise<LockHandle> {
    return acquireRunLock(path);
  }

  async uid(): Promise<number> {
    return process.getuid?.() ?? Number((await this.exec('id', ['-u'])).stdout.trim());
  }

  async now(): Promise<number> {
    return Math.floor(Date.now() / 1000);
  }
}

async function writeAtomic(path: string, content: string, opts: { mode?: number }): Promise<void> {
  // O_EXCL (with O_NOFOLLOW) never opens what is already there: a planted file or symlink at the name fails the write.
  const tmp = join(dirname(path), `.${basename(path)}.vmp-tmp-${randomBytes(8).toString('hex')}`);
  const prev = await fs.lstat(path).catch((e: unknown) => { if (isMissing(e)) return undefined; throw e; });
  // Replacing a regular file keeps its owner and mode; the given mode is for a new file.
  const keep = prev?.isFile() ? { mode: prev.mode & 0o7777, uid: prev.uid, gid: prev.gid } : undefined;
  const mode = keep?.mode ?? opts.mode ?? 0o644;
  const fh = await fs.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
  try {
    try {
      await fh.writeFile(content, 'utf8');
      if (keep) await fh.chown(keep.uid, keep.gid);
      // After chown, which clears set-id bits; and explicit, as the umask narrowed the open mode.
      await fh.chmod(mode);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  // The rename is durable only once the directory entry is.
  const dir = await fs.open(dirname(path), fsc.O_RDONLY | fsc.O_DIRECTORY);
  try { await dir.sync(); } finally { await dir.close(); }
}

function isMissing(e: unknown): boolean {
  const c = (e as NodeJS.ErrnoException).code;
  return c === 'ENOENT' || c === 'ENOTDIR';
}
