// An in-memory Host for unit tests. Like pyinfra's fake facts: anything the test did not provide fails loudly
// (an exec with no handler throws, naming the argv), and every exec, write and remove is recorded in order so a
// test can assert the exact commands run and that nothing changed.
import { posix } from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ExecOptions, ExecResult, FileInfo, Host, LockHandle } from '../../src/host/host.ts';
import { VmpError } from '../../src/errors/vmp-error.ts';
import { EXCLUDED_NAME, splitList } from '../../src/condor/config-order.ts';

export interface ExecReply { exitCode?: number; stdout?: string; stderr?: string; timedOut?: boolean }

export interface ExecCall {
  cmd: string;
  args: string[];
  /** [cmd, ...args] */
  argv: string[];
  opts: ExecOptions;
  /** Position in the host's operation log. */
  seq: number;
}

export type ExecHandler = (call: ExecCall, host: FakeHost) => ExecReply | Promise<ExecReply>;
export type ExecMatcher = string[] | ((call: ExecCall) => boolean);

export type Op =
  | { op: 'exec'; seq: number; argv: string[]; env?: Record<string, string> }
  | { op: 'write'; seq: number; path: string; content: string; mode: number }
  | { op: 'remove'; seq: number; path: string; existed: boolean }
  | { op: 'mkdirp'; seq: number; path: string; mode?: number }
  | { op: 'lock'; seq: number; path: string }
  | { op: 'unlock'; seq: number; path: string };

interface Entry { info: FileInfo; content?: string; target?: string }

interface Route { match: ExecMatcher; handler: ExecHandler; calls: number }

export interface FakeHostOptions {
  name?: string;
  /** Seconds since the epoch returned by now(). */
  now?: number;
  /**
   * Strict reads: readFile/fileInfo/listDir/realpath of a path the test neither provided nor declared absent
   * (absent()) throw instead of returning undefined.
   */
  strictReads?: boolean;
}

/** Default clock: shortly after the DaemonStartTime in the captured slot ads. */
export const FAKE_NOW = 1795468600;

const enoent = (what: string, path: string) => Object.assign(new Error(`FakeHost: ${what} ${path}: no such file or directory`), { code: 'ENOENT' });

export class FakeHost implements Host {
  readonly name: string;
  strictReads: boolean;
  clock: number;
  /** Everything that happened, in order. */
  readonly log: Op[] = [];
  readonly calls: ExecCall[] = [];
  /** Set to make acquireLock throw LOCKED naming this PID. */
  lockedBy?: number;
  lockHeld = false;

  private readonly entries = new Map<string, Entry>();
  private readonly dirs = new Set<string>(['/']);
  private readonly absentPaths: string[] = [];
  private readonly routes: Route[] = [];
  private seq = 0;

  constructor(opts: FakeHostOptions = {}) {
    this.name = opts.name ?? 'vmp-clim4ti-1';
    this.clock = opts.now ?? FAKE_NOW;
    this.strictReads = opts.strictReads ?? false;
  }

  // ---- building the node ----

  /** A regular file (its parent directories are created too, and stay when it is removed). */
  file(path: string, content: string, info: Partial<FileInfo> = {}): this {
    this.dir(posix.dirname(norm(path)));
    this.entries.set(norm(path), { content, info: { kind: 'file', mode: 0o644, uid: 0, gid: 0, size: Buffer.byteLength(content), ...info } });
    return this;
  }

  /** An executable (for which()). */
  bin(path: string): this {
    return this.file(path, '#!/bin/sh\n', { mode: 0o755 });
  }

  /** A device or other special file, e.g. /dev/kvm (lstat kind 'other'). */
  device(path: string, info: Partial<FileInfo> = {}): this {
    this.dir(posix.dirname(norm(path)));
    this.entries.set(norm(path), { info: { kind: 'other', mode: 0o660, uid: 0, gid: 993, size: 0, ...info } });
    return this;
  }

