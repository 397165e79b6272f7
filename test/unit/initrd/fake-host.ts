// A small in-memory Host for the initrd tests: files, symlinks (resolved like the kernel does), and an exec table
// that throws on any command the test did not expect.
import { posix } from 'node:path';
import type { ExecOptions, ExecResult, FileInfo, Host, LockHandle } from '../../../src/host/host.ts';

export type ExecReply = { exitCode?: number; stdout?: string; stderr?: string };
export type ExecRule = (argv: string[]) => ExecReply | undefined;

export class InitrdFakeHost implements Host {
  readonly name = 'fake';
  readonly files = new Map<string, string>();
  readonly links = new Map<string, string>();
  readonly dirs = new Set<string>(['/']);
  readonly execLog: string[][] = [];
  readonly ops: string[] = [];
  rules: ExecRule[] = [];

  constructor(files: Record<string, string> = {}, links: Record<string, string> = {}) {
    for (const [p, c] of Object.entries(files)) this.file(p, c);
    for (const [p, t] of Object.entries(links)) this.link(p, t);
  }

  file(path: string, content: string): this { this.files.set(path, content); this.mkdirs(posix.dirname(path)); return this; }
  link(path: string, target: string): this { this.links.set(path, target); this.mkdirs(posix.dirname(path)); return this; }
  dir(path: string): this { this.mkdirs(path); return this; }
  on(match: string[] | ((argv: string[]) => boolean), reply: ExecReply | ((argv: string[]) => ExecReply)): this {
    this.rules.push((argv) => {
      const hit = Array.isArray(match) ? match.length === argv.length && match.every((m, i) => m === argv[i]) : match(argv);
      if (!hit) return undefined;
      return typeof reply === 'function' ? reply(argv) : reply;
    });
    return this;
  }

  private mkdirs(p: string) { for (let d = p; d !== '/' && !this.dirs.has(d); d = posix.dirname(d)) this.dirs.add(d); }

  /** Resolves every symlink in the path; `followLast: false` keeps the final component (lstat). */
  private resolve(path: string, followLast = true, depth = 0): string | undefined {
    if (depth > 40) return undefined;
    const parts = posix.normalize(path).split('/').filter(Boolean);
    let cur = '/';
    for (let i = 0; i < parts.length; i++) {
      const next = posix.join(cur, parts[i]!);
      const target = this.links.get(next);
      if (target !== undefined && (followLast || i < parts.length - 1)) {
        const resolved = this.resolve(posix.isAbsolute(target) ? target : posix.join(cur, target), true, depth + 1);
        if (resolved === undefined) return undefined;
        cur = resolved;
      } else {
        cur = next;
      }
    }
    return cur;
  }

  private exists(p: string) { return this.files.has(p) || this.dirs.has(p) || this.links.has(p); }

  async exec(cmd: string, args: string[], _opts?: ExecOptions): Promise<ExecResult> {
    const argv = [cmd, ...args];
    this.execLog.push(argv);
    this.ops.push(`exec ${argv.join(' ')}`);
    for (const rule of this.rules) {
      const r = rule(argv);
      if (r) return { command: argv, exitCode: r.exitCode ?? 0, stdout: r.stdout ?? '', stderr: r.stderr ?? '', durationMs: 1 };
    }
    throw new Error(`fake host: unexpected command ${JSON.stringify(argv)}`);
  }

  async readFile(path: string) { const p = this.resolve(path); return p === undefined ? undefined : this.files.get(p); }

  async fileInfo(path: string): Promise<FileInfo | undefined> {
    const p = this.resolve(path, false);
    if (p === undefined) return undefined;
    const base = { mode: 0o644, uid: 0, gid: 0 };
    if (this.links.has(p)) return { kind: 'symlink', ...base, size: this.links.get(p)!.length };
    if (this.files.has(p)) return { kind: 'file', ...base, size: Buffer.byteLength(this.files.get(p)!) };
    if (this.dirs.has(p)) return { kind: 'dir', ...base, mode: 0o755, size: 4096 };
    return undefined;
  }

  async realpath(path: string) { const p = this.resolve(path); return p !== undefined && this.exists(p) ? p : undefined; }

  async listDir(path: string) {
    const p = this.resolve(path);
    if (p === undefined || !this.dirs.has(p)) return undefined;
    const names = new Set<string>();
    for (const k of [...this.files.keys(), ...this.links.keys(), ...this.dirs]) if (k !== p && posix.dirname(k) === p) names.add(posix.basename(k));
    return [...names].sort();
  }

  async mkdirp(path: string) { this.ops.push(`mkdirp ${path}`); this.mkdirs(path); }
  async writeFileAtomic(path: string, content: string) { this.ops.push(`write ${path}`); this.file(this.resolve(path) ?? path, content); }
  async remove(path: string) { this.ops.push(`remove ${path}`); const p = this.resolve(path, false); if (p) { this.files.delete(p); this.links.delete(p); } }
  async acquireLock(): Promise<LockHandle> { return { release: async () => {} }; }
  async uid() { return 0; }
  async now() { return 1_800_000_000; }
}
