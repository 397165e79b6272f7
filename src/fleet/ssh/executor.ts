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
import { shellQuote } from './quote.ts';

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

export interface Preflight { node?: string; nodeMajor?: number; bundle: boolean; profile: boolean; os: string; timeout: boolean }

export function preflightScript(bundle: string, profile: string): string {
  return [
    'echo VMP-PREFLIGHT',
    'if command -v node >/dev/null 2>&1; then echo "node=$(node -v 2>/dev/null)"; else echo node=; fi',
    `[ -f ${shellQuote(bundle)} ] && echo bundle=1 || echo bundle=0`,
    `[ -f ${shellQuote(profile)} ] && echo profile=1 || echo profile=0`,
    '( . /etc/os-release 2>/dev/null; echo "os=${ID:-} ${ID_LIKE:-}" )',
    'command -v timeout >/dev/null 2>&1 && echo timeout=1 || echo timeout=0',
    // An upload whose writer died (controller killed) is removed; a live one is another controller's.
    `for f in ${shellQuote(REMOTE_DIR)}/.upload.* ${shellQuote(REMOTE_DIR)}/profiles/.upload.*; do [ -e "$f" ] || continue; p=\${f##*.}; kill -0 "$p" 2>/dev/null || rm -f "$f"; done`,
    'exit 0',
  ].join('\n');
}

export function parsePreflight(stdout: string): Preflight | undefined {
  if (!stdout.includes('VMP-PREFLIGHT')) return undefined;
  const kv = new Map<string, string>();
  for (const l of stdout.split('\n')) { const i = l.indexOf('='); if (i > 0) kv.set(l.slice(0, i).trim(), l.slice(i + 1).trim()); }
  const node = kv.get('node') || undefined;
  const m = node ? /^v(\d+)\./.exec(node) : null;
  return {
    ...(node ? { node } : {}), ...(m ? { nodeMajor: Number(m[1]) } : {}),
    bundle: kv.get('bundle') === '1', profile: kv.get('profile') === '1', os: kv.get('os') ?? '', timeout: kv.get('timeout') === '1',
  };
}

/** `cat > tmp`, check the hash on the node, then rename: the destination is only ever a complete, checked file. */
export function uploadScript(dest: string, sha: string): string {
  const dir = dirname(dest);
  return [
    'umask 022',
    `mkdir -p ${shellQuote(dir)} || exit 4`,
    `t=${shellQuote(dir)}/.upload.$$`,
    `if cat > "$t" && printf '%s  %s\\n' ${sha} "$t" | sha256sum -c --status -; then mv -f "$t" ${shellQuote(dest)}; else rm -f "$t"; exit 3; fi`,
  ].join('\n');
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
}

