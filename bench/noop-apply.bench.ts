// Benchmark (not a test): the no-op `vm-provision apply` on one converged `full` testbed node, side by side with
// the equivalent hand-written Ansible playbook (playbooks/bench-equivalent-checks.yml) against the same node.
//
//   npx tsx bench/noop-apply.bench.ts [--runs N]      (N >= 10, default 10; needs dist/: `npm run build`)
//
// Goals (from the issue): the no-op apply takes <= 0.5 s, and is >= 10x faster than the Ansible equivalent.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, homedir, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { testbedUnavailable, which } from '../test/testbed/prereqs.ts';
import { listRecords, startNodes, type TestNode } from '../test/testbed/nodes.ts';
import { shellQuote, sshOptions } from '../test/testbed/ssh.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist/vm-provision.mjs');
const PROFILE = join(ROOT, 'examples/kvm-node.yaml');
const PLAYBOOK = join(ROOT, 'playbooks/bench-equivalent-checks.yml');
const RESULTS = join(ROOT, 'bench/results/last.json');
const NODE_BIN = '/usr/local/bin/vm-provision.mjs';
const NODE_PROFILE = '/root/kvm-node.yaml';
const DROP_IN = '/etc/condor/config.d/50-vm-universe.config';
const MIN_RUNS = 10;
const GOAL_NOOP_S = 0.5;
const GOAL_RATIO = 10;

const say = (l = '') => process.stdout.write(`${l}\n`);
const note = (l: string) => process.stderr.write(`[bench] ${l}\n`);

class BenchError extends Error {}
function refuse(why: string): never {
  process.stderr.write(`bench: cannot run: ${why}\n`);
  process.exit(77);
}

function parseArgs(argv: string[]): { runs: number } {
  let runs = MIN_RUNS;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = a === '--runs' ? argv[++i] : a.startsWith('--runs=') ? a.slice(7) : undefined;
    if (a === '--help' || a === '-h') { say('usage: npx tsx bench/noop-apply.bench.ts [--runs N]   (N >= 10, default 10)'); process.exit(0); }
    if (v === undefined) { process.stderr.write(`bench: unknown argument ${a}\n`); process.exit(64); }
    runs = Number(v);
    if (!Number.isInteger(runs) || runs < MIN_RUNS) { process.stderr.write(`bench: --runs must be an integer >= ${MIN_RUNS}\n`); process.exit(64); }
  }
  return { runs };
}

interface Proc { code: number; stdout: string; stderr: string; ms: number }