  symlink(path: string, target: string): this {
    this.dir(posix.dirname(norm(path)));
    this.entries.set(norm(path), { target, info: { kind: 'symlink', mode: 0o777, uid: 0, gid: 0, size: target.length } });
    return this;
  }

  dir(path: string): this {
    for (let p = norm(path); ; p = posix.dirname(p)) { this.dirs.add(p); if (p === '/') break; }
    return this;
  }

  /** Paths known not to exist, with everything under them: they read as undefined under strictReads. */
  absent(...paths: string[]): this {
    this.absentPaths.push(...paths.map(norm));
    return this;
  }

  /** Handler for an exact argv, or for calls a predicate accepts. The latest registration wins. A reply array
   * answers successive calls in turn and repeats its last reply. */
  on(match: ExecMatcher, reply: ExecReply | ExecReply[] | ExecHandler): this {
    const handler: ExecHandler = typeof reply === 'function' ? reply
      : Array.isArray(reply) ? ((_c, _h) => reply[Math.min(route.calls - 1, reply.length - 1)]!)
        : () => reply;
    const route: Route = { match, handler, calls: 0 };
    this.routes.unshift(route);
    return this;
  }

  /** Any call of `cmd`, whatever its arguments. */
  onCommand(cmd: string, reply: ExecReply | ExecReply[] | ExecHandler): this {
    return this.on((c) => c.cmd === cmd, reply);
  }

  setNow(seconds: number): this { this.clock = seconds; return this; }
  advance(seconds: number): this { this.clock += seconds; return this; }

  // ---- inspecting ----

  content(path: string): string | undefined { return this.entries.get(norm(path))?.content; }
  exists(path: string): boolean { return this.entries.has(norm(path)) || this.dirs.has(norm(path)); }
  info(path: string): FileInfo | undefined { return this.entries.get(norm(path))?.info; }

  /** Names of the regular files directly in `dir` (for simulators; not logged, never strict). */
  filesIn(dir: string): string[] {
    const prefix = `${norm(dir)}/`;
    const out: string[] = [];
    for (const [p, e] of this.entries) {
      if (p.startsWith(prefix) && !p.slice(prefix.length).includes('/') && e.info.kind === 'file') out.push(p.slice(prefix.length));
    }
    return out.sort();
  }

  /** Each exec as one string, e.g. "systemctl start libvirtd.service". */
  commandLines(): string[] { return this.calls.map((c) => c.argv.join(' ')); }
  ran(argv: string[]): boolean { return this.calls.some((c) => sameArgv(c.argv, argv)); }
  callsOf(cmd: string): ExecCall[] { return this.calls.filter((c) => c.cmd === cmd); }
  writes(): Array<Extract<Op, { op: 'write' }>> { return this.log.filter((o): o is Extract<Op, { op: 'write' }> => o.op === 'write'); }
  removes(): Array<Extract<Op, { op: 'remove' }>> { return this.log.filter((o): o is Extract<Op, { op: 'remove' }> => o.op === 'remove'); }
  /** Everything that changed (or tried to change) the node's files. */
  mutations(): Op[] { return this.log.filter((o) => o.op === 'write' || o.op === 'remove' || o.op === 'mkdirp'); }
  /** Log position of the first op matching, or -1. */
  indexOf(pred: (o: Op) => boolean): number { return this.log.findIndex(pred); }
  /** Forget the recorded calls (e.g. after setting a node up through its own handlers). */
  clearLog(): void { this.log.length = 0; this.calls.length = 0; }

  // ---- Host ----

  async exec(cmd: string, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const seq = this.seq++;
    const call: ExecCall = { cmd, args: [...args], argv: [cmd, ...args], opts, seq };
    this.calls.push(call);
    this.log.push({ op: 'exec', seq, argv: call.argv, ...(opts.env ? { env: opts.env } : {}) });
    const route = this.routes.find((r) => (Array.isArray(r.match) ? sameArgv(r.match, call.argv) : r.match(call)));
    if (!route) throw new Error(`FakeHost: no exec handler for: ${call.argv.map(quote).join(' ')}`);
    route.calls++;
    const r = await route.handler(call, this);
    return { command: call.argv, exitCode: r.exitCode ?? 0, stdout: r.stdout ?? '', stderr: r.stderr ?? '', durationMs: 0, ...(r.timedOut ? { timedOut: true } : {}) };
  }

