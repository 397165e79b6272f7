// The production HostExecutor: one host over the system OpenSSH client — connect, preflight, ship, run the agent.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import { execa } from 'execa';
import { AgentOutput } from '../agent-output.ts';
import { FleetError } from '../errors.ts';
import type { HostExecutor, HostJob } from '../engine.ts';
import type { FailureKind, HostResult } from '../events.ts';
import { FLEET_EXIT } from '../exit-codes.ts';
import type { FleetHost, FleetPlan } from '../resolve.ts';
import { agentArgv, connectArgv, exitMasterArgv, remoteArgv, type SshSettings } from './argv.ts';
import { classifyConnectFailure } from './classify.ts';
import { checkControlDir, defaultControlDir } from './control-path.ts';
import { shellJoin, shellQuote } from './quote.ts';

export interface RunOptions {
  /** Fed to stdin (the upload). */
  input?: string | Buffer;
  signal?: AbortSignal;
  timeoutMs?: number;
  onStdout?: (chunk: string) => void;
}
export interface RunResult { exitCode: number; stdout: string; stderr: string; timedOut?: boolean; aborted?: boolean; missing?: boolean }
/** Runs one local argv (always ssh here); injectable for unit tests. Never throws for an exit status. */
export type SshRunner = (argv: readonly string[], o?: RunOptions) => Promise<RunResult>;

export const execaRunner: SshRunner = async (argv, o = {}) => {
  const p = execa(argv[0]!, argv.slice(1), {
    reject: false, stripFinalNewline: false, encoding: 'utf8',
    ...(o.input !== undefined ? { input: o.input } : { stdin: 'ignore' as const }),
    ...(o.timeoutMs !== undefined ? { timeout: o.timeoutMs } : {}),
    ...(o.signal ? { cancelSignal: o.signal } : {}),
    forceKillAfterDelay: 2000,
  });
  if (o.onStdout) p.stdout?.setEncoding('utf8').on('data', (d: string) => o.onStdout!(d));
  const r = await p;
  return {
    exitCode: typeof r.exitCode === 'number' ? r.exitCode : 255,
    stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''),
    ...(r.timedOut ? { timedOut: true } : {}), ...(r.isCanceled ? { aborted: true } : {}),
    ...((r as { code?: string }).code === 'ENOENT' ? { missing: true } : {}),
  };
};

/** Where the fleet keeps shipped builds and profiles on a node (content-addressed: a file there is complete). */
export const REMOTE_DIR = '/var/lib/vm-provision/fleet';
export const MIN_NODE_MAJOR = 20;
/** Next to the build: `<dev:inode:size:mtime of the node binary> <node -v>`; node -v is asked only when the binary changed. */
export const NODE_VERSION_FILE = 'node-version';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const tail = (s: string, n = 5) => s.trim().split('\n').filter((l) => l.trim()).slice(-n).join('\n');
const lastLine = (s: string) => tail(s, 1);

/** The single-file build to ship: the running program when it is the build, else the repository's dist/. */
export function defaultBundlePath(argv1: string | undefined = process.argv[1], env: NodeJS.ProcessEnv = process.env): string {
  if (env.VMP_FLEET_BUNDLE) return resolve(env.VMP_FLEET_BUNDLE);
  if (argv1 && argv1.endsWith('.mjs')) return resolve(argv1);
  return resolve(argv1 ? dirname(argv1) : process.cwd(), '../../dist/vm-provision.mjs');
}

/** The install command for Node.js ≥ 20 on a distribution, from /etc/os-release's ID and ID_LIKE. */
export function nodeInstallCommand(os: string): string {
  const ids = os.toLowerCase().split(/\s+/);
  const has = (...names: string[]) => names.some((n) => ids.includes(n));
  if (has('debian', 'ubuntu')) return 'apt-get install -y nodejs';
  if (has('fedora')) return 'dnf install -y nodejs';
  if (has('rhel', 'centos', 'rocky', 'almalinux')) return 'dnf module install -y nodejs:20';
  if (has('suse', 'opensuse', 'sles', 'opensuse-leap')) return 'zypper --non-interactive install nodejs20';
  if (has('alpine')) return 'apk add nodejs';
  if (has('arch')) return 'pacman -S --noconfirm nodejs';
  return 'install Node.js 20 or later from your distribution or https://nodejs.org';
}

export interface Preflight { node?: string; nodeMajor?: number; bundle: boolean; profile: boolean; os: string; timeout: boolean; profileWrite?: 'failed' }

/** The line the node prints first (it is reached and its shell runs) and the one after which the agent's output starts. */
export const MARK_PREFLIGHT = 'VMP-PREFLIGHT';
export const MARK_RUN = 'VMP-RUN';
/** After a successful agent run: the output of StartScript.after follows this line, then its exit status. */
export const MARK_AFTER = 'VMP-AFTER';

