// fleetApply(): resolve the plan, then roll out batch by batch through an injectable executor.
import { randomBytes } from 'node:crypto';
import { VmpError } from '../errors/vmp-error.ts';
import { FleetError } from './errors.ts';
import { emptyTotals, type AgentStepLine, type FleetEvent, type HostResult, type Totals } from './events.ts';
import { FLEET_EXIT, fleetExitCode } from './exit-codes.ts';
import { planView, resolveFleet, type FleetHost, type FleetPlan, type ResolveOptions } from './resolve.ts';
import { shouldStop, type RolloutState, type StopDecision } from './thresholds.ts';

/** What the executor gets for one host. */
export interface HostJob {
  run: string;
  host: FleetHost;
  batch: number;
  check: boolean;
  /** Ask the agent for file diffs (its --json step lines carry them). */
  diff?: boolean;
  /** Absolute time (ms since the epoch) by which the host must be done; enforce it on the node too. */
  deadline: number;
  /** Aborted on the second Ctrl-C: stop now. */
  signal: AbortSignal;
  /** The agent's step lines as they arrive. */
  onStep(step: AgentStepLine): void;
}

/** Runs the agent on one host (SSH in production, a fake in tests). Never throws for a host's failure: returns it. */
export interface HostExecutor {
  runHost(job: HostJob): Promise<Omit<HostResult, 'host' | 'address' | 'batch' | 'profile'>>;
  /** After a batch and its gate: e.g. close the batch's connections. */
  afterBatch?(hosts: readonly FleetHost[]): Promise<void>;
  close?(): Promise<void>;
}

/** After each batch: is the batch's work visible from the pool's side (e.g. HasVM at the collector)? */
export type BatchGate = (batch: { index: number; hosts: FleetHost[]; results: HostResult[] }) => Promise<{ ok: boolean; message?: string; hosts?: string[] }>;

export interface RolloutOptions {
  plan: FleetPlan;
  executor: HostExecutor;
  check: boolean;
  diff?: boolean;
  run?: string;
  onEvent?: (e: FleetEvent) => void;
  /** First abort: start no new host (Ctrl-C once). */
  stop?: AbortSignal;
  /** Second abort: stop in-flight hosts now (Ctrl-C twice). */
  kill?: AbortSignal;
  gate?: BatchGate;
  detailedExitcodes?: boolean;
  now?: () => number;
  /** Where the run record was written, for the summary. */
  record?: string;
}

export interface FleetReport {
  run: string;
  results: HostResult[];
  counts: Totals;
  stopped: boolean;
  stop?: StopDecision;
  interrupted: boolean;
  durationMs: number;
  exitCode: number;
}

