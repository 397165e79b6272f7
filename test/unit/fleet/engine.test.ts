import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fleetApply, runRollout } from '../../../src/fleet/engine.ts';
import type { FleetEvent } from '../../../src/fleet/events.ts';
import { fileRecorder, parseRunRecord, rerunHosts } from '../../../src/fleet/run-record.ts';
import { acquireFleetLock } from '../../../src/fleet/lock.ts';
import { fakeExecutor, fixture, planOf } from './helpers.ts';

const names = (n: number) => Array.from({ length: n }, (_, i) => `h${i + 1}`);
const outcomes = (r: { results: Array<{ host: string; outcome: string }> }) => Object.fromEntries(r.results.map((x) => [x.host, x.outcome]));

describe('rollout loop', () => {
  it('runs batches in order with a sliding window of `concurrency`, and emits the typed stream', async () => {
    const fake = fakeExecutor({ h2: { delayMs: 30 } });
    const events: FleetEvent[] = [];
    const r = await runRollout({ plan: planOf(names(7), { batches: [1, 3], concurrency: 2 }), executor: fake.executor, check: false, onEvent: (e) => events.push(e), run: 'R' });
    expect(fake.started[0]).toBe('h1');
    expect(fake.maxInFlight).toBe(2);
    // h2 is slow: h3 finishes and h4 takes its slot before h2 is done (not lock-step).
    const done = events.filter((e) => e.type === 'host-done').map((e) => (e as { host: string }).host);
    expect(done.indexOf('h3')).toBeLessThan(done.indexOf('h2'));
    expect(r.counts).toMatchObject({ changed: 7, failed: 0 });
    expect(r.exitCode).toBe(0);
    expect(events[0]).toMatchObject({ type: 'run-start', run: 'R', plan: { hosts: 7, batches: [{ index: 1, hosts: ['h1'], canary: true }, { index: 2 }, { index: 3 }] } });
    expect(events.filter((e) => e.type === 'batch-start').map((e) => (e as { hosts: string[] }).hosts)).toEqual([['h1'], ['h2', 'h3', 'h4'], ['h5', 'h6', 'h7']]);
    expect(events.find((e) => e.type === 'host-step')).toMatchObject({ host: 'h1', batch: 1, step: { step: 'preflight' } });
    expect(events.at(-1)).toMatchObject({ type: 'summary', stopped: false, exitCode: 0 });
  });

  it('a failing canary stops the rollout: no other host is started', async () => {
    const fake = fakeExecutor({ h1: { outcome: 'failed', failedStep: 'verify', cause: 'HasVM false' } });
    const events: FleetEvent[] = [];
    const r = await runRollout({ plan: planOf(names(5), { maxFail: 10 }), executor: fake.executor, check: false, onEvent: (e) => events.push(e) });
    expect(fake.started).toEqual(['h1']);
    expect(outcomes(r)).toEqual({ h1: 'failed', h2: 'not-run', h3: 'not-run', h4: 'not-run', h5: 'not-run' });
    expect(r.stop?.reason).toBe('canary');
    expect(r.exitCode).toBe(3);
    expect(events.find((e) => e.type === 'stop')).toMatchObject({ reason: 'canary', batch: 1 });
  });

  it('maxFail: exceeded, not reached, counted over all hosts attempted so far; in-flight hosts finish', async () => {
    // 10 hosts, batches 1 then 3s, maxFail 1: the second failure (h3, h5) exceeds it.
    const fake = fakeExecutor({ h3: { outcome: 'failed' }, h5: { outcome: 'failed', delayMs: 20 }, h6: { delayMs: 40 } });
    const r = await runRollout({ plan: planOf(names(10), { batches: [1, 3], maxFail: 1, concurrency: 3 }), executor: fake.executor, check: false });
    expect(r.stop).toMatchObject({ reason: 'max-fail', message: '2 hosts failed, more than max-fail 1' });
    // batch 2 (h2-h4) had one failure: tolerated. Batch 3 (h5-h7): h5 fails → stop; h6, h7 were in flight and finish.
    expect(outcomes(r)).toMatchObject({ h3: 'failed', h5: 'failed', h6: 'changed', h7: 'changed', h8: 'not-run', h9: 'not-run', h10: 'not-run' });
    expect(r.counts).toMatchObject({ failed: 2, changed: 5, 'not-run': 3 });
  });

  it('unreachable hosts count toward maxUnreachable only; a run that ends with only unreachable hosts exits 2', async () => {
    const fake = fakeExecutor({ h2: { outcome: 'unreachable', unreachable: 'refused', cause: 'Connection refused' } });
    const r = await runRollout({ plan: planOf(names(4), { maxFail: 0, maxUnreachable: 1 }), executor: fake.executor, check: false });
    expect(r.stopped).toBe(false);
    expect(r.exitCode).toBe(2);
    const d = await runRollout({ plan: planOf(names(4), { maxFail: 0, maxUnreachable: 1 }), executor: fakeExecutor({ h2: { outcome: 'unreachable' } }).executor, check: false, detailedExitcodes: true });
    expect(d.exitCode).toBe(2 | 8);
  });

  it('--check ignores thresholds and the canary rule', async () => {
    const fake = fakeExecutor({ h1: { outcome: 'failed' }, h2: { outcome: 'failed' } });
    const r = await runRollout({ plan: planOf(names(4)), executor: fake.executor, check: true });
    expect(fake.started).toHaveLength(4);
    expect(r.exitCode).toBe(1);
  });

  it('an agent exit 64 (controller/agent mismatch) stops the rollout at once', async () => {
    const fake = fakeExecutor({ h2: { outcome: 'failed', failure: 'usage', cause: "unknown option '--json'" } });
    const r = await runRollout({ plan: planOf(names(6), { batches: [1, 5], maxFail: 5, concurrency: 1 }), executor: fake.executor, check: false });
    expect(r.stop?.reason).toBe('systemic');
    expect(fake.started).toEqual(['h1', 'h2']);
  });

  it('Ctrl-C once: no new host starts, in-flight hosts finish, exit 130; twice: in-flight hosts are aborted', async () => {
    const stop = new AbortController();
    const kill = new AbortController();
    const fake = fakeExecutor({ h2: { delayMs: 50 }, h3: { hang: true } });
    const p = runRollout({ plan: planOf(names(6), { concurrency: 2 }), executor: fake.executor, check: false, stop: stop.signal, kill: kill.signal });
    await new Promise((r) => setTimeout(r, 20));
    stop.abort();
    await new Promise((r) => setTimeout(r, 60));
    kill.abort();
    const r = await p;
    expect(fake.started).toEqual(['h1', 'h2', 'h3']);
    expect(outcomes(r)).toEqual({ h1: 'changed', h2: 'changed', h3: 'failed', h4: 'not-run', h5: 'not-run', h6: 'not-run' });
    expect(r.results.find((x) => x.host === 'h3')).toMatchObject({ failure: 'interrupted' });
    expect(r.interrupted).toBe(true);
    expect(r.exitCode).toBe(130);
  });

  it('passes each host its deadline (hostTimeout) and an abort signal', async () => {
    const fake = fakeExecutor();
    let t = 1_000_000;
    await runRollout({ plan: planOf(['a'], { hostTimeout: 600 }), executor: fake.executor, check: false, now: () => t++ });
    expect(fake.jobs[0]!.deadline).toBe(1_000_001 + 600_000);
    expect(fake.jobs[0]!.signal.aborted).toBe(false);
  });

  it('a gate after each batch; a failed gate stops the rollout', async () => {
    const seen: number[] = [];
    const fake = fakeExecutor();
    const events: FleetEvent[] = [];
    const r = await runRollout({
      plan: planOf(names(5), { batches: [1, 2] }), executor: fake.executor, check: false, onEvent: (e) => events.push(e),
      gate: async (b) => { seen.push(b.index); return b.index === 2 ? { ok: false, message: 'h3 does not advertise HasVM', hosts: ['h3'] } : { ok: true }; },
    });
    expect(seen).toEqual([1, 2]);
    expect(r.stop).toMatchObject({ reason: 'gate' });
    expect(outcomes(r)).toMatchObject({ h4: 'not-run', h5: 'not-run' });
    expect(events.filter((e) => e.type === 'batch-gate')).toHaveLength(2);
  });

  it('an executor that throws fails that host, not the rollout', async () => {
    const r = await runRollout({ plan: planOf(['a', 'b'], { maxFail: 5, batches: ['100%'] }), executor: { runHost: async () => { throw new Error('boom'); } }, check: false });
    expect(r.results.map((x) => [x.outcome, x.failure, x.cause])).toEqual([['failed', 'internal', 'boom'], ['failed', 'internal', 'boom']]);
  });
});

