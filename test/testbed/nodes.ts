// Test nodes: an overlay on a base image, a network namespace with a veth pair, and systemd booted by systemd-nspawn.
import { appendFileSync, closeSync, existsSync, rmdirSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { run, runSync, type RunResult } from './exec.ts';
import { CACHE_DIR, MAX_SLOTS, NAME_PREFIX, NET_PREFIX, NODE_REPO, STATE_DIR } from './config.ts';
import { ensureImages, type Flavor } from './images.ts';
import { pidAlive } from './lock.ts';
import { kvmDeviceSource, kvmMode, type KvmMode } from './kvm.ts';
import { raiseInotifyLimit } from './prereqs.ts';
import { closeMaster, ensureIdentity, scpIn, sshCommandLine, sshRun, type SshIdentity } from './ssh.ts';

export interface NodeRecord {
  name: string; flavor: Flavor; slot: number; address: string; hostAddress: string; hostVeth: string;
  dir: string; pid: number; ownerPid: number; runId: string; startedAt: string; logFile: string;
  /** What the node's /dev/kvm is: the host's device, or a placeholder node where the host has none. */
  kvm: KvmMode;
}

export interface TestNode extends NodeRecord {
  /** Run argv on the node as root (quoted for the remote shell). */
  ssh(argv: string[], opts?: { input?: string; timeoutMs?: number }): Promise<RunResult>;
  /** `sh -c script` on the node, for test assertions that need pipes. */
  sh(script: string, opts?: { input?: string; timeoutMs?: number }): Promise<RunResult>;
  copyIn(local: string, remote: string): Promise<void>;
  sshCommand: string;
  identity: SshIdentity;
  stop(): Promise<void>;
}

const nodesDir = () => join(STATE_DIR, 'nodes');
const slotsDir = () => join(STATE_DIR, 'slots');

export function slotAddresses(slot: number) {
  const base = slot * 4;
  const ip = (n: number) => `${NET_PREFIX[0]}.${NET_PREFIX[1]}.${Math.floor((base + n) / 256)}.${(base + n) % 256}`;
  return { host: ip(1), node: ip(2), prefix: 30 };
}

/** Atomically claim a free slot: a file created with O_EXCL, so two test processes never share names or addresses. */
function claimSlot(name: string): number {
  mkdirSync(slotsDir(), { recursive: true });
  for (let i = 1; i < MAX_SLOTS; i++) {
    try {
      const fd = openSync(join(slotsDir(), String(i)), 'wx');
      writeFileSync(fd, name);
      closeSync(fd);
      return i;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  throw new Error('testbed: no free address slot in 10.213.0.0/16');
}

export function listRecords(): NodeRecord[] {
  if (!existsSync(nodesDir())) return [];
  return readdirSync(nodesDir()).filter((f) => f.endsWith('.json')).flatMap((f) => {
    try { return [JSON.parse(readFileSync(join(nodesDir(), f), 'utf8')) as NodeRecord]; } catch { return []; }
  });
}

const started = new Set<string>();
let handlersInstalled = false;

function installExitHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const cleanup = () => { for (const name of [...started]) teardownSync(name, 'exit handler'); };
  process.once('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => { cleanup(); process.exit(sig === 'SIGINT' ? 130 : 143); });
  }
}

export interface StartOptions { flavor: Flavor; count?: number; runId?: string; persistent?: boolean; readyTimeoutMs?: number }

/** Start nodes in parallel; resolves when each answers SSH and lists its slot in condor_status. */
export async function startNodes(opts: StartOptions): Promise<TestNode[]> {
  const images = await ensureImages();
  raiseInotifyLimit();
  reapOrphans();
  const runId = opts.runId ?? randomBytes(3).toString('hex');
  const identity = await ensureIdentity(runId);
  if (!opts.persistent) installExitHandlers();
  const count = opts.count ?? 1;
  const nodes = await Promise.allSettled(Array.from({ length: count }, (_, i) =>
    startOne(opts.flavor, `${NAME_PREFIX}-${runId}-${i + 1}`, images[opts.flavor], images.repo, runId, identity, opts)));
  const failed = nodes.filter((n) => n.status === 'rejected');
  if (failed.length) {
    for (const n of nodes) if (n.status === 'fulfilled') await n.value.stop();
    throw (failed[0] as PromiseRejectedResult).reason;
  }
  return nodes.map((n) => (n as PromiseFulfilledResult<TestNode>).value);
}

async function startOne(flavor: Flavor, name: string, lower: string, repo: string, runId: string, identity: SshIdentity, opts: StartOptions): Promise<TestNode> {
  const slot = claimSlot(name);
  const addr = slotAddresses(slot);
  const dir = join(CACHE_DIR, 'nodes', name);
  const rec: NodeRecord = {
    name, flavor, slot, address: addr.node, hostAddress: addr.host, hostVeth: `vmph${slot}`, dir, pid: 0,
    ownerPid: opts.persistent ? 0 : process.pid, runId, startedAt: new Date().toISOString(), logFile: join(dir, 'console.log'),
    kvm: kvmMode(),
  };
  mkdirSync(nodesDir(), { recursive: true });
  const save = () => writeFileSync(join(nodesDir(), `${name}.json`), JSON.stringify(rec, null, 2));
  save();
  started.add(name);
  try {
    const merged = join(dir, 'merged');
    for (const d of ['upper', 'work', 'merged']) mkdirSync(join(dir, d), { recursive: true });
    await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${join(dir, 'upper')},workdir=${join(dir, 'work')}`, merged]);
    writeFileSync(join(merged, 'etc/hostname'), `${name}\n`);
    writeFileSync(join(merged, 'etc/hosts'), `127.0.0.1 localhost\n${addr.node} ${name}\n`);
    writeFileSync(join(merged, 'root/.ssh/authorized_keys'), readFileSync(`${identity.key}.pub`), { mode: 0o600 });

    // Traffic never leaves this machine: a stopped node's address (or a connection that outlives it) hits the
    // blackhole instead of the default route; a live node's /30 is more specific and wins.
    await run('ip', ['route', 'replace', 'blackhole', `${NET_PREFIX[0]}.${NET_PREFIX[1]}.0.0/16`]);
    await run('ip', ['netns', 'add', name]);
    await run('ip', ['link', 'add', rec.hostVeth, 'type', 'veth', 'peer', 'name', `vmpn${slot}`]);
    await run('ip', ['link', 'set', `vmpn${slot}`, 'netns', name]);
    await run('ip', ['-n', name, 'link', 'set', `vmpn${slot}`, 'name', 'eth0']);
    await run('ip', ['addr', 'add', `${addr.host}/${addr.prefix}`, 'dev', rec.hostVeth]);
    await run('ip', ['link', 'set', rec.hostVeth, 'up']);
    await run('ip', ['-n', name, 'addr', 'add', `${addr.node}/${addr.prefix}`, 'dev', 'eth0']);
    await run('ip', ['-n', name, 'link', 'set', 'eth0', 'up']);
    await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    await run('ip', ['-n', name, 'route', 'add', 'default', 'via', addr.host]);

    const args = ['--register=no', '--keep-unit', '-D', merged, '-b', `--machine=${name}`,
      `--network-namespace-path=/run/netns/${name}`, `--bind-ro=${repo}:${NODE_REPO}`, '--console=read-only'];
    args.push(`--bind=${kvmDeviceSource(rec.kvm)}:/dev/kvm`);
    // setsid -f: nspawn outlives this process (the CLI returns while nodes run); we find its PID by its machine name.
    // Plain file descriptors, not pipes: a pipe held open by the daemon would keep this call waiting.
    const out = openSync(rec.logFile, 'a');
    const err = openSync(`${rec.logFile}.err`, 'a');
    // Each node in its own cgroup: with --keep-unit every nspawn would otherwise put its payload in the same
    // /payload cgroup, and one container's systemd stopping a unit (or shutting down) kills the others' processes.
    const cgroups = nodeCgroups(name);
    for (const d of cgroups) mkdirSync(d, { recursive: true });
    try {
      await run('setsid', ['-f', 'sh', '-c', 'for d in $VMP_CGROUPS; do echo $$ > "$d/cgroup.procs"; done; exec "$@"', 'sh', 'systemd-nspawn', ...args], {
        stdin: 'ignore', stdout: out as unknown as 'inherit', stderr: err as unknown as 'inherit', env: { VMP_CGROUPS: cgroups.join(' ') },
      });
    } finally { closeSync(out); closeSync(err); }
    rec.pid = await findNspawn(name);
    save();

    const node = makeNode(rec, identity);
    await waitReady(node, opts.readyTimeoutMs ?? 120_000);
    return node;
  } catch (e) {
    teardownSync(name, `failed start: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    throw e;
  }
}

function makeNode(rec: NodeRecord, identity: SshIdentity): TestNode {
  return {
    ...rec,
    identity,
    sshCommand: sshCommandLine(identity, rec.address),
    ssh: (argv, o) => sshRun(identity, rec.address, argv, o),
    sh: (script, o) => sshRun(identity, rec.address, ['sh', '-c', script], o),
    copyIn: (local, remote) => scpIn(identity, rec.address, local, remote),
    stop: async () => { teardownSync(rec.name); },
  };
}

async function waitReady(node: TestNode, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (!pidAlive(node.pid)) {
      const tail = existsSync(`${node.logFile}.err`) ? readFileSync(`${node.logFile}.err`, 'utf8').slice(-800) : '';
      throw new Error(`testbed: node ${node.name} exited during boot (systemd-nspawn PID ${node.pid}); log ${node.logFile}\n${tail}`);
    }
    const r = await node.ssh(['condor_status', '-af', 'Name'], { timeoutMs: 10_000 });
    if (r.exitCode === 0 && r.stdout.includes('@')) return;
    last = (r.stderr || r.stdout).trim().split('\n').slice(-2).join(' ');
    await sleep(500);
  }
  throw new Error(`testbed: node ${node.name} (${node.address}) not ready after ${timeoutMs / 1000} s: ${last}; console log ${node.logFile}`);
}

/** cgroup hierarchies nspawn uses here (systemd's named v1 hierarchy and the unified one), from mountinfo. */
function cgroupRoots(): string[] {
  const roots: string[] = [];
  for (const l of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [pre, post] = l.split(' - ');
    const mountPoint = pre?.split(' ')[4];
    const [fstype, , opts] = (post ?? '').split(' ');
    if (mountPoint && (fstype === 'cgroup2' || (fstype === 'cgroup' && opts?.split(',').includes('name=systemd')))) roots.push(mountPoint);
  }
  return roots;
}

function nodeCgroups(name: string): string[] {
  return cgroupRoots().map((r) => join(r, 'vmp-testbed', name));
}

/** Kill whatever is left in a node's cgroups, then remove them bottom-up. */
function removeCgroups(name: string) {
  for (const dir of nodeCgroups(name)) {
    if (!existsSync(dir)) continue;
    const walk = (d: string): string[] => [d, ...readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).flatMap((e) => walk(join(d, e.name)))];
    const all = walk(dir);
    for (const d of all) {
      try { for (const p of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) process.kill(Number(p), 'SIGKILL'); } catch { /* gone */ }
    }
    for (const d of all.reverse()) {
      for (let i = 0; i < 50; i++) { try { rmdirSync(d); break; } catch { runSync('sleep', ['0.02']); } }
    }
  }
}

