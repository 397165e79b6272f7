// kill -9 at any instant (issue 12): SIGKILL the agent (`vm-provision apply`, the node process on the node) at random
// instants of a converging apply, then check that the next run converges (exit 0) and the node advertises the VM
// universe, that no file we manage is half-written (the config equals the old or the new content, the journal and
// backups parse, no temp file is left beside them) and that no lock is left. Two kinds of converging apply,
// alternating on each node lane: a change of VM memory (1024 ↔ 2048: a config write and a startd restart) on a
// converged node, and the first apply on a fresh `bare` node: plain HTCondor, so packages (libvirt, qemu) are installed,
// libvirtd started, the config written, the startd restarted.
// HTCondor's defaults stay as they are: the master backs off a startd restarted often, and the next run must cope.
//   VMP_KILLS=20 (default 4)   VMP_KILL_NODES=<lanes> (default 2)   VMP_KILL_SEED=<seed> replays the same instants
// The timeline of each kind is measured first on each lane (one uninterrupted apply); a kill's offset is a fraction
// drawn from the seeded PRNG times that measured duration. VMP_RELIABILITY_RESULTS=<dir>: results to <dir>/kill.json.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startNodes, type TestNode } from '../testbed/nodes.ts';
import { kvmTitle, testbedReason } from '../testbed/harness.ts';
import { writeResults } from '../../scripts/gen-reliability.ts';
import { AGENT, ROOT, installAgent, jsonLines, putProfile, vmp, vmStatus } from './agent.ts';

const CONFIG = '/etc/condor/config.d/50-vm-universe.config';
const JOURNAL = '/var/lib/vm-provision/journal.json';
const BACKUPS = '/var/lib/vm-provision/backups';
const STAGED = '/var/lib/vm-provision/staged';
const LOCK = '/run/vm-provision.lock';
const PIDFILE = '/run/vmp-kill-test.pid';
const STEPS = ['preflight', 'packages', 'services', 'condor-config', 'restart', 'verify'];
const JOURNAL_KEYS = new Set(['pendingRestart', 'pendingInstall', 'pendingDrain', 'startdOff', 'lastConfig', 'lastFailure']);

const KILLS = Math.max(1, Number(process.env.VMP_KILLS ?? 4));
const LANES = Math.max(1, Math.min(KILLS, Number(process.env.VMP_KILL_NODES ?? 2)));
const SEED = process.env.VMP_KILL_SEED ? Number(process.env.VMP_KILL_SEED) >>> 0 : Math.floor(Math.random() * 2 ** 32) >>> 0;

const example = readFileSync(join(ROOT, 'examples/kvm-node.yaml'), 'utf8');
const profileText = (memory: number) => example.replace('memory: 1024', `memory: ${memory}`);
const log = (m: string) => process.stderr.write(`[kill] ${m}\n`);

/** mulberry32: a small seeded PRNG, so VMP_KILL_SEED replays the same fractions. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Kind = 'memory' | 'fresh';
interface Kill { index: number; lane: number; kind: Kind; fraction: number }
interface Outcome extends Kill {
  node: string; offsetMs: number; timelineMs: number; killedIn: string; seconds: number; recoverSeconds: number;
  killed: boolean; survived: boolean; problems: string[];
}

// Kill k goes to lane k % LANES; on each lane memory and fresh alternate (the lane's node starts converged).
const random = prng(SEED);
const plan: Kill[] = Array.from({ length: KILLS }, (_, index) => {
  const lane = index % LANES;
  const nth = Math.floor(index / LANES);
  return { index, lane, kind: nth % 2 === 0 ? 'memory' : 'fresh', fraction: random() };
});

async function fileOrUndefined(node: TestNode, path: string): Promise<string | undefined> {
  const r = await node.ssh(['cat', path]);
  return r.exitCode === 0 ? r.stdout : undefined;
}

/** Runs apply; kills the agent's node process with SIGKILL after offsetMs (undefined: let it finish). */
async function applyKilledAt(node: TestNode, profile: string, offsetMs?: number) {
  await node.ssh(['rm', '-f', PIDFILE]);
  // exec: the PID written is the agent's own (env execs node: the same process), not a shell around it.
  const running = node.sh(`echo $$ > ${PIDFILE}; exec ${AGENT} apply ${profile} --json`, { timeoutMs: 900_000 });
  let killedAt: number | undefined;
  if (offsetMs !== undefined) {
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, offsetMs));
    const k = await node.sh(`test -s ${PIDFILE} && kill -9 "$(cat ${PIDFILE})"`);
    killedAt = Date.now() - t0;
    if (k.exitCode !== 0) killedAt = undefined;
  }
  const r = await running;
  // --json prints each step when it ends: the kill fell into the first step not printed.
  const done = jsonLines(r.stdout).filter((l) => l.type === 'step').map((l) => String(l.step));
  const killedIn = STEPS.find((s) => !done.includes(s)) ?? 'the report';
  return { r, killed: killedAt !== undefined && r.exitCode !== 0, killedIn };
}

