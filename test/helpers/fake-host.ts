// An in-memory Host for unit tests. Like pyinfra's fake facts: anything the test did not provide fails loudly
// (an exec with no handler throws, naming the argv), and every exec, write and remove is recorded in order so a
// test can assert the exact commands run and that nothing changed.
import { posix } from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ExecOptions, ExecResult, FileInfo, Host, LockHandle } from '../../src/host/host.ts';
import { VmpError } from '../../src/errors/vmp-error.ts';

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
    // Preflight's clock check asks the collector when it last heard from the node: no ad, unless a test says so.
    this.on((c) => c.cmd === 'condor_status' && (c.args[0] === '-af' || c.args[0] === '-af:t') && c.args[1] === 'LastHeardFrom', { stdout: '' });
  }

  // ---- building the node ----

  /** A regular file (its parent directories are created too, and stay when it is removed). */
  file(path: string, content: string, info: Partial<FileInfo> = {}): this {
    this.dir(posix.dirname(norm(path)));
    this.entries.set(this.place(path), { content, info: { kind: 'file', mode: 0o644, uid: 0, gid: 0, size: Buffer.byteLength(content), ...info } });
    return this;
  }

  /** An executable (for which()). */
  bin(path: string): this {
    return this.file(path, '#!/bin/sh\n', { mode: 0o755 });
  }

  /** A device or other special file, e.g. /dev/kvm (lstat kind 'other'). */
  device(path: string, info: Partial<FileInfo> = {}): this {
    this.dir(posix.dirname(norm(path)));
    this.entries.set(this.place(path), { info: { kind: 'other', mode: 0o660, uid: 0, gid: 993, size: 0, ...info } });
    return this;
  }

  symlink(path: string, target: string): this {
    this.dir(posix.dirname(norm(path)));
    this.entries.set(this.place(path), { target, info: { kind: 'symlink', mode: 0o777, uid: 0, gid: 0, size: target.length } });
    return this;
  }

  dir(path: string): this {
    for (let p = this.resolve(path); ; p = posix.dirname(p)) { this.dirs.add(p); if (p === '/') break; }
    return this;
  }

  /** Where a new entry at `path` lands: its directory resolved through symlinks. */
  private place(path: string): string {
    const p = norm(path);
    return p === '/' ? p : posix.join(this.resolve(posix.dirname(p)), posix.basename(p));
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

  content(path: string): string | undefined { return this.entries.get(this.resolve(path))?.content; }
  exists(path: string): boolean { const p = this.resolve(path); return this.entries.has(p) || this.isDir(p); }
  info(path: string): FileInfo | undefined { return this.entries.get(this.resolve(path, false))?.info; }
  /** Deletes a file or link without logging it (for simulated commands such as mv and rm). */
  unlink(path: string): this { this.entries.delete(this.resolve(path, false)); return this; }

  /** Names of the regular files directly in `dir` (for simulators; not logged, never strict). */
  filesIn(dir: string): string[] {
    const prefix = `${this.resolve(dir)}/`;
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
    if (e.content === undefined) throw new Error(`FakeHost: readFile ${path}: the test gave it no content (kind ${e.info.kind})`);
    return e.content;
  }

  async fileInfo(path: string): Promise<FileInfo | undefined> {
    const e = this.lookup(path, 'fileInfo', false);
    if (!e) return undefined;
    if (e === 'dir') return { kind: 'dir', mode: 0o755, uid: 0, gid: 0, size: 4096 };
    return { ...e.info };
  }

  async realpath(path: string): Promise<string | undefined> {
    return this.lookup(path, 'realpath') ? this.resolve(path) : undefined;
  }

  async listDir(path: string): Promise<string[] | undefined> {
    const e = this.lookup(path, 'listDir');
    if (e !== 'dir') return undefined;
    const dir = this.resolve(path);
    const prefix = dir === '/' ? '/' : `${dir}/`;
    const names = new Set<string>();
    for (const p of [...this.entries.keys(), ...this.dirs]) {
      if (p.startsWith(prefix) && p !== dir) names.add(p.slice(prefix.length).split('/')[0]!);
    }
    return [...names].sort();
  }

  async mkdirp(path: string, mode?: number): Promise<void> {
    this.log.push({ op: 'mkdirp', seq: this.seq++, path: norm(path), ...(mode !== undefined ? { mode } : {}) });
    for (let p = this.resolve(path); ; p = posix.dirname(p)) {
      const e = this.entries.get(p);
      if (e) throw Object.assign(new Error(`FakeHost: mkdirp ${path}: ${p} exists and is not a directory`), { code: 'EEXIST' });
      this.dirs.add(p);
      if (p === '/') break;
    }
  }

  async writeFileAtomic(path: string, content: string, opts: { mode?: number } = {}): Promise<void> {
    // rename(2) replaces a link at the last component itself; directories on the way are followed.
    const p = this.resolve(path, false);
    if (!this.isDir(posix.dirname(p))) throw enoent('writeFileAtomic: no directory for', path);
    if (this.isDir(p)) throw Object.assign(new Error(`FakeHost: writeFileAtomic ${path}: is a directory`), { code: 'EISDIR' });
    const prev = this.entries.get(p)?.info;
    const mode = opts.mode ?? prev?.mode ?? 0o644;
    this.log.push({ op: 'write', seq: this.seq++, path: norm(path), content, mode });
    this.entries.set(p, { content, info: { kind: 'file', mode, uid: prev?.uid ?? 0, gid: prev?.gid ?? 0, size: Buffer.byteLength(content) } });
  }

  async remove(path: string): Promise<void> {
    const p = this.resolve(path, false);
    const existed = this.entries.has(p);
    this.log.push({ op: 'remove', seq: this.seq++, path: norm(path), existed });
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

  /** The path with every symlink on the way resolved like the kernel does; `followLast: false` is lstat. */
  resolve(path: string, followLast = true, depth = 0): string {
    const parts = norm(path).split('/').filter(Boolean);
    let cur = '/';
    for (let i = 0; i < parts.length; i++) {
      const next = cur === '/' ? `/${parts[i]}` : `${cur}/${parts[i]}`;
      const target = this.entries.get(next)?.target;
      if (target !== undefined && (followLast || i < parts.length - 1)) {
        if (depth > 40) throw Object.assign(new Error(`FakeHost: ${path}: too many levels of symbolic links`), { code: 'ELOOP' });
        cur = this.resolve(resolveLink(next, target), true, depth + 1);
      } else {
        cur = next;
      }
    }
    return cur;
  }

  private lookup(path: string, what: string, followLast = true): Entry | 'dir' | undefined {
    const p = this.resolve(path, followLast);
    const e = this.entries.get(p);
    if (e) return e;
    if (this.isDir(p)) return 'dir';
    const declared = (q: string) => this.absentPaths.some((a) => q === a || q.startsWith(a === '/' ? a : `${a}/`));
    if (this.strictReads && !declared(p) && !declared(norm(path))) {
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
// Its own model of HTCondor's config reader (not vm-provision's): main config, then each LOCAL_CONFIG_DIR (names
// in strcmp order, skipping LOCAL_CONFIG_DIR_EXCLUDE_REGEXP's default), then LOCAL_CONFIG_FILE; `include` lines
// read their file in place; `NAME @=TAG … @TAG` blocks; a self-reference `$(NAME)` takes the earlier value;
// `SUBSYS.NAME` wins for that subsystem; `_CONDOR_NAME` in the environment wins over every file.

/** HTCondor's default LOCAL_CONFIG_DIR_EXCLUDE_REGEXP (param_info.in). */
const CONDOR_EXCLUDE = /^((\..*)|(.*\.pl)|(.*\.py)|(.*\.sh)|(.*~)|(#.*)|(.*\.rpmsave)|(.*\.rpmnew)|(.*\.dpkg-old)|(.*\.dpkg-dist)|(.*\.cfsaved))$/;
const listOf = (v: string) => v.split(/[\s,]+/).filter(Boolean);

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
  /** The running startd's view, for `condor_config_val -startd`; an ExecReply = the daemon cannot be asked. */
  startd?: (host: FakeHost) => CondorConfigView | ExecReply;
}

/** `name` is the name as written (e.g. startd.VM_MEMORY). */
export interface Def { raw: string; file: string; line?: number; name?: string }

export interface CondorConfigView {
  /** Every file read, in read order (what `condor_config_val -config` lists). */
  sources: string[];
  /** The winning definition of a name: a file and line, <Environment>, or <Default> / <Detected>. */
  lookup(name: string, subsys?: string): Def | undefined;
  /** $(NAME) expanded, recursively. */
  expand(raw: string, subsys?: string): string;
  /** The expanded value, or undefined when not defined (or defined empty by default). */
  value(name: string, subsys?: string): string | undefined;
}

/** Reads the fake's HTCondor config as HTCondor would; undefined when the main config is missing. */
export function readCondorConfig(host: FakeHost, main: string, sim: CondorConfigSim = {}, env: Record<string, string> = {}): CondorConfigView | undefined {
  const defaults = { ...CONDOR_DEFAULTS, ...sim.defaults };
  const defs = new Map<string, Def>();
  const sources: string[] = [];
  const lookup = (n: string, subsys?: string): Def | undefined => {
    const N = n.toUpperCase();
    const d = (subsys && defs.get(`${subsys.toUpperCase()}.${N}`)) || defs.get(N);
    if (d) return d;
    if (N === 'FULL_HOSTNAME') return { raw: host.name, file: '<Detected>' };
    const dv = defaults[N];
    return dv === undefined ? undefined : { raw: dv, file: '<Default>' };
  };
  const expand = (raw: string, subsys?: string, depth = 0): string =>
    depth > 20 ? raw : raw.replace(/\$\((\w+)\)/g, (_, n: string) => { const d = lookup(n, subsys); return d ? expand(d.raw, subsys, depth + 1) : ''; });
  const set = (name: string, raw: string, file: string, line?: number) => {
    const key = name.toUpperCase();
    const self = new RegExp(`\\$\\(${key.replace(/^.*\./, '').replace(/[.]/g, '\\.')}\\)`, 'gi');
    const prev = defs.get(key)?.raw ?? defaults[key] ?? '';
    defs.set(key, { raw: raw.replace(self, prev).trim(), file, line, name });
  };
  const readInto = (file: string, depth = 0): boolean => {
    const text = host.content(file);
    if (text === undefined || depth > 10) return false;
    sources.push(file);
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!;
      if (/^\s*(#|$)/.test(l)) continue;
      let m = /^\s*include\s*(?:ifexist\s*)?:\s*(\S.*?)\s*$/i.exec(l);
      if (m) { readInto(expand(m[1]!), depth + 1); continue; }
      m = /^\s*([A-Za-z0-9_.]+)\s*@=\s*(\w*)\s*$/.exec(l);
      if (m) {
        const body: string[] = [];
        const start = i;
        while (++i < lines.length && lines[i]!.trim() !== `@${m[2]}`) body.push(lines[i]!);
        set(m[1]!, body.join('\n'), file, start + 1);
        continue;
      }
      m = /^\s*([A-Za-z0-9_.]+)\s*=\s*(.*?)\s*$/.exec(l);
      if (m) set(m[1]!, m[2]!, file, i + 1);
    }
    return true;
  };
  if (!readInto(main)) return undefined;
  for (const dir of listOf(expand(lookup('LOCAL_CONFIG_DIR')?.raw ?? ''))) {
    for (const f of host.filesIn(dir).sort()) if (!CONDOR_EXCLUDE.test(f)) readInto(`${dir.replace(/\/+$/, '')}/${f}`);
  }
  for (const f of listOf(expand(lookup('LOCAL_CONFIG_FILE')?.raw ?? ''))) readInto(f);
  for (const [k, v] of Object.entries(env)) {
    const m = /^_condor_(.+)$/i.exec(k);
    if (m) set(m[1]!, v, '<Environment>');
  }
  return {
    sources,
    lookup,
    expand: (raw, subsys) => expand(raw, subsys),
    value: (n, subsys) => { const d = lookup(n, subsys); const v = d ? expand(d.raw, subsys) : ''; return d && !(d.file === '<Default>' && v === '') ? v : undefined; },
  };
}

/** `condor_config_val -v` output for names, from one view (HTCondor 23's format). */
function verboseOutput(cfg: CondorConfigView, names: string[], defaults: Record<string, string>, subsys?: string): ExecReply {
  let stdout = '';
  let stderr = '';
  for (const name of names) {
    const d = cfg.lookup(name, subsys);
    const dflt = defaults[name.toUpperCase()];
    const value = cfg.value(name, subsys);
    if (!d || value === undefined) {
      stdout += ` # at: <Default>\n # raw: ${name} = ${dflt ?? ''}\n\n`;
      stderr += `Not defined: ${name}\n`;
      continue;
    }
    const used = d.name && d.name.includes('.') ? d.name : name;
    // HTCondor names <Default> when a file sets a knob to its built-in default.
    const at = d.file.startsWith('<') ? d.file : dflt !== undefined && d.raw === dflt ? '<Default>' : `${d.file}, line ${d.line}`;
    stdout += `${used} = ${value}\n # at: ${at}\n # raw: ${used} = ${d.raw}\n\n`;
  }
  return { exitCode: stderr ? 1 : 0, stdout, stderr };
}

/**
 * An exec handler for `condor_config_val [-subsystem S] [-startd] -v NAME...` and `condor_config_val -config`,
 * answered from the fake's files by readCondorConfig: a value equal to the built-in default is reported as
 * <Default>; FULL_HOSTNAME is <Detected>; an undefined name prints only its "# at"/"# raw" lines, "Not defined"
 * on stderr and exit 1. The env CONDOR_CONFIG replaces the main config; `-startd` asks sim.startd.
 */
export function condorConfigVal(sim: CondorConfigSim = {}): ExecHandler {
  const defaults = { ...CONDOR_DEFAULTS, ...sim.defaults };
  return (call, host) => {
    const args = [...call.args];
    let subsys: string | undefined;
    let daemon = false;
    let verbose = false;
    let sourcesOnly = false;
    while (args[0]?.startsWith('-')) {
      const a = args.shift()!;
      if (a === '-v' || a === '-verbose') verbose = true;
      else if (a === '-subsystem') subsys = args.shift();
      else if (a === '-startd') daemon = true;
      else if (a === '-config') sourcesOnly = true;
      else throw new Error(`condorConfigVal: option ${a} is not simulated (${call.argv.join(' ')})`);
    }
    if (daemon) {
      if (!sim.startd) throw new Error('condorConfigVal: -startd needs sim.startd');
      const view = sim.startd(host);
      if (!('lookup' in view)) return view;
      return verboseOutput(view, args, defaults, 'STARTD');
    }
    const main = call.opts.env?.CONDOR_CONFIG ?? sim.mainConfig ?? '/etc/condor/condor_config';
    const cfg = readCondorConfig(host, main, sim);
    if (!cfg) return { exitCode: 1, stderr: `ERROR: Can't read config source ${main}\n` };
    if (sourcesOnly) {
      const [first, ...rest] = cfg.sources;
      return { stdout: [first, ...rest].map((f) => `\t${f}\n`).join(''), stderr: `Configuration source:\n${rest.length ? 'Local configuration sources:\n\n' : ''}` };
    }
    if (!verbose) throw new Error(`condorConfigVal: only -v is simulated, got ${call.argv.join(' ')}`);
    return verboseOutput(cfg, args, defaults, subsys);
  };
}

// ---- a small startd with work on it ----
// Slot ads as `condor_status -l` prints them (captured fixtures), jobs that end at a set time, and the commands
// vm-provision uses to restart it: condor_off -startd + condor_on -startd, condor_restart [-peaceful] -startd, condor_drain [-graceful|-quick|-fast]
// [-reason R] -restart-on-completion ADDR (request ids from 1, printed with -verbose), condor_drain -cancel
// -request-id N ADDR. Retirement follows the real startd: a job may run until MaxJobRetirementTime −
// MachineMaxVacateTime from its start, then it is vacated (requeued); -peaceful waits for every job.

export type ClassAd = Map<string, string>;

/** `condor_status -l` output → one map per ad, raw values (strings keep their quotes). */
export function parseLongAds(text: string): ClassAd[] {
  return text.split(/\n\s*\n/).map((block) => {
    const ad: ClassAd = new Map();
    for (const l of block.split('\n')) {
      const m = /^(\w+) = (.*)$/.exec(l);
      if (m) ad.set(m[1]!, m[2]!);
    }
    return ad;
  }).filter((ad) => ad.size > 0);
}

/** What `-af` prints for a raw value: strings unquoted, `a * b` evaluated, anything else as written. */
export function afValue(raw: string | undefined): string {
  if (raw === undefined) return 'undefined';
  const str = /^"(.*)"$/.exec(raw);
  if (str) return str[1]!;
  const mul = /^(\d+) \* (\d+)$/.exec(raw);
  if (mul) return String(Number(mul[1]) * Number(mul[2]));
  return raw;
}

export interface StartdEvent { at: number; what: string }
export interface FakeJobEnd { slot: string; end: number }

export class FakeStartd {
  ads: ClassAd[];
  /** Job end times (node clock) per slot name; a job without one runs forever. */
  readonly ends = new Map<string, number>();
  readonly events: StartdEvent[] = [];
  /** Jobs vacated (requeued), by JobId. */
  readonly vacated: string[] = [];
  readonly completed: string[] = [];
  private peaceful = false;
  /** condor_off -startd without condor_on yet. */
  off = false;
  private drain?: { id: string; how: string; reason: string; restart: boolean; at: number };
  private nextId = 1;
  /** Seconds between "restart" and the new DaemonStartTime (the master's backoff); no slot ads meanwhile. */
  restartDelay = 0;
  private downUntil = 0;
  /** Set: every condor_status fails with this reply. */
  collectorFailure?: ExecReply;

  constructor(readonly host: FakeHost, longAds: string, opts: { machine?: string } = {}) {
    this.ads = parseLongAds(longAds);
    if (opts.machine) {
      const old = afValue(this.ads[0]?.get('Machine'));
      for (const ad of this.ads) for (const [k, v] of ad) ad.set(k, v.split(old).join(opts.machine));
    }
    host
      .on((c) => c.cmd === 'condor_status' && (c.args[0] === '-af:t' || c.args[0] === '-af'), (c) => this.status(c.args))
      .on(['condor_restart', '-startd'], () => { this.tick(); this.restartNow('graceful'); return { stdout: `Sent "Restart" command for "startd" to master ${host.name}\n` }; })
      .on(['condor_off', '-startd'], () => { this.tick(); this.off = true; return { stdout: 'Sent "Kill-Daemon" command for "startd" to local master\n' }; })
      .on(['condor_on', '-startd'], () => { if (this.off) { this.off = false; this.restartNow('graceful'); } return { stdout: 'Sent "Spawn-Daemon" command for "startd" to local master\n' }; })
      .on(['condor_restart', '-peaceful', '-startd'], () => { this.peaceful = true; this.events.push({ at: host.clock, what: 'peaceful' }); this.tick(); return { stdout: `Sent "Restart-Peaceful" command for "startd" to master ${host.name}\n` }; })
      .on((c) => c.cmd === 'condor_drain', (c) => this.drainCommand(c.args));
  }

  get address(): string { return afValue(this.ads[0]?.get('MyAddress')); }
  get daemonStart(): number { return Number(this.ads[0]?.get('DaemonStartTime') ?? 0); }
  running(): ClassAd[] { return this.ads.filter((a) => a.has('JobId') && /"(Claimed|Preempting)"/.test(a.get('State') ?? '')); }
  isDraining(): boolean { return !!this.drain; }

  /** Sets a policy knob on every slot ad (as the startd publishes it), e.g. MaxJobRetirementTime 1200. */
  set(attr: string, raw: string): this { for (const ad of this.ads) ad.set(attr, raw); return this; }

  /** Moves the startd on to the host's clock: jobs end or are vacated, a pending peaceful/drain restart happens. */
  tick(): void {
    const now = this.host.clock;
    for (const ad of this.running()) {
      const name = afValue(ad.get('Name'));
      const end = this.ends.get(name);
      const jobId = afValue(ad.get('JobId'));
      if (end !== undefined && end <= now) { this.completed.push(jobId); this.freeSlot(ad); continue; }
      if (this.drain && this.drain.how === 'graceful') {
        const r = Number(afValue(ad.get('MaxJobRetirementTime')));
        const v = Number(afValue(ad.get('MachineMaxVacateTime')));
        const start = Number(ad.get('JobStart'));
        if (now - start >= r - v) { this.vacated.push(jobId); this.freeSlot(ad); }
      }
    }
    if (this.peaceful && !this.running().length) this.restartNow('peaceful');
    if (this.drain?.restart && !this.running().length) this.restartNow('drain');
  }

  private freeSlot(ad: ClassAd): void {
    if (afValue(ad.get('SlotType')) === 'Dynamic') { this.ads = this.ads.filter((a) => a !== ad); return; }
    for (const k of ['JobId', 'RemoteOwner', 'RemoteUser', 'JobStart']) ad.delete(k);
    ad.set('State', '"Unclaimed"').set('Activity', '"Idle"');
  }

  private restartNow(mode: string): void {
    for (const ad of this.running()) { this.vacated.push(afValue(ad.get('JobId'))); this.freeSlot(ad); }
    const at = this.host.clock + this.restartDelay;
    for (const ad of this.ads) {
      for (const k of ['Draining', 'DrainingRequestId', 'DrainReason']) ad.delete(k);
      ad.set('DaemonStartTime', String(at));
      if (afValue(ad.get('State')) === 'Drained') ad.set('State', '"Unclaimed"').set('Activity', '"Idle"');
    }
    this.peaceful = false;
    this.drain = undefined;
    this.downUntil = at;
    this.events.push({ at, what: `restart (${mode})` });
  }

  private status(args: string[]): ExecReply {
    if (this.collectorFailure) return this.collectorFailure;
    this.tick();
    const sep = args[0] === '-af:t' ? '\t' : ' ';
    const ci = args.indexOf('-constraint');
    const attrs = args.slice(1, ci < 0 ? undefined : ci);
    const constraint = ci < 0 ? '' : args[ci + 1] ?? '';
    const machine = /Machine == "([^"]*)"/.exec(constraint)?.[1];
    if (this.host.clock < this.downUntil) return { stdout: '' };
    const ads = this.ads.filter((ad) => (machine === undefined || afValue(ad.get('Machine')) === machine)
      && (!constraint.includes('Draining =?= true') || ad.get('Draining') === 'true'));
    return { stdout: ads.map((ad) => attrs.map((a) => afValue(ad.get(a))).join(sep) + '\n').join('') };
  }

  private drainCommand(args: string[]): ExecReply {
    this.tick();
    const target = args.at(-1);
    if (target !== this.address) return { exitCode: 1, stderr: `ERROR: unknown host ${target}\n` };
    if (args.includes('-cancel')) {
      const id = args[args.indexOf('-request-id') + 1];
      if (!this.drain || (id && id !== this.drain.id)) {
        return { exitCode: 1, stderr: `Attempt to send CANCEL_DRAIN_JOBS to startd ${target} failed\nReceived failure from (null) in response to CANCEL_DRAIN_JOBS request: error code 10002: No matching draining request id ${id}.\n` };
      }
      for (const ad of this.ads) {
        for (const k of ['Draining', 'DrainingRequestId', 'DrainReason']) ad.delete(k);
        if (afValue(ad.get('State')) === 'Drained') ad.set('State', '"Unclaimed"').set('Activity', '"Idle"');
        else if (afValue(ad.get('Activity')) === 'Retiring') ad.set('Activity', '"Busy"');
      }
      this.events.push({ at: this.host.clock, what: `cancel ${this.drain.id}` });
      this.drain = undefined;
      return {};
    }
    const how = args.includes('-fast') ? 'fast' : args.includes('-quick') ? 'quick' : 'graceful';
    const reason = args.includes('-reason') ? args[args.indexOf('-reason') + 1]! : 'by root';
    const id = String(this.nextId++);
    this.drain = { id, how, reason, restart: args.includes('-restart-on-completion'), at: this.host.clock };
    for (const ad of this.ads) {
      ad.set('Draining', 'true').set('DrainingRequestId', `"${id}"`).set('DrainReason', JSON.stringify(reason));
      if (afValue(ad.get('State')) === 'Unclaimed') ad.set('State', '"Drained"').set('Activity', '"Retiring"');
      else ad.set('Activity', '"Retiring"');
    }
    if (how !== 'graceful') for (const ad of this.running()) { this.vacated.push(afValue(ad.get('JobId'))); this.freeSlot(ad); }
    this.events.push({ at: this.host.clock, what: `drain ${id} ${how}` });
    this.tick();
    const verbose = args.includes('-verbose') ? `\tRequest id: ${id}\n` : '';
    return { stdout: `Sent request to drain the startd ${target} with (null). This only affects the single startd; any other startds running on the same host will not be drained.\n${verbose}` };
  }
}

/** dpkg-query's batch form as the packages step calls it. */
export const DPKG_QUERY = ['dpkg-query', '-W', '-f', '${Package}\t${db:Status-Abbrev}\n'];

/** A Debian package database on a fake host: dpkg-query answers from `have`; apt-get install adds to it. */
export function withDpkg(host: FakeHost, have: Set<string>): FakeHost {
  return host
    .on((c) => c.argv.slice(0, 4).join('\0') === DPKG_QUERY.join('\0'), (c) => {
      const names = c.args.slice(3);
      return {
        exitCode: names.every((n) => have.has(n)) ? 0 : 1,
        stdout: names.filter((n) => have.has(n)).map((n) => `${n}\tii \n`).join(''),
        stderr: names.filter((n) => !have.has(n)).map((n) => `dpkg-query: no packages found matching ${n}\n`).join(''),
      };
    })
    .on((c) => c.cmd === 'apt-get' && c.args[0] === 'install', (c) => {
      for (const a of c.args.slice(4)) have.add(a);
      return { stdout: 'Setting up ...\n' };
    });
}