/** All descendants of pid, from each process's parent field in /proc/N/stat (no /proc/N/task/N/children here). */
function descendants(pid: number): number[] {
  const parent = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(ppid, [...(parent.get(ppid) ?? []), Number(d)]);
    } catch { /* exited */ }
  }
  const out: number[] = [];
  const walk = (p: number) => { for (const k of parent.get(p) ?? []) { out.push(k); walk(k); } };
  walk(pid);
  return out;
}

async function findNspawn(name: string): Promise<number> {
  for (let i = 0; i < 100; i++) {
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
        if (argv[0]?.endsWith('systemd-nspawn') && argv.includes(`--machine=${name}`)) return Number(d);
      } catch { /* exited */ }
    }
    await sleep(20);
  }
  throw new Error(`testbed: systemd-nspawn for ${name} did not start`);
}

/** Killing the container's init ends its whole PID namespace; nspawn itself goes last. */
function killNspawnTree(pid: number) {
  const victims = descendants(pid);
  try {
    const where = (p: number) => { try { return readFileSync(`/proc/${p}/cgroup`, 'utf8').split('\n').find((l) => l.includes('name=systemd'))?.split(':')[2] ?? '?'; } catch { return 'gone'; } };
    const groups = [...new Set(victims.map(where).map((g) => g.split('/').slice(0, 3).join('/')))];
    appendFileSync(join(STATE_DIR, 'teardown.log'), `  kill tree of ${pid}: ${victims.length} processes in ${groups.join(' ')}\n`);
  } catch { /* diagnostics only */ }
  for (const p of victims.reverse()) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
  const until = Date.now() + 10_000;
  while (pidAlive(pid) && isNspawn(pid) && Date.now() < until) runSync('sleep', ['0.05']);
  if (pidAlive(pid) && isNspawn(pid)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
}

function nspawnPids(prefix: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (argv[0]?.endsWith('systemd-nspawn') && argv.some((a) => a.startsWith(`--machine=${prefix}`))) out.push(Number(d));
    } catch { /* exited */ }
  }
  return out;
}