/** A profile this small travels inside the command (base64), so the host needs no round trip of its own for it. */
export const INLINE_PROFILE_MAX = 48 * 1024;

export interface StartScript {
  bundle: string;
  profile: string;
  /** The profile's bytes and hash: written to `profile` on the node when it is not there (checked, then renamed). */
  profileInline?: { bytes: Buffer; sha: string };
  /** The build's hash: stdin carries it, written to `bundle` (checked, then renamed) before anything else. */
  bundleFromStdin?: string;
  /** The agent's argv, run (exec'd) when node ≥ MIN_NODE_MAJOR, the build and the profile are all there. */
  agent: readonly string[];
  timeoutSeconds: number;
  /** --check: a temporary directory removed when the script ends. */
  stage?: string;
  /** Run after the agent when it exited 0, in the same session (the gate's first look at the node's slots). */
  after?: string;
  /** --check: the script writes nothing but the profile it was asked to (the node's version cache is read only). */
  readOnly?: boolean;
}

/** `cat > tmp` (or base64 -d), check the hash on the node, then rename: the destination is only ever complete. */
function placeFile(dest: string, sha: string, fill: string, onFail: string): string {
  const dir = dirname(dest);
  return [
    `mkdir -p ${shellQuote(dir)} || exit 4`,
    `t=${shellQuote(dir)}/.upload.$$`,
    `if ${fill} > "$t" && printf '%s  %s\\n' ${sha} "$t" | sha256sum -c --status -; then mv -f "$t" ${shellQuote(dest)}; else rm -f "$t"; ${onFail}; fi`,
  ].join('\n');
}

/**
 * One round trip per host when nothing needs shipping: say what the node has (node version, build, profile), write
 * the profile when missing, and exec the agent under timeout(1) when everything is there. With bundleFromStdin the
 * build comes first on stdin. Everything before MARK_RUN is the preflight's; everything after is the agent's.
 */
export function startScript(o: StartScript): string {
  const q = shellQuote;
  const withTimeout = ['timeout', '-k', '30', String(o.timeoutSeconds), ...o.agent];
  const dir = dirname(o.bundle);
  const nv = `${dir}/${NODE_VERSION_FILE}`;
  // Written as .upload.node-version.<pid>, then renamed: a writer killed in between leaves what the loop below removes.
  const uploads = [...new Set([REMOTE_DIR, `${REMOTE_DIR}/profiles`, dir])].map((d) => `${q(d)}/.upload.*`).join(' ');
  return [
    `echo ${MARK_PREFLIGHT}`,
    'umask 022',
    ...(o.stage ? [`trap 'rm -rf ${o.stage}' EXIT`, "trap 'exit 129' HUP INT TERM"] : []),
    // An upload whose writer died (controller killed) is removed; a live one is another controller's.
    `for f in ${uploads}; do [ -e "$f" ] || continue; p=\${f##*.}; kill -0 "$p" 2>/dev/null || rm -f "$f"; done`,
    ...(o.bundleFromStdin ? [placeFile(o.bundle, o.bundleFromStdin, 'cat', 'echo transfer=bundle; exit 3')] : []),
    ...(o.profileInline ? [`[ -f ${q(o.profile)} ] || { ${placeFile(o.profile, o.profileInline.sha, `echo ${o.profileInline.bytes.toString('base64')} | base64 -d`, 'echo profile-write=failed').replace(/\n/g, '; ')}; }`] : []),
    // node -v starts Node.js (~60 ms of CPU on Debian's build): its answer is kept per node binary (device, inode,
    // size, mtime), so an upgraded or replaced node is asked again.
    'v=; if n=$(command -v node 2>/dev/null); then',
    '  k=$(stat -L -c %d:%i:%s:%Y "$n" 2>/dev/null); c=',
    `  [ -r ${q(nv)} ] && read -r c < ${q(nv)}`,
    '  if [ -n "$k" ] && [ "${c%% *}" = "$k" ]; then v=${c#* }; else v=$(node -v 2>/dev/null)',
    ...(o.readOnly ? [] : [`    [ -n "$k" ] && [ -n "$v" ] && [ -d ${q(dir)} ] && printf '%s %s\\n' "$k" "$v" > ${q(dir)}/.upload.node-version.$$ && mv -f ${q(dir)}/.upload.node-version.$$ ${q(nv)}`]),
    '  fi',
    'fi',
    'echo "node=$v"',
    `b=0; [ -f ${q(o.bundle)} ] && b=1; echo bundle=$b`,
    `p=0; [ -f ${q(o.profile)} ] && p=1; echo profile=$p`,
    '( . /etc/os-release 2>/dev/null; echo "os=${ID:-} ${ID_LIKE:-}" )',
    't=0; command -v timeout >/dev/null 2>&1 && t=1; echo timeout=$t',
    'm=${v#v}; m=${m%%.*}',
    `if [ "$b$p" = 11 ] && [ "$m" -ge ${MIN_NODE_MAJOR} ] 2>/dev/null; then`,
    `  echo ${MARK_RUN}`,
    ...(o.stage || o.after ? [
      `  if [ $t = 1 ]; then ${shellJoin(withTimeout)}; else ${shellJoin(o.agent)}; fi`,
      '  rc=$?',
      ...(o.after ? [`  if [ $rc = 0 ]; then echo; echo ${MARK_AFTER}; ( ${o.after.replace(/\n/g, '; ')} ); echo "${MARK_AFTER}-EXIT=$?"; fi`] : []),
      '  exit $rc',
    ] : [`  if [ $t = 1 ]; then exec ${shellJoin(withTimeout)}; else exec ${shellJoin(o.agent)}; fi`]),
    'fi',
    'exit 0',
  ].join('\n');
}

