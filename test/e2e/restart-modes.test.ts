// Restart modes on real `full` nodes with a real running vanilla job (sleep 90, submitted as a non-root user):
// graceful vacates it, peaceful waits for it, drain waits within MaxJobRetirementTime (or vacates it with the
// default 0), and a restart.timeout shorter than the job cancels the drain and rolls the config back.
// Each scenario has its own node: a job requeued by one restart may wait minutes to match again, and the master
// backs off a startd restarted often.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startNodes, type TestNode } from '../testbed/nodes.ts';
import { kvmTitle, testbedReason } from '../testbed/harness.ts';
import { ROOT, installAgent, jsonLines, putProfile, vmp, vmStatus } from './agent.ts';

const example = readFileSync(join(ROOT, 'examples/kvm-node.yaml'), 'utf8');
const CONFIG = '/etc/condor/config.d/50-vm-universe.config';
const USER = 'vmpuser';
const profile = (restart: string, memory = 1024) => example.replace('restart: startd', `restart: ${restart}`).replace('memory: 1024', `memory: ${memory}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (m: string) => process.stderr.write(`[restart-modes] ${m}\n`);

async function addUser(node: TestNode): Promise<void> {
  await node.sh(`id ${USER} >/dev/null 2>&1 || useradd -m ${USER}`);
}

/** Submits `sleep <seconds>` as the test user; returns the cluster id. */
async function submitSleep(node: TestNode, seconds: number, tag: string): Promise<string> {
  const sub = `universe = vanilla\nexecutable = /bin/sleep\narguments = ${seconds}\nshould_transfer_files = NO\nlog = /home/${USER}/${tag}.log\nqueue\n`;
  await node.ssh(['tee', `/home/${USER}/${tag}.sub`], { input: sub });
  const r = await node.sh(`chown ${USER} /home/${USER}/${tag}.sub && cd /home/${USER} && su ${USER} -c 'condor_submit ${tag}.sub'`);
  const m = /submitted to cluster (\d+)/.exec(r.stdout);
  if (!m) throw new Error(`condor_submit failed: ${r.stdout}${r.stderr}`);
  return m[1]!;
}

/** JobStatus, JobRunCount (shadow starts: NumJobStarts stays 0 while the first run goes on) and ExitCode of a job,
 * from the queue or (once it left) the history. */
async function job(node: TestNode, cluster: string): Promise<{ status: number; starts: number; exit?: number }> {
  let r = await node.ssh(['condor_q', '-allusers', `${cluster}.0`, '-af', 'JobStatus', 'JobRunCount', 'ExitCode']);
  if (!r.stdout.trim()) r = await node.ssh(['condor_history', `${cluster}.0`, '-af', 'JobStatus', 'JobRunCount', 'ExitCode']);
  const [status, starts, exit] = r.stdout.trim().split(/\s+/);
  return { status: Number(status), starts: Number(starts), exit: exit === undefined || exit === 'undefined' ? undefined : Number(exit) };
}

async function waitFor<T>(what: string, f: () => Promise<T | undefined | false>, timeoutMs = 180_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2000);
  }
}

/** Waits until the job runs; returns the node-clock second its run started. */
async function waitRunning(node: TestNode, cluster: string, starts = 1): Promise<void> {
  try {
    await waitFor(`job ${cluster}.0 to run`, async () => { const j = await job(node, cluster); return j.status === 2 && j.starts >= starts; }, 300_000);
  } catch (e) {
    // Say why the job did not match: the schedd's analysis and the slot as the collector sees it.
    const why = await node.sh(`condor_q -allusers -better-analyze ${cluster}.0 2>&1 | tail -25; condor_status -af Name State Activity Start 2>&1`);
    throw new Error(`${(e as Error).message}\n${why.stdout}`);
  }
}

const evictions = async (node: TestNode, tag: string) => Number((await node.sh(`grep -c 'Job was evicted' /home/${USER}/${tag}.log || true`)).stdout.trim());
const stepOf = (stdout: string, step: string) => jsonLines(stdout).find((l) => l.type === 'step' && l.step === step) as Record<string, any> | undefined;

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t = Date.now();
  const v = await f();
  return [v, (Date.now() - t) / 1000];
}

describe.skipIf(testbedReason())(kvmTitle('restart modes with a running job: graceful, peaceful, drain, timeout'), () => {
  let nodes: TestNode[] = [];
  const times: string[] = [];
  beforeAll(async () => {
    nodes = await startNodes({ flavor: 'full', count: 4 });
    await Promise.all(nodes.map(async (n) => { await installAgent(n); await addUser(n); }));
  });
  afterAll(async () => {
    for (const t of times) log(t);
    await Promise.all(nodes.map((n) => n.stop()));
  });

  it('all scenarios, one node each, concurrently', async () => {
    const [a, b, c, d] = nodes as [TestNode, TestNode, TestNode, TestNode];
    await Promise.all([graceful(a), peaceful(b), drainThenTimeout(c), drainDefault(d)]);
  }, 1_200_000);

  // graceful: the plan names the running job and says it would be vacated; apply restarts; the job is vacated.
  async function graceful(node: TestNode) {
    const cluster = await submitSleep(node, 90, 'graceful');
    await waitRunning(node, cluster);
    const path = await putProfile(node, 'graceful.yaml', profile('{mode: graceful}'));
    const plan = await vmp(node, ['apply', path, '--check', '--json']);
    const planned = stepOf(plan.stdout, 'restart')!;
    expect(planned.summary, plan.stdout).toContain(`slot1_1 ${USER} job ${cluster}.0`);
    expect(planned.summary).toContain('would be vacated');
    expect(planned.cost).toMatchObject({ mode: 'graceful', jobsVacated: true, retirementSeconds: 0, vacateSeconds: 600, runningJobs: [{ slot: 'slot1_1', owner: USER, jobId: `${cluster}.0` }] });
    const [r, secs] = await timed(() => vmp(node, ['apply', path, '--json']));
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(stepOf(r.stdout, 'restart')).toMatchObject({ status: 'changed' });
    expect(stepOf(r.stdout, 'verify')).toMatchObject({ status: 'ok' });
    times.push(`graceful: apply ${secs.toFixed(1)} s with the 90 s job running (job vacated and requeued)`);
    await waitFor('the eviction in the user log', async () => (await evictions(node, 'graceful')) >= 1);
    expect(await vmStatus(node)).toContain(`slot1@${node.name} kvm 1024`);
  }

  // drain with the default MaxJobRetirementTime (0): the plan warns, and the running job is vacated at once.
  async function drainDefault(node: TestNode) {
    const cluster = await submitSleep(node, 90, 'drain-default');
    await waitRunning(node, cluster);
    const dpath = await putProfile(node, 'drain-default.yaml', profile('{mode: drain, timeout: 600}', 2048));
    const dplan = await vmp(node, ['apply', dpath, '--check', '--json']);
    const dp = stepOf(dplan.stdout, 'restart')!;
    expect(dp.summary, dplan.stdout).toContain('drain: MaxJobRetirementTime is 0 s here — 1 running job would be vacated');
    expect(dp.summary).toContain('use peaceful to let them finish');
    expect(dp.cost).toMatchObject({ mode: 'drain', how: 'graceful', jobsVacated: true });
    const [d, dsecs] = await timed(() => vmp(node, ['apply', dpath, '--json']));
    expect(d.exitCode, d.stdout + d.stderr).toBe(0);
    times.push(`drain (MaxJobRetirementTime 0): apply ${dsecs.toFixed(1)} s (job vacated at once)`);
    await waitFor('the eviction', async () => (await evictions(node, 'drain-default')) >= 1);
    expect(await vmStatus(node)).toContain(`slot1@${node.name} kvm 2048`);
  }

  // peaceful: apply waits, the job completes normally (exit 0, started once), then the startd restarts with kvm.
  async function peaceful(node: TestNode) {
    const cluster = await submitSleep(node, 90, 'peaceful');
    await waitRunning(node, cluster);
    const path = await putProfile(node, 'peaceful.yaml', profile('{mode: peaceful, timeout: 600}'));
    const plan = await vmp(node, ['apply', path, '--check', '--json']);
    expect(stepOf(plan.stdout, 'restart')!.summary, plan.stdout).toMatch(/peaceful: waits for 1 running job \(longest running \d+/);
    const [r, secs] = await timed(() => vmp(node, ['apply', path, '--json']));
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(stepOf(r.stdout, 'restart')!.changes).toEqual(['condor_restart -peaceful -startd']);
    expect(stepOf(r.stdout, 'verify')!.summary).toContain('waiting for the peaceful restart');
    times.push(`peaceful: apply ${secs.toFixed(1)} s with the 90 s job running (job finished, then the restart)`);
    expect(await job(node, cluster)).toEqual({ status: 4, starts: 1, exit: 0 });
    expect(await evictions(node, 'peaceful')).toBe(0);
    expect(await vmStatus(node)).toContain(`slot1@${node.name} kvm 1024`);
  }

  // drain within MAXJOBRETIREMENTTIME = 1200: the job completes, DrainReason is advertised meanwhile, the startd
  // restarts with the new config and takes jobs again. Then a timeout shorter than a new job: the drain is
  // cancelled, the job keeps running, the config is rolled back.
  async function drainThenTimeout(node: TestNode) {
    await node.sh('echo "MAXJOBRETIREMENTTIME = 1200" > /etc/condor/config.d/40-site-retirement.config && condor_reconfig -startd');
    const cluster = await submitSleep(node, 90, 'drain');
    await waitRunning(node, cluster);
    const path = await putProfile(node, 'drain.yaml', profile('{mode: drain, timeout: 600}'));
    const plan = await vmp(node, ['apply', path, '--check', '--json']);
    const planned = stepOf(plan.stdout, 'restart')!;
    expect(planned.summary, plan.stdout).toContain('jobs are spared only if they end within 600 s of their start (MaxJobRetirementTime 1200 s − MachineMaxVacateTime 600 s)');
    expect(planned.cost).toMatchObject({ mode: 'drain', retirementSeconds: 1200, vacateSeconds: 600, jobsVacated: 'unknown' });
    let reasonSeen = '';
    let applying = true;
    const watch = (async () => {
      while (applying && !reasonSeen) {
        const s = (await node.ssh(['condor_status', '-af', 'DrainReason'])).stdout;
        if (s.includes('vm-provision')) reasonSeen = s.trim().split('\n')[0]!;
        await sleep(2000);
      }
    })();
    const [r, secs] = await timed(() => vmp(node, ['apply', path, '--json']));
    applying = false;
    await watch;
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    times.push(`drain (MaxJobRetirementTime 1200): apply ${secs.toFixed(1)} s with the 90 s job running (job finished, then the restart)`);
    expect(reasonSeen).toBe('vm-provision: enable VM universe');
    expect(await job(node, cluster)).toEqual({ status: 4, starts: 1, exit: 0 });
    expect(await vmStatus(node)).toContain(`slot1@${node.name} kvm 1024`);
    const journal = JSON.parse((await node.ssh(['cat', '/var/lib/vm-provision/journal.json'])).stdout) as Record<string, unknown>;
    expect(journal.pendingDrain).toBeUndefined();
    // Accepts jobs again: the next one runs.
    const next = await submitSleep(node, 90, 'timeout');
    await waitRunning(node, next);

    // restart.timeout 15 s, shorter than the job: fails naming the job, cancels the drain, rolls the config back.
    const before = (await node.ssh(['cat', CONFIG])).stdout;
    const tpath = await putProfile(node, 'drain-timeout.yaml', profile('{mode: drain, timeout: 15}', 2048));
    const t = await vmp(node, ['apply', tpath, '--no-progress']);
    expect(t.exitCode, t.stdout + t.stderr).toBe(1);
    const out = t.stdout + t.stderr;
    expect(out).toContain('did not restart within condor.restart.timeout 15 s (waited');
    expect(out).toContain(`slot1_1 ${USER} job ${next}.0`);
    expect(out).toMatch(/the drain was cancelled \(request id \d+\): the node accepts jobs again/);
    expect(out).toContain('the previous config was put back');
    // The startd tells the collector a moment later.
    await waitFor('Draining to go', async () => !(await node.ssh(['condor_status', '-af', 'Draining'])).stdout.includes('true'), 60_000);
    expect(await job(node, next)).toMatchObject({ status: 2, starts: 1 });
    expect((await node.ssh(['cat', CONFIG])).stdout).toBe(before);
    const j2 = JSON.parse((await node.ssh(['cat', '/var/lib/vm-provision/journal.json'])).stdout) as Record<string, unknown>;
    expect(j2.pendingDrain).toBeUndefined();
    expect(j2.pendingRestart).toBeUndefined();
  }
});