  async readFile(path: string): Promise<string | undefined> {
    const e = this.lookup(path, 'readFile');
    if (!e) return undefined;
    if (e === 'dir') throw Object.assign(new Error(`FakeHost: readFile ${path}: is a directory`), { code: 'EISDIR' });
    if (e.target !== undefined) return this.readFile(resolveLink(path, e.target));
    if (e.content === undefined) throw new Error(`FakeHost: readFile ${path}: the test gave it no content (kind ${e.info.kind})`);
    return e.content;
  }

  async fileInfo(path: string): Promise<FileInfo | undefined> {
    const e = this.lookup(path, 'fileInfo');
    if (!e) return undefined;
    if (e === 'dir') return { kind: 'dir', mode: 0o755, uid: 0, gid: 0, size: 4096 };
    return { ...e.info };
  }

  async realpath(path: string): Promise<string | undefined> {
    let p = norm(path);
    for (let hops = 0; hops < 40; hops++) {
      const e = this.lookup(p, 'realpath');
      if (!e) return undefined;
      if (e === 'dir' || e.target === undefined) return p;
      p = resolveLink(p, e.target);
    }
    throw Object.assign(new Error(`FakeHost: realpath ${path}: too many levels of symbolic links`), { code: 'ELOOP' });
  }

  async listDir(path: string): Promise<string[] | undefined> {
    const e = this.lookup(path, 'listDir');
    if (e !== 'dir') return undefined;
    const dir = norm(path);
    const prefix = dir === '/' ? '/' : `${dir}/`;
    const names = new Set<string>();
    for (const p of [...this.entries.keys(), ...this.dirs]) {
      if (p.startsWith(prefix) && p !== dir) names.add(p.slice(prefix.length).split('/')[0]!);
    }
    return [...names].sort();
  }

  async mkdirp(path: string, mode?: number): Promise<void> {
    this.log.push({ op: 'mkdirp', seq: this.seq++, path: norm(path), ...(mode !== undefined ? { mode } : {}) });
    for (let p = norm(path); ; p = posix.dirname(p)) {
      const e = this.entries.get(p);
      if (e) throw Object.assign(new Error(`FakeHost: mkdirp ${path}: ${p} exists and is not a directory`), { code: 'EEXIST' });
      this.dirs.add(p);
      if (p === '/') break;
    }
  }

  async writeFileAtomic(path: string, content: string, opts: { mode?: number } = {}): Promise<void> {
    const p = norm(path);
    if (!this.isDir(posix.dirname(p))) throw enoent('writeFileAtomic: no directory for', path);
    if (this.isDir(p)) throw Object.assign(new Error(`FakeHost: writeFileAtomic ${path}: is a directory`), { code: 'EISDIR' });
    const prev = this.entries.get(p)?.info;
    const mode = opts.mode ?? prev?.mode ?? 0o644;
    this.log.push({ op: 'write', seq: this.seq++, path: p, content, mode });
    this.entries.set(p, { content, info: { kind: 'file', mode, uid: prev?.uid ?? 0, gid: prev?.gid ?? 0, size: Buffer.byteLength(content) } });
  }

  async remove(path: string): Promise<void> {
    const p = norm(path);
    const existed = this.entries.has(p);
    this.log.push({ op: 'remove', seq: this.seq++, path: p, existed });
    if (!existed && this.isDir(p)) throw Object.assign(new Error(`FakeHost: remove ${path}: is a directory`), { code: 'ERR_FS_EISDIR' });
    this.entries.delete(p);
  }