export function parsePreflight(stdout: string): Preflight | undefined {
  if (!stdout.includes(MARK_PREFLIGHT)) return undefined;
  const head = stdout.split(`\n${MARK_RUN}\n`)[0]!;
  const kv = new Map<string, string>();
  for (const l of head.split('\n')) { const i = l.indexOf('='); if (i > 0) kv.set(l.slice(0, i).trim(), l.slice(i + 1).trim()); }
  const node = kv.get('node') || undefined;
  const m = node ? /^v(\d+)\./.exec(node) : null;
  return {
    ...(node ? { node } : {}), ...(m ? { nodeMajor: Number(m[1]) } : {}),
    bundle: kv.get('bundle') === '1', profile: kv.get('profile') === '1', os: kv.get('os') ?? '', timeout: kv.get('timeout') === '1',
    ...(kv.get('profile-write') === 'failed' ? { profileWrite: 'failed' as const } : {}),
  };
}

/** Splits a start script's stdout as it streams: the preflight part, (after MARK_RUN) the agent's lines, (after MARK_AFTER) the after script's. */
export class StartOutput {
  head = '';
  running = false;
  /** The after script's output and exit status, once complete. */
  after?: { stdout: string; exitCode: number };
  private partial = '';
  private afterText?: string;
  constructor(private readonly agent: (chunk: string) => void) {}
  push(chunk: string): void {
    if (!this.running) {
      this.head += chunk;
      const at = this.head.indexOf(`\n${MARK_RUN}\n`);
      if (at < 0) return;
      this.running = true;
      chunk = this.head.slice(at + MARK_RUN.length + 2);
      this.head = this.head.slice(0, at + 1);
    }
    if (this.afterText !== undefined) { this.afterText += chunk; this.parseAfter(); return; }
    // Whole lines only, so the mark is seen whatever the chunks.
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    const i = lines.indexOf(MARK_AFTER);
    const agentLines = i < 0 ? lines : lines.slice(0, i);
    if (agentLines.length) this.agent(`${agentLines.join('\n')}\n`);
    if (i >= 0) { this.afterText = [...lines.slice(i + 1), this.partial].join('\n'); this.partial = ''; this.parseAfter(); }
  }
  /** The rest of the agent's output (a last line without a newline). */
  end(): void { if (this.partial) { this.agent(this.partial); this.partial = ''; } }
  private parseAfter(): void {
    const m = new RegExp(`^${MARK_AFTER}-EXIT=(\\d+)$`, 'm').exec(this.afterText ?? '');
    if (m) this.after = { stdout: this.afterText!.slice(0, m.index), exitCode: Number(m[1]) };
  }
  get reached(): boolean { return this.head.includes(MARK_PREFLIGHT); }
}

/** `cat > tmp`, check the hash on the node, then rename: the destination is only ever a complete, checked file. */
export function uploadScript(dest: string, sha: string): string {
  return ['umask 022', placeFile(dest, sha, 'cat', 'exit 3')].join('\n');
}

export interface SshExecutorOptions {
  /** The local single-file build (default: defaultBundlePath()). */
  bundlePath?: string;
  controlDir?: string;
  /** Install Node.js with the node's package manager when it is missing or too old. */
  installNode?: boolean;
  runner?: SshRunner;
  sleep?: (ms: number) => Promise<void>;
  /** Called with a master's CPU (ms) before it exits (the benchmark's controller-side cost); off by default. */
  onMasterCpu?: (host: string, ms: number) => void;
  /** false: this executor only connects and asks (fleet status); no build is read or shipped. */
  ship?: boolean;
  /**
   * A script run on the node right after a successful agent run, in the same session (not with --check); its output
   * is kept for `prefetched` — the per-node gate's first look, without a round trip of its own.
   */
  afterAgent?: string;
}

type Outcome = Awaited<ReturnType<HostExecutor['runHost']>>;