function isNspawn(pid: number): boolean {
  try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('systemd-nspawn'); } catch { return false; }
}

/** Synchronous, so it also works from exit and signal handlers: kill, unmount, delete netns and veth, free the slot. */
export function teardownSync(name: string, why = 'stop'): void {
  const file = join(nodesDir(), `${name}.json`);
  // Who tore down what and why: test runs share this machine, so this log answers "who killed my node?".
  try { appendFileSync(join(STATE_DIR, 'teardown.log'), `${new Date().toISOString()} pid ${process.pid} ${why} ${name}\n`); } catch { /* no state dir */ }
  let rec: NodeRecord | undefined;
  try { rec = JSON.parse(readFileSync(file, 'utf8')) as NodeRecord; } catch { /* already gone */ }
  started.delete(name);
  if (!rec) return;
  try {
    const id = { dir: join(STATE_DIR, 'runs', rec.runId), key: join(STATE_DIR, 'runs', rec.runId, 'id_ed25519'), knownHosts: '' };
    id.knownHosts = join(id.dir, 'known_hosts');
    if (existsSync(id.key)) closeMaster(id, rec.address);
  } catch { /* no master */ }
  if (rec.pid && isNspawn(rec.pid)) killNspawnTree(rec.pid);
  removeCgroups(rec.name);
  const merged = join(rec.dir, 'merged');
  if (runSync('mountpoint', ['-q', merged]).exitCode === 0) {
    if (runSync('umount', [merged]).exitCode !== 0) runSync('umount', ['-l', merged]);
  }
  runSync('ip', ['netns', 'del', rec.name]);
  runSync('ip', ['link', 'del', rec.hostVeth]);
  rmSync(rec.dir, { recursive: true, force: true });
  rmSync(join(slotsDir(), String(rec.slot)), { force: true });
  rmSync(file, { force: true });
  const runDir = join(STATE_DIR, 'runs', rec.runId);
  if (!listRecords().some((r) => r.runId === rec!.runId)) rmSync(runDir, { recursive: true, force: true });
}