  async acquireLock(path: string): Promise<LockHandle> {
    if (this.lockedBy !== undefined) {
      throw new VmpError('LOCKED', `another vm-provision run is in progress on this node: PID ${this.lockedBy}`, { context: { pid: this.lockedBy, file: path } });
    }
    if (this.lockHeld) throw new Error(`FakeHost: acquireLock ${path} while this fake's lock is already held`);
    this.lockHeld = true;
    this.log.push({ op: 'lock', seq: this.seq++, path });
    return {
      release: async () => {
        this.lockHeld = false;
        this.log.push({ op: 'unlock', seq: this.seq++, path });
      },
    };
  }

  async uid(): Promise<number> {
    return Number((await this.exec('id', ['-u'])).stdout.trim());
  }

  async now(): Promise<number> {
    return this.clock;
  }

  // ---- internals ----

  private isDir(p: string): boolean {
    if (this.dirs.has(p)) return true;
    const prefix = p === '/' ? '/' : `${p}/`;
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) return true;
    for (const d of this.dirs) if (d.startsWith(prefix)) return true;
    return false;
  }

  private lookup(path: string, what: string): Entry | 'dir' | undefined {
    const p = norm(path);
    const e = this.entries.get(p);
    if (e) return e;
    if (this.isDir(p)) return 'dir';
    if (this.strictReads && !this.absentPaths.some((a) => p === a || p.startsWith(a === '/' ? a : `${a}/`))) {
      throw new Error(`FakeHost: ${what} of ${path}, which the test did not provide (strictReads; declare it with absent() if it should be missing)`);
    }
    return undefined;
  }
}

function norm(p: string): string {
  if (!p.startsWith('/')) throw new Error(`FakeHost: paths must be absolute, got ${JSON.stringify(p)}`);
  const n = posix.normalize(p);
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
}

function resolveLink(path: string, target: string): string {
  return norm(target.startsWith('/') ? target : posix.join(posix.dirname(norm(path)), target));
}