export interface SshExecutor extends HostExecutor {
  settings: SshSettings;
  /** A shell script on the node, through the host's master (reconnects when it is gone); never throws for exit codes. */
  exec(host: FleetHost, script: string, o?: { timeoutSeconds?: number; signal?: AbortSignal }): Promise<RunResult>;
  /** Connects (with retries); undefined when reached, else the unreachable result. */
  connect(host: FleetHost, signal?: AbortSignal): Promise<Outcome | undefined>;
  /** Closes these hosts' masters (after their batch's gate). */
  release(hosts: readonly FleetHost[]): Promise<void>;
  /** The output of options.afterAgent from this host's agent session, once, when `script` is that script. */
  prefetched(host: FleetHost, script: string): RunResult | undefined;
}

export function sshSettingsOf(plan: Pick<FleetPlan, 'fleet' | 'file'>, controlDir: string): SshSettings {
  const s = plan.fleet.ssh;
  const known = s.knownHostsFile !== undefined ? (isAbsolute(s.knownHostsFile) ? s.knownHostsFile : resolve(dirname(plan.file), s.knownHostsFile)) : undefined;
  return { hostKeys: s.hostKeys, connectTimeout: s.connectTimeout, controlDir, persist: s.persist ?? 60, ...(known !== undefined ? { knownHostsFile: known } : {}) };
}

/**
 * The files whose content decides whether a host key would still be accepted: a master opened under other
 * contents is not reused (a changed or removed known_hosts entry is checked again on a fresh connection).
 */
export function hostKeyInputs(knownHostsFile: string | undefined, home: string | undefined = process.env.HOME): string[] {
  const h = home ?? '';
  return [
    ...(knownHostsFile !== undefined ? [knownHostsFile] : [`${h}/.ssh/known_hosts`, `${h}/.ssh/known_hosts2`]),
    '/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2', `${h}/.ssh/config`, '/etc/ssh/ssh_config',
  ];
}

/** The masters' directory for these settings: base/<8 hex of the policy and of hostKeyInputs' contents>. */
export function connectionDir(base: string, s: Pick<SshSettings, 'hostKeys' | 'knownHostsFile'>, read: (f: string) => string = (f) => { try { return readFileSync(f, 'utf8'); } catch { return ''; } }): string {
  const h = createHash('sha256').update(s.hostKeys);
  for (const f of hostKeyInputs(s.knownHostsFile)) h.update(`\0${f}\0${read(f)}`);
  return `${base}/${h.digest('hex').slice(0, 8)}`;
}

/** Settings whose masters live in connectionDir(base): the directory is checked and created private. */
export function sshSettingsFor(plan: Pick<FleetPlan, 'fleet' | 'file'>, base: string): SshSettings {
  const s = sshSettingsOf(plan, base);
  s.controlDir = connectionDir(base, s);
  checkControlDir(s.controlDir);
  prepareControlDir(base);
  prepareControlDir(s.controlDir);
  return s;
}