/** Spawn and wait; ms is the wall time of the whole process as seen from this (host) process. */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 600_000): Promise<Proc> {
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const p = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    p.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', (e) => { clearTimeout(timer); rej(e); });
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      res({ code: code ?? (signal ? 128 : -1), stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

const tailOf = (s: string, n = 25) => s.trimEnd().split('\n').slice(-n).join('\n');

// ---- the three measurements ----------------------------------------------------------------------------------

const APPLY_ARGV = ['node', NODE_BIN, 'apply', NODE_PROFILE, '--detailed-exitcodes'];

/** (a) On the node: the whole `node vm-provision.mjs apply` process, timed by the node's own clock. */
async function inNode(node: TestNode, argv: string[] = APPLY_ARGV): Promise<{ ms: number; code: number; out: string }> {
  const script = `s=$(date +%s%N); ${shellQuote(argv)} >/tmp/bench-run.out 2>&1; rc=$?; e=$(date +%s%N); echo "$rc $((e - s))"`;
  const r = await node.sh(script, { timeoutMs: 300_000 });
  const m = /^(\d+) (\d+)$/m.exec(r.stdout);
  if (r.exitCode !== 0 || !m) throw new BenchError(`in-node timing failed (ssh exit ${r.exitCode}): ${r.stderr || r.stdout}`);
  const code = Number(m[1]);
  const out = code === 0 ? '' : (await node.ssh(['cat', '/tmp/bench-run.out'])).stdout;
  return { ms: Number(m[2]) / 1e6, code, out };
}

/** (b) From the host: ssh + the node process, one fresh SSH connection per run (no ControlMaster). */
function overSsh(node: TestNode, mux: string[] = []): Promise<Proc> {
  return timed('ssh', [...sshOptions(node.identity), ...mux, `root@${node.address}`, '--', shellQuote(APPLY_ARGV)]);
}

/** (b2) options: reuse one SSH connection, as Ansible does by default (ControlMaster=auto, ControlPersist=60s). */
const muxOptions = (dir: string) => ['-o', 'ControlMaster=auto', '-o', `ControlPath=${join(dir, 'cm-%C')}`, '-o', 'ControlPersist=60s'];

/** (c) From the host: ansible-playbook against the same node. */
function ansibleArgs(node: TestNode, varsFile: string, extra: string[] = []): string[] {
  return [
    '-i', `${node.address},`, '-u', 'root', '--private-key', node.identity.key,
    '--ssh-common-args', `-o UserKnownHostsFile=${node.identity.knownHosts} -o StrictHostKeyChecking=accept-new`,
    '-e', `@${varsFile}`, ...extra, PLAYBOOK,
  ];
}

/** Ansible's defaults, except the interpreter (no discovery warning) and colour; no ANSIBLE_* from the caller. */
function ansibleEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ANSIBLE_')) env[k] = v;
  return { ...env, ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3', ANSIBLE_NOCOLOR: '1' };
}

interface Recap { ok: number; changed: number; unreachable: number; failed: number }
function recapOf(stdout: string, host: string): Recap | undefined {
  const re = new RegExp(`^${host.replace(/\./g, '\\.')}\\s+:\\s+ok=(\\d+)\\s+changed=(\\d+)\\s+unreachable=(\\d+)\\s+failed=(\\d+)`, 'm');
  const m = re.exec(stdout);
  return m ? { ok: Number(m[1]), changed: Number(m[2]), unreachable: Number(m[3]), failed: Number(m[4]) } : undefined;
}

function ansibleNoop(r: Proc, node: TestNode, what: string): Recap {
  const recap = recapOf(r.stdout, node.address);
  if (r.code !== 0 || !recap || recap.changed !== 0 || recap.failed !== 0 || recap.unreachable !== 0) {
    throw new BenchError(`${what}: ansible-playbook was not a clean no-op (exit ${r.code}, recap ${recap ? JSON.stringify(recap) : 'missing'}); `
      + `the comparison is only fair when both tools change nothing.\n--- stdout ---\n${tailOf(r.stdout, 80)}\n--- stderr ---\n${tailOf(r.stderr)}`);
  }
  return recap;
}

// ---- statistics and output -------------------------------------------------------------------------------------

interface Stats { median: number; min: number; max: number; mean: number; runs: number; samples: number[] }
function stats(ms: number[]): Stats {
  const s = [...ms].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s.at(-1)!, mean: s.reduce((a, b) => a + b, 0) / s.length, runs: s.length, samples: ms.map((x) => Math.round(x * 10) / 10) };
}
const sec = (ms: number) => (ms / 1000).toFixed(3);

async function firstLine(cmd: string, args: string[]): Promise<string> {
  try { const r = await timed(cmd, args); return (r.stdout || r.stderr).split('\n')[0]?.trim() ?? ''; } catch { return '(not available)'; }
}

// ---- main -----------------------------------------------------------------------------------------------------

async function main() {
  const { runs } = parseArgs(process.argv.slice(2));
  const why = testbedUnavailable();
  if (why) refuse(why);
  if (!which('ansible-playbook')) refuse('ansible-playbook is missing — install it with: apt-get install -y ansible-core');
  if (!existsSync(DIST)) refuse(`${DIST} is missing — build it first: npm run build (or node scripts/build.mjs)`);

  const others = listRecords();
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown', nproc: (await firstLine('nproc', [])),
    hostNode: process.version, ansible: await firstLine('ansible', ['--version']),
    ansibleConfig: (await timed('ansible', ['--version'], ansibleEnv())).stdout.split('\n').find((l) => l.includes('config file'))?.trim() ?? '',
    distBuilt: statSync(DIST).mtime.toISOString(), loadavgStart: loadavg().map((x) => x.toFixed(2)).join(' '),
    otherTestbedNodes: others.length,
  };
  if (others.length) note(`${others.length} other testbed node(s) are running (${others.map((r) => r.name).join(', ')}): figures will be noisier`);

  const tmp = mkdtempSync(join(tmpdir(), 'vmp-bench-'));
  let node: TestNode | undefined;
  try {
    note('starting one full node');
    const t0 = performance.now();
    [node] = await startNodes({ flavor: 'full' });
    if (!node) throw new BenchError('startNodes returned no node');
    note(`${node.name} (${node.address}) ready in ${sec(performance.now() - t0)} s`);
    await node.copyIn(DIST, NODE_BIN);
    await node.copyIn(PROFILE, NODE_PROFILE);
    const nodeInfo = {
      node: (await node.ssh(['node', '--version'])).stdout.trim(),
      condor: /\$CondorVersion: (\S+)/.exec((await node.ssh(['condor_version'])).stdout)?.[1] ?? 'unknown',
      nproc: (await node.ssh(['nproc'])).stdout.trim(),
    };

    // Converge with vm-provision (a real apply: config written, startd restarted, VM universe verified).
    note('converging with vm-provision (first apply)');
    const first = await timed('ssh', [...sshOptions(node.identity), `root@${node.address}`, '--', shellQuote(['node', NODE_BIN, 'apply', NODE_PROFILE])]);
    if (first.code !== 0) throw new BenchError(`the first apply failed (exit ${first.code}):\n${tailOf(first.stdout + first.stderr, 40)}`);
    note(`first apply: ${sec(first.ms)} s`);

    // The playbook writes exactly the file vm-provision wrote, so its run on this node is a real no-op.
    const dropIn = await node.ssh(['cat', DROP_IN]);
    if (dropIn.exitCode !== 0) throw new BenchError(`cannot read ${DROP_IN} on the node: ${dropIn.stderr}`);
    const varsFile = join(tmp, 'vars.json');
    writeFileSync(varsFile, JSON.stringify({ vm_universe_config: `${dropIn.stdout}\n` }));

    note('warming up Ansible (a no-op run with --diff)');
    const warm = await timed('ansible-playbook', ansibleArgs(node, varsFile, ['--diff']), ansibleEnv());
    const warmRecap = ansibleNoop(warm, node, 'warm-up run');
    note(`ansible warm-up: ${sec(warm.ms)} s, ok=${warmRecap.ok} changed=0`);
    const warmA = await inNode(node);
    if (warmA.code !== 0) throw new BenchError(`the second apply was not a no-op (--detailed-exitcodes exit ${warmA.code}):\n${tailOf(warmA.out, 40)}`);

    // Measure, interleaved: (a), (b), (b2), (c), context rows, then again (a), (b), (b2), (c), ...
    const mux = muxOptions(tmp);
    const warmB2 = await overSsh(node, mux);
    if (warmB2.code !== 0) throw new BenchError(`apply over a shared ssh connection failed (exit ${warmB2.code}):\n${tailOf(warmB2.stdout + warmB2.stderr, 40)}`);
    const a: number[] = []; const b: number[] = []; const b2: number[] = []; const c: number[] = [];
    const ver: number[] = []; const bare: number[] = []; const ansVer: number[] = []; const load: number[] = [];
    for (let i = 1; i <= runs; i++) {
      const ra = await inNode(node);
      if (ra.code !== 0) throw new BenchError(`run ${i} (a): vm-provision was not a no-op (--detailed-exitcodes exit ${ra.code}):\n${tailOf(ra.out, 40)}`);
      a.push(ra.ms);
      const rb = await overSsh(node);
      if (rb.code !== 0) throw new BenchError(`run ${i} (b): vm-provision over ssh was not a no-op (exit ${rb.code}):\n${tailOf(rb.stdout + rb.stderr, 40)}`);
      b.push(rb.ms);
      const rb2 = await overSsh(node, mux);
      if (rb2.code !== 0) throw new BenchError(`run ${i} (b2): vm-provision over a shared ssh connection was not a no-op (exit ${rb2.code}):\n${tailOf(rb2.stdout + rb2.stderr, 40)}`);
      b2.push(rb2.ms);
      const rc = await timed('ansible-playbook', ansibleArgs(node, varsFile), ansibleEnv());
      ansibleNoop(rc, node, `run ${i} (c)`);
      c.push(rc.ms);
      // Context for what the no-op costs: Node.js start alone, and Node.js + loading the bundle.
      ver.push((await inNode(node, ['node', NODE_BIN, '--version'])).ms);
      bare.push((await inNode(node, ['node', '-e', '0'])).ms);
      ansVer.push((await timed('ansible-playbook', ['--version'], ansibleEnv())).ms);
      load.push(loadavg()[0]!);
      note(`run ${i}/${runs}: (a) ${sec(ra.ms)} s  (b) ${sec(rb.ms)} s  (b2) ${sec(rb2.ms)} s  (c) ${sec(rc.ms)} s`);
    }

    // Where the no-op time goes: the engine's own timing of each step (one extra run, not counted above).
    const js = await node.ssh(['node', NODE_BIN, 'apply', NODE_PROFILE, '--json', '--detailed-exitcodes']);
    const lines = js.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string; step?: string; ms?: number });
    const breakdown = {
      applyMs: lines.find((l) => l.type === 'summary')?.ms,
      steps: Object.fromEntries(lines.filter((l) => l.type === 'step').map((l) => [l.step, l.ms])),
    };

    const A = stats(a); const B = stats(b); const B2 = stats(b2); const C = stats(c); const V = stats(ver); const N0 = stats(bare); const AV = stats(ansVer);
    const ratioCB = C.median / B.median; const ratioCA = C.median / A.median; const ratioCB2 = C.median / B2.median;
    // Judged on equal transport: Ansible reuses its SSH connection by default (ControlPersist), so does (b2).
    const goalNoop = A.median <= GOAL_NOOP_S * 1000; const goalRatio = ratioCB2 >= GOAL_RATIO;

    const row = (label: string, s: Stats) => `${label.padEnd(46)} ${sec(s.median).padStart(7)} ${sec(s.min).padStart(7)} ${sec(s.max).padStart(7)} ${String(s.runs).padStart(5)}`;
    say();
    say(`machine: ${machine.cpu}, nproc ${machine.nproc}; host node ${machine.hostNode}; ${machine.ansible} (${machine.ansibleConfig})`);
    say(`node:    ${node.name} (full flavor), node ${nodeInfo.node}, HTCondor ${nodeInfo.condor}; dist/vm-provision.mjs built ${machine.distBuilt}`);
    say(`ansible: ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ANSIBLE_NOCOLOR=1, otherwise defaults (ssh ControlMaster=auto ControlPersist=60s, no pipelining, forks 5, linear strategy, gather_facts: false)`);
    const maxLoad = Math.max(...load);
    say(`host load average (1 min): ${machine.loadavgStart.split(' ')[0]} at start, up to ${maxLoad.toFixed(2)} during the runs${maxLoad > Number(machine.nproc) / 2 ? ' — the machine was busy: expect noisy figures' : ''}${others.length ? `; ${others.length} other testbed node(s) up` : ''}`);
    say();
    say(`${'wall time of the whole process, seconds'.padEnd(46)} ${'median'.padStart(7)} ${'min'.padStart(7)} ${'max'.padStart(7)} ${'runs'.padStart(5)}`);
    say(row('(a) vm-provision no-op apply, timed on node', A));
    say(row('(b) vm-provision no-op apply, ssh from host', B));
    say(row('(b2) same, over a reused ssh connection', B2));
    say(row('(c) ansible-playbook no-op, from host', C));
    say(row('    node vm-provision.mjs --version, on node', V));
    say(row('    node -e 0, on node', N0));
    say(row('    ansible-playbook --version, on host', AV));
    say();
    say(`ratio (c)/(b): ${ratioCB.toFixed(1)}x    ratio (c)/(b2): ${ratioCB2.toFixed(1)}x    ratio (c)/(a): ${ratioCA.toFixed(1)}x    (medians)`);
    say(`goal (a) <= ${GOAL_NOOP_S} s:       ${goalNoop ? 'MET' : 'NOT MET'} (${sec(A.median)} s)`);
    say(`goal (c)/(b2) >= ${GOAL_RATIO}x:     ${goalRatio ? 'MET' : 'NOT MET'} (${ratioCB2.toFixed(1)}x; same transport as Ansible's default; with a fresh SSH handshake per run (b): ${ratioCB.toFixed(1)}x)`);
    if (breakdown.applyMs !== undefined) {
      say(`inside one no-op apply (engine's own ms): apply() ${breakdown.applyMs} ms; steps ${Object.entries(breakdown.steps).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    }

    mkdirSync(dirname(RESULTS), { recursive: true });
    writeFileSync(RESULTS, `${JSON.stringify({
      date: new Date().toISOString(), runs, machine, nodeInfo,
      results: { a_inNode: A, b_overSsh: B, b2_overSharedSsh: B2, c_ansible: C, nodeVersion: V, nodeBare: N0, ansibleVersion: AV },
      ratios: { c_over_b: ratioCB, c_over_b2: ratioCB2, c_over_a: ratioCA },
      goals: { noopSeconds: { goal: GOAL_NOOP_S, met: goalNoop }, ratio: { goal: GOAL_RATIO, met: goalRatio } },
      hostLoadPerRun: load, breakdown, firstApplyMs: first.ms, ansibleWarmupMs: warm.ms, ansibleTasksOk: warmRecap.ok,
    }, null, 2)}\n`);
    note(`results written to ${RESULTS}`);
  } finally {
    if (node) {
      // Ansible's ControlPersist master for this node would otherwise linger up to 60 s.
      await timed('ssh', ['-o', `ControlPath=${join(homedir(), '.ansible/cp/%C')}`, '-O', 'exit', `root@${node.address}`]).catch(() => undefined);
      await timed('ssh', [...muxOptions(tmp), '-O', 'exit', `root@${node.address}`]).catch(() => undefined);
      await node.stop();
      note(`${node.name} stopped`);
    }
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: FAILED: ${e instanceof BenchError ? e.message : e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