describe('fleetApply', () => {
  it('validates, locks, records each host as it finishes, and --rerun picks hosts from the record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmp-fleet-'));
    const fake = fakeExecutor({ wn3: { outcome: 'failed', cause: 'x' } });
    const r = await fleetApply({
      fleetFile: fixture('fleets/fleet.yaml'), check: false, executor: () => fake.executor, maxFail: 5,
      lock: async () => acquireFleetLock(dir, 'test-pool'), recorder: () => fileRecorder(dir, false),
    });
    expect(r.counts).toMatchObject({ changed: 7, failed: 1 });
    const lines = parseRunRecord(readFileSync(join(dir, `${r.run}.jsonl`), 'utf8'));
    expect(lines[0]).toMatchObject({ type: 'run', fleet: 'test-pool', hosts: expect.arrayContaining(['wn3']) });
    expect(lines.filter((l) => l.type === 'host')).toHaveLength(8);
    expect(lines.at(-1)).toMatchObject({ type: 'summary', exitCode: 1 });
    expect(rerunHosts(lines, 'failed')).toEqual(['wn3']);
  });

  it('a bad fleet is exit 65 before the executor is even created', async () => {
    let created = false;
    await expect(fleetApply({ fleetFile: fixture('fleets/fleet-bad-profile.yaml'), check: false, executor: () => { created = true; return fakeExecutor().executor; } }))
      .rejects.toMatchObject({ exitCode: 65 });
    expect(created).toBe(false);
  });

  it('a second run on the same fleet exits 75 while the first holds the lock', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmp-fleet-'));
    const release = acquireFleetLock(dir, 'test-pool');
    expect(() => acquireFleetLock(dir, 'test-pool')).toThrow(expect.objectContaining({ exitCode: 75, message: expect.stringMatching(/another fleet run on test-pool is in progress \(PID \d+\)/) }));
    await release();
    (await Promise.resolve(acquireFleetLock(dir, 'test-pool')))();
  });
});