/** Checks the ControlPath directory's length (exit 78), then creates it private (0700). */
export function prepareControlDir(dir: string): void {
  checkControlDir(dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  if ((st.mode & 0o077) !== 0 || (process.getuid && st.uid !== process.getuid())) {
    throw new FleetError(FLEET_EXIT.CONFIG, 'USAGE', `the SSH control directory ${dir} is not private to this user (mode ${(st.mode & 0o777).toString(8)})`, {
      hint: `remove it or \`chmod 700 ${dir}\`: others could reach your SSH connections through its sockets`,
    });
  }
}

export function createSshExecutor(plan: FleetPlan, o: SshExecutorOptions = {}): SshExecutor {
  const base = o.controlDir ?? defaultControlDir();
  const settings = sshSettingsFor(plan, base);
  const run = o.runner ?? execaRunner;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const retries = plan.fleet.ssh.connectRetries ?? 2;

  const bundlePath = o.bundlePath ?? defaultBundlePath();
  let bundleBytes: Buffer = Buffer.alloc(0);
  if (o.ship !== false) try { bundleBytes = readFileSync(bundlePath); } catch (e) {
    throw new FleetError(FLEET_EXIT.CONFIG, 'USAGE', `cannot read the build to ship, ${bundlePath}: ${(e as Error).message}`, {
      hint: 'run `npm run build` (it writes dist/vm-provision.mjs), or set VMP_FLEET_BUNDLE to the single-file build',
    });
  }
  const bundleSha = sha256(bundleBytes);
  const remoteBundle = `${REMOTE_DIR}/vm-provision-${bundleSha}.mjs`;
  const profiles = new Map<string, { sha: string; remote: string; bytes: Buffer }>();
  const profileOf = (h: FleetHost) => {
    let p = profiles.get(h.profile.file);
    if (!p) {
      const bytes = readFileSync(h.profile.file);
      const sha = sha256(bytes);
      const stem = basename(h.profile.file, extname(h.profile.file)).replace(/[^A-Za-z0-9_.-]/g, '_');
      p = { sha, bytes, remote: `${REMOTE_DIR}/profiles/${stem}-${sha.slice(0, 16)}.yaml` };
      profiles.set(h.profile.file, p);
    }
    return p;
  };
  const open = new Map<string, FleetHost>();
  const afterOutput = new Map<string, { stdout: string; exitCode: number }>();
  const prefetched: SshExecutor['prefetched'] = (host, script) => {
    const a = script === o.afterAgent ? afterOutput.get(host.name) : undefined;
    afterOutput.delete(host.name);
    return a ? { exitCode: a.exitCode, stdout: a.stdout, stderr: '' } : undefined;
  };

  const exec: SshExecutor['exec'] = (host, script, x = {}) =>
    run(remoteArgv(host, settings, ['sh', '-c', script], x.timeoutSeconds !== undefined ? { timeoutSeconds: x.timeoutSeconds } : {}), {
      ...(x.signal ? { signal: x.signal } : {}), timeoutMs: ((x.timeoutSeconds ?? 300) + 60) * 1000,
    });

  /**
   * The connect phase. With `first`, the host's first command (the start script) is the connect probe: the node is
   * reached when its first line came back; otherwise ssh's stderr says why not (never its exit 255 alone).
   */
  const reach = async (host: FleetHost, signal: AbortSignal | undefined, first?: { argv: string[]; opts: RunOptions; reached: () => boolean; reset: () => void }):
    Promise<{ unreachable?: Outcome; result?: RunResult }> => {
    const t0 = Date.now();
    for (let attempt = 0; ; attempt++) {
      first?.reset();
      const r = first
        ? await run(first.argv, { ...first.opts, ...(signal ? { signal } : {}) })
        : await run(connectArgv(host, settings), { ...(signal ? { signal } : {}), timeoutMs: (settings.connectTimeout + 30) * 1000 });
      if (r.missing) {
        throw new FleetError(FLEET_EXIT.CONFIG, 'USAGE', 'ssh is not installed on this machine', { hint: 'install the OpenSSH client (Debian: apt-get install openssh-client)' });
      }
      if (first ? first.reached() : r.exitCode === 0) { open.set(host.name, host); return { result: r }; }
      if (r.aborted) return { unreachable: { outcome: 'failed', failure: 'interrupted', cause: 'stopped while connecting (Ctrl-C twice)', durationMs: Date.now() - t0 } };
      const f = classifyConnectFailure(host.address, first ? r.exitCode : 255, r.stderr);
      if (!f && first && r.exitCode !== 255) { open.set(host.name, host); return { result: r }; } // reached, but its shell failed (e.g. sudo)
      const why = f ?? { kind: 'other' as const, cause: lastLine(r.stderr) || `ssh exited ${r.exitCode}`, hint: `run \`ssh -v ${host.address} true\` by hand`, retryable: false };
      if (why.controller) {
        throw new FleetError(FLEET_EXIT.CONFIG, 'USAGE', `${host.name}: ${why.cause}`, { hint: why.hint, context: { host: host.name, command: connectArgv(host, settings), stderrTail: tail(r.stderr) } });
      }
      if (why.retryable && attempt < retries && !signal?.aborted) {
        // A master kept from an earlier run may be the one that failed (the host went away since): not reused.
        await run(exitMasterArgv(host, settings), { timeoutMs: 15_000 });
        await sleep(Math.min(30, 2 ** (attempt + 1) - 1) * 1000);
        continue;
      }
      return { unreachable: { outcome: 'unreachable', unreachable: why.kind, cause: why.cause, hint: why.hint, durationMs: Date.now() - t0 } };
    }
  };

  const connect: SshExecutor['connect'] = async (host, signal) => (await reach(host, signal)).unreachable;

  const becomeFailure = (host: FleetHost, stderr: string): Outcome | undefined =>
    /sudo: (a password is required|a terminal is required|\S+ is not in the sudoers)/.test(stderr) || /is not in the sudoers file/.test(stderr)
      ? { outcome: 'failed', failure: 'become', cause: lastLine(stderr.split('\n').filter((l) => l.includes('sudo')).join('\n')), durationMs: 0,
          hint: `${host.user ?? 'the login user'} needs passwordless sudo on ${host.name} (NOPASSWD for the agent), or log in as root (ansible_user=root)` }
      : undefined;

  // Always the bytes that were hashed: a rebuild of dist/ during the rollout must not ship something else.
  const upload = async (host: FleetHost, bytes: Buffer, dest: string, sha: string, signal: AbortSignal): Promise<Outcome | undefined> => {
    const argv = remoteArgv(host, settings, ['sh', '-c', uploadScript(dest, sha)]);
    const r = await run(argv, { input: bytes, signal, timeoutMs: 600_000 });
    if (r.exitCode === 0) return undefined;
    const fail = (failure: FailureKind, cause: string, hint?: string): Outcome => ({ outcome: 'failed', failure, cause, ...(hint ? { hint } : {}), durationMs: 0 });
    if (r.aborted) return fail('interrupted', 'stopped during the upload (Ctrl-C twice)');
    const b = becomeFailure(host, r.stderr);
    if (b) return b;
    if (r.exitCode === 255) return fail('lost', `the connection dropped while shipping ${basename(dest)}: ${lastLine(r.stderr) || 'ssh exited 255'}`);
    if (r.exitCode === 3) return fail('transfer', `${basename(dest)}: its sha256 on the node is not ${sha.slice(0, 16)}…`, 'the copy was damaged on the way or the disk is full: the partial file was removed; run again');
    return fail('transfer', `cannot ship ${basename(dest)} to ${dirname(dest)} (exit ${r.exitCode}): ${lastLine(r.stderr)}`, `check free space and that ${REMOTE_DIR} is writable by ${host.user ?? 'the login user'}`);
  };

  const masterCpu = async (host: FleetHost) => {
    if (!o.onMasterCpu) return;
    const r = await run(['ssh', ...exitMasterArgv(host, settings).slice(1, -4), '-O', 'check', '--', host.address]);
    const pid = /pid=(\d+)/.exec(r.stderr + r.stdout)?.[1];
    if (!pid) return;
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      o.onMasterCpu(host.name, ((Number(f[11]) + Number(f[12])) * 1000) / 100);
    } catch { /* gone */ }
  };

  // With persist > 0 masters stay for the next run (ControlPersist ends them when idle); else closed here.
  const release: SshExecutor['release'] = async (hosts) => {
    await Promise.all(hosts.filter((h) => open.has(h.name)).map(async (h) => {
      open.delete(h.name);
      await masterCpu(h);
      if (!settings.persist) await run(exitMasterArgv(h, settings), { timeoutMs: 15_000 });
    }));
  };

  const afterAgent = o.afterAgent;
  const runHost = async (job: HostJob): Promise<Outcome> => {
    const { host } = job;
    afterOutput.delete(host.name);
    const t0 = Date.now();
    const done = (r: Omit<Outcome, 'durationMs'> & { durationMs?: number }, extra: Partial<Outcome> = {}): Outcome =>
      ({ ...r, ...extra, durationMs: Date.now() - t0 } as Outcome);
    const fail = (failure: FailureKind, cause: string, hint?: string): Omit<Outcome, 'durationMs'> => ({ outcome: 'failed', failure, cause, ...(hint ? { hint } : {}) });
    const prof = profileOf(host);
    const inline = prof.bytes.length <= INLINE_PROFILE_MAX ? { bytes: prof.bytes, sha: prof.sha } : undefined;
    // --check leaves the node as it was: what is not already shipped goes to a temporary directory, removed after.
    const stageDir = `/tmp/vm-provision-check.${job.run}`;

    // The agent's lines stream to the host's step events and its verdict; one AgentOutput per host.
    const output = new AgentOutput();
    let connectMs: number | undefined;
    const start = (o: { bundleAt: string; profileAt: string; shipBundle: boolean; inlineProfile: boolean; stage?: string }) => {
      const timeoutSeconds = Math.max(1, Math.floor((job.deadline - Date.now()) / 1000));
      const script = startScript({
        bundle: o.bundleAt, profile: o.profileAt, agent: agentArgv(o.bundleAt, o.profileAt, job.check, !!job.diff), timeoutSeconds,
        ...(o.shipBundle ? { bundleFromStdin: bundleSha } : {}), ...(o.inlineProfile && inline ? { profileInline: inline } : {}), ...(o.stage ? { stage: o.stage } : {}),
        ...(afterAgent && !job.check ? { after: afterAgent } : {}), ...(job.check ? { readOnly: true } : {}),
      });
      let so = new StartOutput((chunk) => output.push(chunk).forEach((s) => job.onStep(s)));
      return {
        timeoutSeconds,
        get out() { return so; },
        argv: remoteArgv(host, settings, ['sh', '-c', script]),
        opts: {
          ...(o.shipBundle ? { input: bundleBytes } : {}), timeoutMs: (timeoutSeconds + 90) * 1000,
          onStdout: (chunk: string) => { so.push(chunk); if (connectMs === undefined && so.reached) connectMs = Date.now() - t0; },
        } as RunOptions,
        reset: () => { so = new StartOutput((chunk) => output.push(chunk).forEach((s) => job.onStep(s))); },
      };
    };

    // Round trip 1: connect, preflight, write the profile if missing, and run the agent when the build is there.
    const first = start({ bundleAt: remoteBundle, profileAt: prof.remote, shipBundle: false, inlineProfile: !job.check });
    const reached = await reach(host, job.signal, { argv: first.argv, opts: first.opts, reached: () => first.out.reached, reset: first.reset });
    if (reached.unreachable) return done(reached.unreachable);
    const withConnect = { connectMs: connectMs ?? Date.now() - t0 };
    let r = reached.result!;
    let so = first.out;
    let pf = parsePreflight(so.head);
    const ranFirst = so.running;

    if (!ranFirst) {
      if (!pf || !so.head.includes('\nnode=')) {
        const b = becomeFailure(host, r.stderr);
        if (b) return done(b, withConnect);
        if (r.aborted) return done(fail('interrupted', 'stopped (Ctrl-C twice)'), withConnect);
        return done(fail(r.exitCode === 255 ? 'lost' : 'remote', `the preflight on the node failed (exit ${r.exitCode}): ${lastLine(r.stderr) || 'no output'}`), withConnect);
      }
      if (pf.nodeMajor === undefined || pf.nodeMajor < MIN_NODE_MAJOR) {
        const install = nodeInstallCommand(pf.os);
        let fixed = false;
        if (o.installNode && !job.check) {
          const x = await exec(host, `${install} >/dev/null 2>&1; node -v`, { timeoutSeconds: 900, signal: job.signal });
          const m = /^v(\d+)\./m.exec(x.stdout);
          fixed = !!m && Number(m[1]) >= MIN_NODE_MAJOR;
        }
        if (!fixed) {
          return done({
            outcome: 'failed', failure: 'runtime',
            cause: pf.node ? `node ${pf.node} on the node is older than ${MIN_NODE_MAJOR}` : 'no node (Node.js) on the node',
            hint: `install Node.js ≥ ${MIN_NODE_MAJOR} on ${host.name}: \`${install}\`${o.installNode ? '' : ', or run again with --install-node'}`,
          }, withConnect);
        }
      }
      const stage = job.check && (!pf.bundle || !pf.profile) ? stageDir : undefined;
      const bundleAt = stage && !pf.bundle ? `${stage}/${basename(remoteBundle)}` : remoteBundle;
      const profileAt = stage && !pf.profile ? `${stage}/${basename(prof.remote)}` : prof.remote;
      // A profile too big to travel in the command (or whose inline write failed) goes up on its own.
      if (!pf.profile && (!inline || (!job.check && pf.profileWrite === 'failed'))) {
        const f = await upload(host, prof.bytes, profileAt, prof.sha, job.signal);
        if (f) { if (stage) await exec(host, `rm -rf ${shellQuote(stage)}`, { timeoutSeconds: 30 }); return done(f, withConnect); }
      }
      // Round trip 2: ship the build (stdin) when missing, then run the agent.
      const second = start({ bundleAt, profileAt, shipBundle: !pf.bundle, inlineProfile: !pf.profile && !!inline, ...(stage ? { stage } : {}) });
      r = await run(second.argv, { ...second.opts, signal: job.signal });
      so = second.out;
      pf = parsePreflight(so.head) ?? pf;
      if (!so.running) {
        if (r.aborted) return done(fail('interrupted', 'stopped during the upload (Ctrl-C twice)'), withConnect);
        const b = becomeFailure(host, r.stderr);
        if (b) return done(b, withConnect);
        if (r.exitCode === 255) return done(fail('lost', `the connection dropped while shipping the build: ${lastLine(r.stderr) || 'ssh exited 255'}`), withConnect);
        if (so.head.includes('transfer=bundle') || r.exitCode === 3) return done(fail('transfer', `${basename(remoteBundle)}: its sha256 on the node is not ${bundleSha.slice(0, 16)}…`, 'the copy was damaged on the way or the disk is full: the partial file was removed; run again'), withConnect);
        if (pf.profileWrite === 'failed') return done(fail('transfer', `cannot write ${basename(profileAt)} on the node: its sha256 does not match or ${dirname(profileAt)} is not writable`, `check free space and that ${REMOTE_DIR} is writable by ${host.user ?? 'the login user'}`), withConnect);
        return done(fail('transfer', `cannot ship the build to ${dirname(bundleAt)} (exit ${r.exitCode}): ${lastLine(r.stderr) || 'no output'}`, `check free space and that ${REMOTE_DIR} is writable by ${host.user ?? 'the login user'}`), withConnect);
      }
      if (stage && (r.aborted || r.exitCode === 255)) await exec(host, `rm -rf ${shellQuote(stage)}`, { timeoutSeconds: 30 }).catch(() => undefined);
    }
    so.end();
    if (so.after) afterOutput.set(host.name, so.after);
    return agentVerdict(job, t0, r, output, pf?.os ?? '', withConnect, done);
  };

  const agentVerdict = (job: HostJob, t0: number, r: RunResult, output: AgentOutput, os: string, withConnect: { connectMs: number },
    done: (r: Omit<Outcome, 'durationMs'>, extra?: Partial<Outcome>) => Outcome): Outcome => {
    const { host } = job;
    output.end().forEach((s) => job.onStep(s));
    const v = output.verdict(job.check);
    if (v) return done(v, withConnect);
    if (r.aborted) return done({ outcome: 'failed', failure: 'interrupted', cause: 'stopped now (Ctrl-C twice); the node\'s timeout ends the agent' }, withConnect);
    const b = becomeFailure(host, r.stderr);
    if (b) return done(b, withConnect);
    if (r.timedOut || r.exitCode === 124 || r.exitCode === 137 || Date.now() > job.deadline) {
      return done({ outcome: 'failed', failure: 'timeout', cause: `no result within the host timeout (${Math.round((job.deadline - t0) / 1000)} s)`, hint: 'raise rollout.hostTimeout (--host-timeout) or look at the node: the agent was stopped there by timeout(1)' }, withConnect);
    }
    if (r.exitCode === 255) {
      return done({ outcome: 'failed', failure: 'lost', cause: `the connection was lost while the agent ran, before its summary: ${lastLine(r.stderr) || 'ssh exited 255'}`, hint: 'run the fleet again: the agent converges from wherever it stopped' }, withConnect);
    }
    if (r.exitCode === 127) {
      return done({ outcome: 'failed', failure: 'runtime', cause: `the node could not start the agent: ${lastLine(r.stderr)}`, hint: `install Node.js ≥ ${MIN_NODE_MAJOR}: \`${nodeInstallCommand(os)}\`` }, withConnect);
    }
    return done({ outcome: 'failed', failure: 'lost', cause: `the agent ended (exit ${r.exitCode}) without a summary: ${lastLine(r.stderr) || 'no output'}`, agentExitCode: r.exitCode }, withConnect);
  };

  return {
    settings, exec, connect, release, runHost, prefetched,
    afterBatch: (hosts) => release(hosts),
    async close() { await release([...open.values()]); },
  };
}