function sameArgv(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function quote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

// ---- captured outputs ----

const OUTPUTS = fileURLToPath(new URL('../fixtures/outputs/', import.meta.url));

/** A file from test/fixtures/outputs, byte-exact. */
export function output(name: string): string {
  return readFileSync(`${OUTPUTS}${name}`, 'utf8');
}

// ---- a small condor_config_val ----

/** Built-in defaults (raw, as condor_config_val prints them) the simulator knows; '' = defined as empty. */
export const CONDOR_DEFAULTS: Record<string, string> = {
  RELEASE_DIR: '/usr',
  LOCAL_DIR: '/var',
  SBIN: '$(RELEASE_DIR)/sbin',
  BIN: '$(RELEASE_DIR)/bin',
  LOG: '$(LOCAL_DIR)/log',
  VM_TYPE: '',
  VM_GAHP_SERVER: '$(SBIN)/condor_vm-gahp',
  VM_GAHP_LOG: '$(LOG)/VMGahpLog',
  VM_NETWORKING: 'false',
  LOCAL_CONFIG_FILE: '',
};

export interface CondorConfigSim {
  /** The main config (CONDOR_CONFIG); default /etc/condor/condor_config. */
  mainConfig?: string;
  defaults?: Record<string, string>;
}

export interface Def { raw: string; file: string; line?: number }

/**
 * An exec handler that answers `condor_config_val -v NAME...` from the fake's files the way HTCondor 23 does:
 * main config, then each LOCAL_CONFIG_DIR (files in lexical order, skipping excluded names), then
 * LOCAL_CONFIG_FILE; the last definition wins; a value equal to the built-in default is reported as <Default>;
 * FULL_HOSTNAME is <Detected>; an undefined name prints only its "# at"/"# raw" lines, "Not defined" on stderr
 * and exit 1. The env CONDOR_CONFIG replaces the main config and nothing else is read (unless it says so).
 */
export interface CondorConfigView {
  /** The winning definition of a name: a file and line, or <Default> / <Detected>. */
  lookup(name: string): Def | undefined;
  /** $(NAME) expanded, recursively. */
  expand(raw: string): string;
  /** The expanded value, or undefined when not defined (or defined empty by default). */
  value(name: string): string | undefined;
}

/** Reads the fake's HTCondor config as HTCondor would; undefined when the main config is missing. */
export function readCondorConfig(host: FakeHost, main: string, sim: CondorConfigSim = {}): CondorConfigView | undefined {
  const defaults = { ...CONDOR_DEFAULTS, ...sim.defaults };
  const defs = new Map<string, Def>();
  const readInto = (file: string) => {
    const text = host.content(file);
    if (text === undefined) return false;
    text.split('\n').forEach((l, i) => {
      const m = /^\s*([A-Za-z0-9_.]+)\s*=\s*(.*?)\s*$/.exec(l);
      if (m) defs.set(m[1]!.toUpperCase(), { raw: m[2]!, file, line: i + 1 });
    });
    return true;
  };
  if (!readInto(main)) return undefined;
  const lookup = (n: string): Def | undefined => {
    const d = defs.get(n.toUpperCase());
    if (d) return d;
    if (n.toUpperCase() === 'FULL_HOSTNAME') return { raw: host.name, file: '<Detected>' };
    const dv = defaults[n.toUpperCase()];
    return dv === undefined ? undefined : { raw: dv, file: '<Default>' };
  };
  const expand = (raw: string, depth = 0): string =>
    depth > 20 ? raw : raw.replace(/\$\((\w+)\)/g, (_, n: string) => { const d = lookup(n); return d ? expand(d.raw, depth + 1) : ''; });
  for (const dir of splitList(expand(lookup('LOCAL_CONFIG_DIR')?.raw ?? ''))) {
    for (const f of host.filesIn(dir)) if (!EXCLUDED_NAME.test(f)) readInto(`${dir.replace(/\/+$/, '')}/${f}`);
  }
  for (const f of splitList(expand(lookup('LOCAL_CONFIG_FILE')?.raw ?? ''))) readInto(f);
  return {
    lookup,
    expand: (raw) => expand(raw),
    value: (n) => { const d = lookup(n); const v = d ? expand(d.raw) : ''; return d && !(d.file === '<Default>' && v === '') ? v : undefined; },
  };
}

/**
 * An exec handler that answers `condor_config_val -v NAME...` from the fake's files the way HTCondor 23 does:
 * main config, then each LOCAL_CONFIG_DIR (files in lexical order, skipping excluded names), then
 * LOCAL_CONFIG_FILE; the last definition wins; a value equal to the built-in default is reported as <Default>;
 * FULL_HOSTNAME is <Detected>; an undefined name prints only its "# at"/"# raw" lines, "Not defined" on stderr
 * and exit 1. The env CONDOR_CONFIG replaces the main config.
 */
export function condorConfigVal(sim: CondorConfigSim = {}): ExecHandler {
  const defaults = { ...CONDOR_DEFAULTS, ...sim.defaults };
  return (call, host) => {
    if (call.args[0] !== '-v') throw new Error(`condorConfigVal: only -v is simulated, got ${call.argv.join(' ')}`);
    const main = call.opts.env?.CONDOR_CONFIG ?? sim.mainConfig ?? '/etc/condor/condor_config';
    const cfg = readCondorConfig(host, main, sim);
    if (!cfg) return { exitCode: 1, stderr: `ERROR: Can't read config source ${main}\n` };
    let stdout = '';
    let stderr = '';
    for (const name of call.args.slice(1)) {
      const d = cfg.lookup(name);
      const dflt = defaults[name.toUpperCase()];
      const value = cfg.value(name);
      if (!d || value === undefined) {
        stdout += ` # at: <Default>\n # raw: ${name} = ${dflt ?? ''}\n\n`;
        stderr += `Not defined: ${name}\n`;
        continue;
      }
      // HTCondor names <Default> when a file sets a knob to its built-in default.
      const at = d.file.startsWith('<') ? d.file : dflt !== undefined && d.raw === dflt ? '<Default>' : `${d.file}, line ${d.line}`;
      stdout += `${name} = ${value}\n # at: ${at}\n # raw: ${name} = ${d.raw}\n\n`;
    }
    return { exitCode: stderr ? 1 : 0, stdout, stderr };
  };
}
