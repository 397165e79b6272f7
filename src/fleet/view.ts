// The terminal view of a fleet run as pure state: a row per host under its batch, fed only by the typed event
// stream. The CLI's listr2 renderer draws it; everything it shows is decided here (and unit-tested here).
import type { AgentStepLine, FleetEvent, HostResult, PlanView } from './events.ts';

export interface StepRef { id: string; title: string }

export interface HostRow {
  host: string;
  batch: number;
  /** The agent's steps for this host's profile, in order (the step it is on is the first not yet reported). */
  steps: StepRef[];
  phase: 'waiting' | 'running' | 'done';
  reported: AgentStepLine[];
  result?: HostResult;
}

export interface BatchRow { batch: number; canary: boolean; hosts: string[]; started: boolean; gate?: { ok: boolean; message?: string } }

export interface FleetViewState { batches: BatchRow[]; rows: Map<string, HostRow>; stop?: string }

export interface Paint { green(s: string): string; yellow(s: string): string; cyan(s: string): string; red(s: string): string; dim(s: string): string }
export const noPaint: Paint = { green: (s) => s, yellow: (s) => s, cyan: (s) => s, red: (s) => s, dim: (s) => s };

export function initialView(plan: PlanView, stepsOf: (host: string) => StepRef[]): FleetViewState {
  const rows = new Map<string, HostRow>();
  for (const b of plan.batches) for (const h of b.hosts) rows.set(h, { host: h, batch: b.index, steps: stepsOf(h), phase: 'waiting', reported: [] });
  return { batches: plan.batches.map((b) => ({ batch: b.index, canary: b.canary, hosts: [...b.hosts], started: false })), rows };
}

/** Applies one event; returns the hosts whose row changed (and 0 for a batch-level change). */
export function reduceView(s: FleetViewState, e: FleetEvent): Array<string | number> {
  switch (e.type) {
    case 'batch-start': { const b = s.batches.find((x) => x.batch === e.batch); if (b) b.started = true; return [e.batch]; }
    case 'host-start': { const r = s.rows.get(e.host); if (!r) return []; r.phase = 'running'; return [e.host]; }
    case 'host-step': { const r = s.rows.get(e.host); if (!r) return []; r.reported.push(e.step); return [e.host]; }
    case 'host-done': { const r = s.rows.get(e.host); if (!r) return []; r.phase = 'done'; r.result = e.result; return [e.host]; }
    case 'batch-gate': { const b = s.batches.find((x) => x.batch === e.batch); if (!b) return []; b.gate = { ok: e.ok, ...(e.message ? { message: e.message } : {}) }; return [e.batch]; }
    case 'stop': s.stop = e.message; return [];
    default: return [];
  }
}

/** The step a running host is on: the first of its profile's steps the agent has not reported yet. */
export function currentStep(r: HostRow): { index: number; step?: StepRef } {
  const seen = new Set(r.reported.map((x) => x.step));
  const index = r.steps.findIndex((x) => !seen.has(x.id));
  return index < 0 ? { index: r.steps.length } : { index, step: r.steps[index]! };
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** How the row ends in listr: done (✔ is drawn by our own title), failed (✖) or skipped (not run). */
export type RowEnd = 'done' | 'failed' | 'skipped';

export function hostRowEnd(r: HostRow): RowEnd | undefined {
  if (r.phase !== 'done' || !r.result) return undefined;
  const o = r.result.outcome;
  return o === 'not-run' ? 'skipped' : o === 'failed' || o === 'unreachable' ? 'failed' : 'done';
}

export function hostRowTitle(r: HostRow, paint: Paint = noPaint): string {
  const name = r.host;
  if (r.phase === 'waiting') return `${name}  ${paint.dim('waiting')}`;
  if (r.phase === 'running') {
    const { index, step } = currentStep(r);
    const changed = r.reported.filter((x) => x.status === 'changed').map((x) => x.step);
    const failed = r.reported.find((x) => x.status === 'failed');
    const where = r.reported.length === 0
      ? `connecting${step ? `, then ${step.id}` : ''}`
      : step ? `step ${index + 1}/${r.steps.length} ${step.id}` : 'finishing';
    const extra = [changed.length ? paint.yellow(`changed ${changed.join(', ')}`) : '', failed ? paint.red(`${failed.step} failed`) : ''].filter(Boolean).join('; ');
    return `${name}  ${where}${extra ? `  (${extra})` : ''}`;
  }
  const res = r.result!;
  const t = paint.dim(`(${secs(res.durationMs)})`);
  switch (res.outcome) {
    case 'ok': return `${paint.green('✔')} ${name}  ok ${t}`;
    case 'changed': {
      const steps = r.reported.filter((x) => x.status === 'changed').map((x) => x.step);
      return `${paint.yellow('✚')} ${name}  changed${steps.length ? `: ${steps.join(', ')}` : ''} ${t}`;
    }
    case 'pending': return `${paint.cyan('◷')} ${name}  pending${res.cause ? `: ${res.cause}` : ''} ${t}`;
    case 'failed': return `${name}  ${paint.red('failed')}${res.failedStep ? ` at ${res.failedStep}` : ''}${res.failure && res.failure !== 'remote' ? ` (${res.failure})` : ''}: ${res.cause ?? 'no cause given'} ${t}`;
    case 'unreachable': return `${name}  ${paint.red('unreachable')}${res.unreachable ? ` (${res.unreachable})` : ''}: ${res.cause ?? ''}`;
    case 'not-run': return `${name}  not run`;
  }
}

export function batchTitle(s: FleetViewState, b: BatchRow, paint: Paint = noPaint): string {
  const rows = b.hosts.map((h) => s.rows.get(h)!).filter(Boolean);
  const done = rows.filter((r) => r.phase === 'done').length;
  const head = `batch ${b.batch}${b.canary ? ' (canary)' : ''}: ${b.hosts.length} host${b.hosts.length === 1 ? '' : 's'}`;
  const progress = b.started && done < rows.length ? `, ${done}/${rows.length} done` : '';
  const gate = b.gate ? (b.gate.ok ? `; gate passed${b.gate.message ? `: ${b.gate.message}` : ''}` : `; ${paint.red('gate FAILED')}: ${b.gate.message ?? ''}`) : '';
  return `${head}${progress}${gate}`;
}

/** The diffs the agent reported, per host, for `--diff` (printed after the list). */
export function diffLines(s: FleetViewState): string[] {
  const out: string[] = [];
  for (const r of s.rows.values()) {
    for (const x of r.reported) if (x.diff && x.diff.trim()) out.push(`--- ${r.host}: ${x.step}`, ...x.diff.trimEnd().split('\n'));
  }
  return out;
}