export type { HostResult };

/** The collector's host as ssh reaches it with the fleet's settings (user, port, key). */
export function collectorHost(plan: Pick<FleetPlan, 'fleet' | 'file'>, collector: string): FleetHost {
  const s = plan.fleet.ssh;
  const name = collector.replace(/:\d+$/, '');
  const key = s.identityFile !== undefined ? (isAbsolute(s.identityFile) ? s.identityFile : resolve(dirname(plan.file), s.identityFile)) : undefined;
  return {
    name, address: name, become: s.become, groups: [],
    ...(s.user !== undefined ? { user: s.user } : {}), ...(s.port !== undefined ? { port: s.port } : {}), ...(key !== undefined ? { identityFile: key } : {}),
    profile: { index: -1, match: '', file: '', profile: {} as FleetHost['profile']['profile'] },
  };
}

/**
 * condor_status for a collector: on this machine when it has the HTCondor tools, else over SSH on the collector's
 * host (one connection, closed after).
 */
export async function queryCollector(plan: Pick<FleetPlan, 'fleet' | 'file'>, collector: string, argv: readonly string[], o: { runner?: SshRunner; controlDir?: string } = {}): Promise<string> {
  const run = o.runner ?? execaRunner;
  const local = await run(argv, { timeoutMs: 60_000 });
  if (!local.missing) {
    if (local.exitCode === 0) return local.stdout;
    throw new FleetError(FLEET_EXIT.UNAVAILABLE, 'COMMAND', `condor_status for collector ${collector} failed (exit ${local.exitCode}): ${lastLine(local.stderr)}`, {
      hint: 'check that the collector is reachable and that this machine may query it (ALLOW_READ)', context: { command: [...argv], stderrTail: tail(local.stderr) },
    });
  }
  const settings = sshSettingsFor(plan, o.controlDir ?? defaultControlDir());
  const h = collectorHost(plan, collector);
  // On the collector's own host, -pool would name itself: ask the local collector.
  const remote = argv[0] === 'condor_status' ? argv.filter((a, i) => a !== '-pool' && argv[i - 1] !== '-pool') : [...argv];
  const r = await run(remoteArgv(h, settings, remote), { timeoutMs: (settings.connectTimeout + 90) * 1000 });
  if (!settings.persist) await run(exitMasterArgv(h, settings), { timeoutMs: 15_000 });
  if (r.exitCode === 0) return r.stdout;
  const f = classifyConnectFailure(h.address, r.exitCode, r.stderr);
  throw new FleetError(FLEET_EXIT.UNAVAILABLE, 'COMMAND', f
    ? `cannot ask collector ${collector}: condor_status is not installed here, and ssh to ${h.address} failed: ${f.cause}`
    : `condor_status on ${h.address} failed (exit ${r.exitCode}): ${lastLine(r.stderr)}`, {
    hint: f ? f.hint : 'check the collector daemon on that host', context: { host: h.address, command: remote, stderrTail: tail(r.stderr) },
  });
}