/** Files of ours that a kill must not leave half-written or beside their targets. */
async function tempFiles(node: TestNode): Promise<string[]> {
  const r = await node.sh(`find /etc/condor /var/lib/vm-provision -name '.*.vmp-tmp-*' 2>/dev/null; ls -A ${STAGED} 2>/dev/null | sed 's|^|${STAGED}/|'`);
  return r.stdout.split('\n').filter(Boolean);
}

async function lockFree(node: TestNode): Promise<boolean> {
  // Only when the file exists: flock(1) would create it, and with other modes than the agent's.
  const r = await node.sh(`test ! -e ${LOCK} || flock -n ${LOCK} true`);
  return r.exitCode === 0;
}

function journalProblems(text: string | undefined, when: string): string[] {
  if (text === undefined) return [];
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    const odd = Object.keys(j).filter((k) => !JOURNAL_KEYS.has(k));
    return odd.length ? [`${when}: the journal has unknown keys ${odd.join(', ')}`] : [];
  } catch (e) {
    return [`${when}: the journal does not parse: ${(e as Error).message}: ${JSON.stringify(text.slice(0, 200))}`];
  }
}

async function backupProblems(node: TestNode, known: Set<string>, when: string): Promise<string[]> {
  // Regular files only: backups/boot holds the stock initrds the package step guards.
  const names = (await node.ssh(['find', BACKUPS, '-maxdepth', '1', '-type', 'f', '-printf', '%f\\n'])).stdout.split('\n').filter(Boolean);
  const out: string[] = [];
  for (const n of names) {
    if (n.startsWith('.')) continue; // temp files are reported by tempFiles
    const text = await fileOrUndefined(node, `${BACKUPS}/${n}`);
    if (text === undefined || !known.has(text)) out.push(`${when}: backup ${n} is none of the config versions this node had`);
  }
  return out;
}