export function sshSettingsOf(plan: Pick<FleetPlan, 'fleet' | 'file'>, controlDir: string): SshSettings {
  const s = plan.fleet.ssh;
  const known = s.knownHostsFile !== undefined ? (isAbsolute(s.knownHostsFile) ? s.knownHostsFile : resolve(dirname(plan.file), s.knownHostsFile)) : undefined;
  return { hostKeys: s.hostKeys, connectTimeout: s.connectTimeout, controlDir, ...(known !== undefined ? { knownHostsFile: known } : {}) };
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
  const controlDir = o.controlDir ?? defaultControlDir();
  prepareControlDir(controlDir);
  const settings = sshSettingsOf(plan, controlDir);
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

  const exec: SshExecutor['exec'] = (host, script, x = {}) =>
    run(remoteArgv(host, settings, ['sh', '-c', script], x.timeoutSeconds !== undefined ? { timeoutSeconds: x.timeoutSeconds } : {}), {
      ...(x.signal ? { signal: x.signal } : {}), timeoutMs: ((x.timeoutSeconds ?? 300) + 60) * 1000,
    });

  const connect: SshExecutor['connect'] = async (host, signal) => {
    const t0 = Date.now();
    for (let attempt = 0; ; attempt++) {
      const r = await run(connectArgv(host, settings), { ...(signal ? { signal } : {}), timeoutMs: (settings.connectTimeout + 30) * 1000 });
      if (r.missing) {
        throw new FleetError(FLEET_EXIT.CONFIG, 'USAGE', 'ssh is not installed on this machine', { hint: 'install the OpenSSH client (Debian: apt-get install openssh-client)' });
      }
      if (r.exitCode === 0) { open.set(host.name, host); return undefined; }
      if (r.aborted) return { outcome: 'failed', failure: 'interrupted', cause: 'stopped while connecting (Ctrl-C twice)', durationMs: Date.now() - t0 };
      const f = classifyConnectFailure(host.address, r.exitCode === 0 ? 0 : 255, r.stderr)
        ?? { kind: 'other' as const, cause: lastLine(r.stderr) || `ssh exited ${r.exitCode}`, hint: `run \`ssh -v ${host.address} true\` by hand`, retryable: false };
      if (f.controller) {
        throw new FleetError(FLEET_EXIT.CONFIG, 'USAGE', `${host.name}: ${f.cause}`, { hint: f.hint, context: { host: host.name, command: connectArgv(host, settings), stderrTail: tail(r.stderr) } });
      }
      if (f.retryable && attempt < retries && !signal?.aborted) {
        await sleep(Math.min(30, 2 ** (attempt + 1) - 1) * 1000);
        continue;
      }
      return {
        outcome: 'unreachable', unreachable: f.kind, cause: f.cause, hint: f.hint,
        durationMs: Date.now() - t0,
      };
    }
  };

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

  const release: SshExecutor['release'] = async (hosts) => {
    await Promise.all(hosts.filter((h) => open.has(h.name)).map(async (h) => {
      open.delete(h.name);
      await masterCpu(h);
      await run(exitMasterArgv(h, settings), { timeoutMs: 15_000 });
    }));
  };

  const runHost = async (job: HostJob): Promise<Outcome> => {
    const { host } = job;
    const t0 = Date.now();
    const done = (r: Omit<Outcome, 'durationMs'> & { durationMs?: number }, extra: Partial<Outcome> = {}): Outcome =>
      ({ ...r, ...extra, durationMs: Date.now() - t0 } as Outcome);

    const unreachable = await connect(host, job.signal);
    if (unreachable) return done(unreachable);
    const connectMs = Date.now() - t0;
    const withConnect = { connectMs };

    const prof = profileOf(host);
    const pre = await exec(host, preflightScript(remoteBundle, prof.remote), { timeoutSeconds: 60, signal: job.signal });
    const pf = parsePreflight(pre.stdout);
    if (!pf) {
      const b = becomeFailure(host, pre.stderr);
      if (b) return done(b, withConnect);
      if (pre.aborted) return done({ outcome: 'failed', failure: 'interrupted', cause: 'stopped (Ctrl-C twice)' }, withConnect);
      return done({ outcome: 'failed', failure: pre.exitCode === 255 ? 'lost' : 'remote', cause: `the preflight on the node failed (exit ${pre.exitCode}): ${lastLine(pre.stderr) || 'no output'}` }, withConnect);
    }
    if (pf.nodeMajor === undefined || pf.nodeMajor < MIN_NODE_MAJOR) {
      const install = nodeInstallCommand(pf.os);
      let fixed = false;
      if (o.installNode && !job.check) {
        const r = await exec(host, `${install} >/dev/null 2>&1; node -v`, { timeoutSeconds: 900, signal: job.signal });
        const m = /^v(\d+)\./m.exec(r.stdout);
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
    // --check leaves the node as it was: what is not already shipped goes to a temporary directory, removed after.
    const stage = job.check && (!pf.bundle || !pf.profile) ? `/tmp/vm-provision-check.${job.run}` : undefined;
    const bundleAt = stage && !pf.bundle ? `${stage}/${basename(remoteBundle)}` : remoteBundle;
    const profileAt = stage && !pf.profile ? `${stage}/${basename(prof.remote)}` : prof.remote;
    const cleanup = async () => { if (stage) await exec(host, `rm -rf ${shellQuote(stage)}`, { timeoutSeconds: 30 }); };
    if (!pf.bundle) {
      const f = await upload(host, bundleBytes, bundleAt, bundleSha, job.signal);
      if (f) { await cleanup(); return done(f, withConnect); }
    }
    if (!pf.profile) {
      const f = await upload(host, prof.bytes, profileAt, prof.sha, job.signal);
      if (f) { await cleanup(); return done(f, withConnect); }
    }
    try {
      return await runAgent(job, t0, bundleAt, profileAt, pf, withConnect, done);
    } finally {
      await cleanup();
    }
  };

  const runAgent = async (job: HostJob, t0: number, bundleAt: string, profileAt: string, pf: Preflight, withConnect: { connectMs: number },
    done: (r: Omit<Outcome, 'durationMs'>, extra?: Partial<Outcome>) => Outcome): Promise<Outcome> => {
    const { host } = job;
    // The deadline is enforced on the node by timeout(1); the local guard only catches a hung connection.
    const timeoutSeconds = Math.max(1, Math.floor((job.deadline - Date.now()) / 1000));
    const output = new AgentOutput();
    const argv = remoteArgv(host, settings, agentArgv(bundleAt, profileAt, job.check), pf.timeout ? { timeoutSeconds } : {});
    const r = await run(argv, {
      signal: job.signal, timeoutMs: (timeoutSeconds + 60) * 1000,
      onStdout: (chunk) => output.push(chunk).forEach((s) => job.onStep(s)),
    });
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
      return done({ outcome: 'failed', failure: 'runtime', cause: `the node could not start the agent: ${lastLine(r.stderr)}`, hint: `install Node.js ≥ ${MIN_NODE_MAJOR}: \`${nodeInstallCommand(pf.os)}\`` }, withConnect);
    }
    return done({ outcome: 'failed', failure: 'lost', cause: `the agent ended (exit ${r.exitCode}) without a summary: ${lastLine(r.stderr) || 'no output'}`, agentExitCode: r.exitCode }, withConnect);
  };

  return {
    settings, exec, connect, release, runHost,
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
  const dir = o.controlDir ?? defaultControlDir();
  prepareControlDir(dir);
  const settings = sshSettingsOf(plan, dir);
  const h = collectorHost(plan, collector);
  // On the collector's own host, -pool would name itself: ask the local collector.
  const remote = argv[0] === 'condor_status' ? argv.filter((a, i) => a !== '-pool' && argv[i - 1] !== '-pool') : [...argv];
  const r = await run(remoteArgv(h, settings, remote), { timeoutMs: (settings.connectTimeout + 90) * 1000 });
  await run(exitMasterArgv(h, settings), { timeoutMs: 15_000 });
  if (r.exitCode === 0) return r.stdout;
  const f = classifyConnectFailure(h.address, r.exitCode, r.stderr);
  throw new FleetError(FLEET_EXIT.UNAVAILABLE, 'COMMAND', f
    ? `cannot ask collector ${collector}: condor_status is not installed here, and ssh to ${h.address} failed: ${f.cause}`
    : `condor_status on ${h.address} failed (exit ${r.exitCode}): ${lastLine(r.stderr)}`, {
    hint: f ? f.hint : 'check the collector daemon on that host', context: { host: h.address, command: remote, stderrTail: tail(r.stderr) },
  });
}