/** Nodes whose owning test process died (kill -9, crash) are torn down by the next testbed user. */
export function reapOrphans(): string[] {
  const reaped: string[] = [];
  for (const r of listRecords()) {
    if (r.ownerPid !== 0 && r.ownerPid !== process.pid && !pidAlive(r.ownerPid)) { teardownSync(r.name, `orphan of dead PID ${r.ownerPid}`); reaped.push(r.name); }
  }
  return reaped;
}

/** Everything of the testbed, including leftovers without a state file. */
export function downAll(): string[] {
  const names = listRecords().map((r) => r.name);
  for (const n of names) teardownSync(n, 'down --all');
  for (const pid of nspawnPids(`${NAME_PREFIX}-`)) killNspawnTree(pid);
  const netns = runSync('ip', ['netns', 'list']).stdout.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith(`${NAME_PREFIX}-`));
  for (const n of netns) { runSync('ip', ['netns', 'del', n]); names.push(n); }
  for (const l of runSync('ip', ['-o', 'link', 'show']).stdout.split('\n')) {
    const m = /^\d+:\s+(vmph\d+)[@:]/.exec(l);
    if (m) runSync('ip', ['link', 'del', m[1]!]);
  }
  for (const root of cgroupRoots()) {
    const base = join(root, 'vmp-testbed');
    if (existsSync(base)) for (const e of readdirSync(base, { withFileTypes: true })) if (e.isDirectory()) removeCgroups(e.name);
  }
  const nodeRoot = join(CACHE_DIR, 'nodes');
  for (const l of runSync('findmnt', ['-rn', '-o', 'TARGET']).stdout.split('\n')) {
    if (l.startsWith(nodeRoot)) runSync('umount', ['-l', l]);
  }
  rmSync(nodeRoot, { recursive: true, force: true });
  rmSync(slotsDir(), { recursive: true, force: true });
  return [...new Set(names)];
}

/** What of a node is still visible on the host: for the teardown test and `testbed list`. */
export function leftovers(name: string, slot: number) {
  const netns = runSync('ip', ['netns', 'list']).stdout.includes(name);
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').includes(join(CACHE_DIR, 'nodes', name));
  const veth = runSync('ip', ['link', 'show', `vmph${slot}`]).exitCode === 0;
  const procs = runSync('ps', ['-eo', 'args']).stdout.split('\n').filter((l) => l.includes(`--machine=${name}`));
  const cgroups = nodeCgroups(name).some((d) => existsSync(d));
  return { netns, mounts, veth, processes: procs, cgroups };
}