export function newRunId(now: Date = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(2).toString('hex')}`;
}

export async function runRollout(o: RolloutOptions): Promise<FleetReport> {
  const now = o.now ?? Date.now;
  const t0 = now();
  const run = o.run ?? newRunId();
  const emit = o.onEvent ?? (() => undefined);
  const { plan } = o;
  emit({ type: 'run-start', run, plan: planView(plan, o.check), warnings: plan.warnings });

  const results: HostResult[] = [];
  const counts = emptyTotals();
  const state: RolloutState = {
    failed: 0, unreachable: 0, maxFail: plan.maxFail, maxUnreachable: plan.maxUnreachable,
    canary: { active: false, failed: 0, unreachable: 0 }, check: o.check, interrupted: !!o.stop?.aborted,
  };
  let stop: StopDecision | undefined;
  let currentBatch = 0;
  let configError: FleetError | undefined;
  const decide = () => {
    if (stop) return;
    state.interrupted = !!o.stop?.aborted;
    stop = shouldStop(state);
    if (stop) emit({ type: 'stop', run, batch: currentBatch, reason: stop.reason, message: stop.message });
  };
  const onStop = () => decide();
  o.stop?.addEventListener('abort', onStop, { once: true });

  const record = (r: HostResult) => {
    results.push(r);
    counts[r.outcome]++;
    emit({ type: 'host-done', run, host: r.host, batch: r.batch, result: r });
  };
  const notRun = (h: FleetHost, batch: number) =>
    record({ host: h.name, address: h.address, batch, outcome: 'not-run', profile: h.profile.file, durationMs: 0, cause: stop ? `not run: ${stop.message}` : undefined });

  const runOne = async (h: FleetHost, batch: number): Promise<void> => {
    emit({ type: 'host-start', run, host: h.name, batch });
    const started = now();
    const local = new AbortController();
    const kill = () => local.abort(o.kill?.reason);
    if (o.kill?.aborted) kill(); else o.kill?.addEventListener('abort', kill, { once: true });
    let r: Awaited<ReturnType<HostExecutor['runHost']>>;
    try {
      r = await o.executor.runHost({
        run, host: h, batch, check: o.check, ...(o.diff ? { diff: true } : {}), deadline: started + plan.hostTimeout * 1000, signal: local.signal,
        onStep: (step) => emit({ type: 'host-step', run, host: h.name, batch, step }),
      });
    } catch (e) {
      // This machine's ssh cannot work (e.g. ControlPath too long): every host would fail the same way.
      if (e instanceof FleetError && e.exitCode === FLEET_EXIT.CONFIG) { configError ??= e; state.systemic = `${h.name}: ${e.message}`; }
      const ve = e instanceof VmpError ? e : undefined;
      r = { outcome: 'failed', failure: 'internal', cause: ve?.message ?? String((e as Error)?.message ?? e), ...(ve?.hint ? { hint: ve.hint } : {}), durationMs: now() - started };
    } finally {
      o.kill?.removeEventListener('abort', kill);
    }
    const result: HostResult = { ...r, host: h.name, address: h.address, batch, profile: h.profile.file };
    if (result.outcome === 'failed') { state.failed++; if (state.canary.active) state.canary.failed++; }
    if (result.outcome === 'unreachable') { state.unreachable++; if (state.canary.active) state.canary.unreachable++; }
    if (result.failure === 'usage') state.systemic = `${h.name}: the agent rejected the controller's command line (${result.cause ?? 'exit 64'}): every host would fail the same way`;
    record(result);
    decide();
  };

  try {
    for (const [i, hosts] of plan.batches.entries()) {
      const batch = i + 1;
      currentBatch = batch;
      decide();
      if (stop) { hosts.forEach((h) => notRun(h, batch)); continue; }
      const canary = i === 0 && plan.batches.length > 1;
      state.canary = { active: canary, failed: 0, unreachable: 0 };
      emit({ type: 'batch-start', run, batch, hosts: hosts.map((h) => h.name), canary });
      // A sliding window: a finished host frees its slot for the next (Salt's batch mode, not lock-step).
      const queue = [...hosts];
      const inFlight = new Set<Promise<void>>();
      while (queue.length || inFlight.size) {
        while (!stop && queue.length && inFlight.size < plan.concurrency) {
          const p: Promise<void> = runOne(queue.shift()!, batch).finally(() => inFlight.delete(p));
          inFlight.add(p);
        }
        if (stop && queue.length) queue.splice(0).forEach((h) => notRun(h, batch));
        if (inFlight.size) await Promise.race(inFlight);
      }
      if (!stop && o.gate && !o.check) {
        const batchResults = results.filter((r) => r.batch === batch);
        let g: Awaited<ReturnType<BatchGate>>;
        try {
          g = await o.gate({ index: batch, hosts, results: batchResults });
        } catch (e) {
          g = { ok: false, message: `the gate could not be checked: ${(e as Error).message}` };
        }
        emit({ type: 'batch-gate', run, batch, ok: g.ok, ...(g.message ? { message: g.message } : {}), ...(g.hosts ? { hosts: g.hosts } : {}) });
        if (!g.ok) { state.gateFailed = `batch ${batch} gate: ${g.message ?? 'failed'}`; decide(); }
      }
      state.canary.active = false;
      await o.executor.afterBatch?.(hosts).catch(() => undefined);
    }
  } finally {
    o.stop?.removeEventListener('abort', onStop);
  }

  const interrupted = stop?.reason === 'interrupted';
  // A stop after the last host started leaves nothing unrun: the rollout still ran to its end.
  const stopped = !!stop && counts['not-run'] > 0;
  const report: FleetReport = {
    run, results, counts, stopped, ...(stop ? { stop } : {}), interrupted, durationMs: now() - t0,
    exitCode: configError ? FLEET_EXIT.CONFIG : fleetExitCode({ counts, stopped, interrupted }, !!o.detailedExitcodes),
  };
  emit({
    type: 'summary', run, hosts: plan.hosts.length, counts, stopped, ...(stop ? { stopReason: stop.reason, stopMessage: stop.message } : {}),
    interrupted, durationMs: report.durationMs, exitCode: report.exitCode, ...(o.record ? { record: o.record } : {}),
  });
  return report;
}

export interface FleetApplyOptions extends ResolveOptions {
  fleetFile: string;
  check: boolean;
  diff?: boolean;
  /** The executor, or a factory called once the plan is valid (so a bad fleet is exit 65 whatever the executor). */
  executor: HostExecutor | ((plan: FleetPlan) => HostExecutor);
  onEvent?: (e: FleetEvent) => void;
  /** Called with the resolved plan before the lock and the rollout (e.g. to print it). */
  onPlan?: (plan: FleetPlan) => void;
  stop?: AbortSignal;
  kill?: AbortSignal;
  gate?: BatchGate;
  /** The gate from the plan and the executor (e.g. to ask each node over its connection); wins over gate. */
  gateFor?: (plan: FleetPlan, executor: HostExecutor) => BatchGate | undefined;
  detailedExitcodes?: boolean;
  /** Appends each host result to the run record (see run-record.ts); called before the summary. */
  recorder?: (plan: FleetPlan) => { path: string; open(run: string, plan: FleetPlan): Promise<void>; write(e: FleetEvent): void; close(): Promise<void> };
  /** Takes the controller lock for this fleet (exit 75 when held); returns its release. */
  lock?: (plan: FleetPlan) => Promise<() => Promise<void>>;
}

/** The library entry point the CLI calls: plan (validates everything locally first), lock, roll out, record. */
export async function fleetApply(o: FleetApplyOptions): Promise<FleetReport> {
  const plan = await resolveFleet(o.fleetFile, o);
  o.onPlan?.(plan);
  const executor = typeof o.executor === 'function' ? o.executor(plan) : o.executor;
  const gate = o.gateFor ? o.gateFor(plan, executor) : o.gate;
  const release = o.lock ? await o.lock(plan) : undefined;
  const run = newRunId();
  const recorder = o.recorder?.(plan);
  try {
    await recorder?.open(run, plan);
    const onEvent = (e: FleetEvent) => { recorder?.write(e); o.onEvent?.(e); };
    return await runRollout({
      plan, executor, check: o.check, ...(o.diff ? { diff: true } : {}), run, onEvent, ...(o.stop ? { stop: o.stop } : {}), ...(o.kill ? { kill: o.kill } : {}),
      ...(gate ? { gate } : {}), detailedExitcodes: !!o.detailedExitcodes, ...(recorder ? { record: recorder.path } : {}),
    });
  } finally {
    await recorder?.close();
    await executor.close?.();
    await release?.();
  }
}

