// What a startd restart costs the work on the node, from its slot ads: which jobs run, for how long, and whether
// the chosen mode (and the node's MaxJobRetirementTime / MachineMaxVacateTime) lets them finish. Pure.
import type { RestartSpec } from '../profile/schema.ts';
import type { SlotVm } from './status.ts';

export interface RunningJob { slot: string; owner?: string; jobId?: string; runningSeconds?: number }

export interface NodeWork {
  running: RunningJob[];
  /** A drain in progress (anyone's): its request id and DrainReason. */
  draining?: { requestId?: string; reason?: string };
  retirementSeconds?: number;
  vacateSeconds?: number;
  /** The startd's own address (MyAddress): condor_drain's target. */
  address?: string;
}

export interface RestartCost {
  mode: RestartSpec['mode'];
  how?: RestartSpec['drain']['how'];
  runningJobs: RunningJob[];
  retirementSeconds: number | null;
  vacateSeconds: number | null;
  /** true: vacated at once; false: none is; unknown: depends on how long the jobs still run, or the ads are unknown. */
  jobsVacated: boolean | 'unknown';
  draining?: { requestId?: string; reason?: string };
  message: string;
}

const short = (s?: string) => s?.split('@')[0];
const RUNNING_STATES = new Set(['Claimed', 'Preempting']);

export function isRunningJob(s: SlotVm): boolean {
  return !!s.jobId && RUNNING_STATES.has(s.state ?? '');
}

/** The work on the node at `now` (the node's clock, seconds). */
export function nodeWork(slots: SlotVm[], now: number): NodeWork {
  const busy = slots.filter(isRunningJob);
  const running = busy.map((s) => {
    const start = s.jobStart ?? s.enteredActivity;
    return { slot: short(s.name)!, owner: short(s.remoteOwner ?? s.remoteUser), jobId: s.jobId, runningSeconds: start === undefined ? undefined : Math.max(0, now - start) };
  }).sort((a, b) => (b.runningSeconds ?? 0) - (a.runningSeconds ?? 0));
  // The running slots' policy is what applies to their jobs; otherwise any slot's.
  const policy = [...busy, ...slots];
  const drainer = slots.find((s) => s.draining);
  return {
    running,
    ...(drainer ? { draining: { requestId: drainer.drainRequestId, reason: drainer.drainReason } } : {}),
    retirementSeconds: policy.find((s) => s.retirement !== undefined)?.retirement,
    vacateSeconds: policy.find((s) => s.vacate !== undefined)?.vacate,
    address: slots.find((s) => s.address)?.address,
  };
}

/** 2h13m, 41m, 1m05s, 12s, 1d3h. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? String(s % 60).padStart(2, '0') + 's' : ''}`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

export function describeJob(j: RunningJob, extra = ''): string {
  return [j.slot, j.owner, j.jobId && `job ${j.jobId}`, j.runningSeconds !== undefined && formatDuration(j.runningSeconds)].filter(Boolean).join(' ') + extra;
}

function listJobs(jobs: RunningJob[], extra: (j: RunningJob) => string = () => ''): string {
  const shown = jobs.slice(0, 3).map((j) => describeJob(j, extra(j)));
  return `(${shown.join(', ')}${jobs.length > 3 ? `, … ${jobs.length - 3} more` : ''})`;
}

/** What the mode does to the running jobs: retirement minus vacate time is what a graceful shutdown or drain grants. */
function underRetirement(prefix: string, jobs: RunningJob[], r: number | undefined, v: number | undefined, peacefulHint: boolean): { vacated: boolean | 'unknown'; text: string } {
  const n = plural(jobs.length, 'running job');
  if (r === undefined) return { vacated: 'unknown', text: `${prefix}MaxJobRetirementTime could not be read: ${n} may be vacated ${listJobs(jobs)}` };
  const vac = v ?? 0;
  const window = r - vac;
  const use = peacefulHint ? '; use peaceful to let them finish' : '';
  if (r === 0) return { vacated: true, text: `${prefix}MaxJobRetirementTime is 0 s here — ${n} would be vacated ${listJobs(jobs)}${use}` };
  if (window <= 0) {
    return { vacated: true, text: `${prefix}MaxJobRetirementTime ${r} s does not cover MachineMaxVacateTime ${vac} s — ${n} would be vacated at once ${listJobs(jobs)}${use}` };
  }
  const left = (j: RunningJob) => window - (j.runningSeconds ?? 0);
  const allOut = jobs.every((j) => left(j) <= 0);
  const text = `${prefix}jobs are spared only if they end within ${window} s of their start (MaxJobRetirementTime ${r} s − MachineMaxVacateTime ${vac} s): ${n} ${listJobs(jobs, (j) => (left(j) > 0 ? `, ${formatDuration(left(j))} left` : ', vacated at once'))}`;
  return { vacated: allOut ? true : 'unknown', text };
}

/** The cost of restarting with `spec` given the node's work (undefined: the slot ads could not be read). */
export function restartCost(spec: RestartSpec, work: NodeWork | undefined, unknownWhy?: string): RestartCost {
  const base = { mode: spec.mode, ...(spec.mode === 'drain' ? { how: spec.drain.how } : {}) };
  if (!work) {
    return { ...base, runningJobs: [], retirementSeconds: null, vacateSeconds: null, jobsVacated: 'unknown', message: `the work on the node is unknown${unknownWhy ? ` (${unknownWhy})` : ''}` };
  }
  const jobs = work.running;
  const r = work.retirementSeconds;
  const v = work.vacateSeconds;
  const common = { ...base, runningJobs: jobs, retirementSeconds: r ?? null, vacateSeconds: v ?? null, ...(work.draining ? { draining: work.draining } : {}) };
  const drainNote = work.draining ? ` (the node is already draining: ${work.draining.reason ?? 'no reason'}, request id ${work.draining.requestId ?? 'unknown'})` : '';
  if (!jobs.length) return { ...common, jobsVacated: false, message: `idle node: restart now${drainNote}` };
  const n = plural(jobs.length, 'running job');
  let out: { vacated: boolean | 'unknown'; text: string };
  switch (spec.mode) {
    case 'peaceful':
      out = { vacated: false, text: `peaceful: waits for ${n} (longest running ${formatDuration(jobs[0]!.runningSeconds ?? 0)}) ${listJobs(jobs)}` };
      break;
    case 'drain':
      if (spec.drain.how === 'graceful') out = underRetirement('drain: ', jobs, r, v, true);
      else if (spec.drain.how === 'quick') out = { vacated: true, text: `drain -quick ignores MaxJobRetirementTime: ${n} would be vacated ${listJobs(jobs)}; use peaceful to let them finish` };
      else out = { vacated: true, text: `drain -fast: ${n} would be killed at once ${listJobs(jobs)}; use peaceful to let them finish` };
      break;
    default:
      // A graceful shutdown honours the retirement time like a graceful drain.
      out = underRetirement('', jobs, r, v, false);
  }
  return { ...common, jobsVacated: out.vacated, message: out.text + drainNote };
}

/** One line while waiting: "waiting for 2 jobs to finish, 41 min so far". */
export function waitingMessage(work: NodeWork | undefined, waitedSeconds: number, what: string): string {
  const so = waitedSeconds >= 60 ? `${Math.floor(waitedSeconds / 60)} min so far` : `${Math.round(waitedSeconds)} s so far`;
  if (!work) return `waiting for the ${what}, ${so}`;
  if (!work.running.length) return `no job running, waiting for the ${what}, ${so}`;
  return `waiting for ${plural(work.running.length, 'job')} to finish ${listJobs(work.running)}, ${so}`;
}