describe.skipIf(testbedReason())(kvmTitle(`kill -9 at ${KILLS} random instants of a converging apply (VMP_KILL_SEED=${SEED}, ${LANES} node lanes)`), () => {
  const outcomes: Outcome[] = [];
  const nodes = new Set<TestNode>();
  const started = new Date().toISOString();
  let nodeCount = 0;

  afterAll(async () => {
    await Promise.all([...nodes].map((n) => n.stop()));
  });

  async function freshNode(): Promise<TestNode> {
    const [n] = await startNodes({ flavor: 'bare', count: 1 });
    nodes.add(n!);
    nodeCount++;
    await installAgent(n!);
    return n!;
  }

  async function lane(laneNo: number, kills: Kill[]): Promise<void> {
    // The timelines, measured: a first apply on a fresh node, then a memory change on it.
    let node = await freshNode();
    let memory = 1024;
    const known = new Set<string>();
    let t = Date.now();
    const first = await applyKilledAt(node, await putProfile(node, 'kvm-1024.yaml', profileText(1024)));
    expect(first.r.exitCode, first.r.stdout + first.r.stderr).toBe(0);
    const timeline: Record<Kind, number> = { fresh: Date.now() - t, memory: 0 };
    known.add((await fileOrUndefined(node, CONFIG))!);
    t = Date.now();
    const second = await applyKilledAt(node, await putProfile(node, 'kvm-2048.yaml', profileText(2048)));
    expect(second.r.exitCode, second.r.stdout + second.r.stderr).toBe(0);
    timeline.memory = Date.now() - t;
    memory = 2048;
    known.add((await fileOrUndefined(node, CONFIG))!);
    const stepTimes = (out: string) => jsonLines(out).filter((l) => l.type === 'step').map((l) => `${String(l.step)} ${l.status} ${((l.ms as number) / 1000).toFixed(1)} s`).join(', ');
    log(`lane ${laneNo}: timeline measured on ${node.name}: first apply ${(timeline.fresh / 1000).toFixed(1)} s (${stepTimes(first.r.stdout)}); memory change ${(timeline.memory / 1000).toFixed(1)} s (${stepTimes(second.r.stdout)})`);

    for (const k of kills) {
      const k0 = Date.now();
      // An apply faster than the measured one may end before its instant: then the kill is tried again at 60 % of
      // that offset (from the same known state: a new node, or the other memory), at most 4 times.
      let offsetMs = Math.round(k.fraction * timeline[k.kind]);
      let target = 0;
      let before: string | undefined;
      let profile = '';
      let killed: Awaited<ReturnType<typeof applyKilledAt>> | undefined;
      for (let attempt = 0; attempt < 4; attempt++, offsetMs = Math.round(offsetMs * 0.6)) {
        if (k.kind === 'fresh') {
          nodes.delete(node);
          await node.stop();
          node = await freshNode();
          known.clear();
        }
        target = k.kind === 'fresh' ? 1024 : memory === 1024 ? 2048 : 1024;
        profile = await putProfile(node, `kvm-${target}.yaml`, profileText(target));
        before = await fileOrUndefined(node, CONFIG);
        if (before !== undefined) known.add(before);
        killed = await applyKilledAt(node, profile, offsetMs);
        if (killed.killed) break;
        log(`kill ${k.index + 1}/${KILLS} (${k.kind}, ${node.name}): the apply ended (exit ${killed.r.exitCode}) before ${(offsetMs / 1000).toFixed(1)} s; again at 60 % of that`);
        if (killed.r.exitCode !== 0) break;
        memory = target;
        const now = await fileOrUndefined(node, CONFIG);
        if (now !== undefined) known.add(now);
      }
      const problems: string[] = [];
      if (!killed!.killed && killed!.r.exitCode !== 0) problems.push(`an apply without a kill failed (exit ${killed!.r.exitCode}): ${killed!.r.stdout.slice(-800)}`);
      const tag = `kill ${k.index + 1}/${KILLS} (${k.kind}, ${node.name}, at ${(offsetMs / 1000).toFixed(1)} s of ${(timeline[k.kind] / 1000).toFixed(1)} s, in ${killed!.killedIn})`;

      // Right after the kill: files whole, lock free.
      const afterKill = await fileOrUndefined(node, CONFIG);
      problems.push(...journalProblems(await fileOrUndefined(node, JOURNAL), 'after the kill'));
      if (!(await lockFree(node))) problems.push(`after the kill: ${LOCK} is still locked`);

      const r0 = Date.now();
      const next = await applyKilledAt(node, profile);
      const recoverSeconds = (Date.now() - r0) / 1000;
      if (next.r.exitCode !== 0) {
        const err = jsonLines(next.r.stdout).find((l) => l.type === 'step' && l.status === 'failed');
        problems.push(`the next run exited ${next.r.exitCode}: ${err ? `${String(err.step)}: ${String(err.summary)}` : next.r.stderr.slice(-500)}`);
      }
      const after = await fileOrUndefined(node, CONFIG);
      if (after === undefined || !new RegExp(`^VM_MEMORY\\s*=\\s*${target}$`, 'm').test(after)) problems.push(`after the next run: ${CONFIG} does not set VM_MEMORY = ${target}`);
      if (afterKill !== before && afterKill !== after) problems.push(`after the kill: ${CONFIG} is neither the old nor the new content: ${JSON.stringify(afterKill?.slice(0, 300))}`);
      if (after !== undefined) known.add(after);
      const vm = await vmStatus(node);
      if (!vm.includes(`slot1@${node.name} kvm ${target}`)) problems.push(`after the next run: condor_status -vm shows ${JSON.stringify(vm)}, not slot1@${node.name} kvm ${target}`);
      const journalText = await fileOrUndefined(node, JOURNAL);
      problems.push(...journalProblems(journalText, 'after the next run'));
      if (journalText !== undefined && next.r.exitCode === 0) {
        const j = JSON.parse(journalText) as { pendingRestart?: unknown; pendingInstall?: unknown; pendingDrain?: unknown; startdOff?: unknown; lastConfig?: { verified?: boolean } };
        for (const k of ['pendingRestart', 'pendingInstall', 'pendingDrain', 'startdOff'] as const) if (j[k]) problems.push(`after the next run: the journal still has ${k}`);
        if (j.lastConfig?.verified === false) problems.push('after the next run: the journal has the config unverified');
      }
      problems.push(...(await backupProblems(node, known, 'after the next run')));
      const audit = (await node.ssh(['dpkg', '--audit'])).stdout.trim();
      if (audit) problems.push(`after the next run: dpkg --audit: ${audit.slice(0, 300)}`);
      const temps = await tempFiles(node);
      if (temps.length) problems.push(`after the next run: temp files left: ${temps.join(', ')}`);
      if (!(await lockFree(node))) problems.push(`after the next run: ${LOCK} is still locked`);

      memory = target;
      const o: Outcome = { ...k, node: node.name, offsetMs, timelineMs: timeline[k.kind], killedIn: killed!.killedIn, seconds: (Date.now() - k0) / 1000, recoverSeconds, killed: killed!.killed, survived: killed!.killed && problems.length === 0, problems };
      outcomes.push(o);
      log(`${tag}: ${o.survived ? 'survived' : `FAILED: ${problems.join('; ')}`}; next run ${recoverSeconds.toFixed(1)} s, ${o.seconds.toFixed(1)} s in all`);
    }
  }

  it(`each next run converges, no file half-written, no lock left (replay: VMP_KILL_SEED=${SEED} VMP_KILLS=${KILLS} VMP_KILL_NODES=${LANES})`, async () => {
    log(`seed ${SEED}: ${plan.map((k) => `${k.index + 1}:${k.kind}@${(k.fraction * 100).toFixed(1)}%`).join(' ')}`);
    const t0 = Date.now();
    try {
      await Promise.all(Array.from({ length: LANES }, (_, l) => lane(l, plan.filter((k) => k.lane === l))));
    } finally {
      const tried = outcomes.filter((o) => o.killed);
      const survived = tried.filter((o) => o.survived).length;
      const wall = (Date.now() - t0) / 1000;
      log(`seed ${SEED}: ${survived} of ${tried.length} kills survived (${outcomes.length} of ${KILLS} run), ${wall.toFixed(0)} s wall, ${(wall / Math.max(1, outcomes.length)).toFixed(0)} s per kill (lanes in parallel), next run mean ${(outcomes.reduce((a, o) => a + o.recoverSeconds, 0) / Math.max(1, outcomes.length)).toFixed(1)} s`);
      const file = writeResults({
        format: 'vm-provision/reliability-results/v1', source: 'test/e2e/kill.test.ts', started, finished: new Date().toISOString(),
        nodes: nodeCount, faults: [], kills: { tried: tried.length, survived, seed: String(SEED) },
      });
      if (file) log(`results: ${file}`);
    }
    const failed = outcomes.filter((o) => o.problems.length);
    expect(failed.map((o) => `kill ${o.index + 1} (${o.kind} at ${(o.offsetMs / 1000).toFixed(1)} s, in ${o.killedIn}): ${o.problems.join('; ')}`)).toEqual([]);
    expect(outcomes.length).toBe(KILLS);
  }, 600_000 + KILLS * 240_000);
});
