// The typed event stream of a fleet run: the terminal view, plain lines, --json and the run record all read it.
import type { StopReason } from './thresholds.ts';

export type HostOutcome = 'ok' | 'changed' | 'pending' | 'failed' | 'unreachable' | 'not-run';
export const HOST_OUTCOMES: readonly HostOutcome[] = ['ok', 'changed', 'pending', 'failed', 'unreachable', 'not-run'];

/** Why a host could not be reached: classified from the connect phase's stderr, never from exit 255 alone. */
export type UnreachableKind = 'dns' | 'refused' | 'timeout' | 'auth' | 'hostkey-changed' | 'hostkey-unknown' | 'other';

/** Why a reached host failed. */
export type FailureKind =
  | 'remote'      // the agent ran and reported a failed step (exit 1, 4, 6)
  | 'profile'     // agent exit 65: a check that needs the node's facts
  | 'usage'       // agent exit 64: controller and agent disagree (stops the rollout)
  | 'lock'        // agent exit 75: another run holds the node's lock
  | 'become'      // sudo -n needs a password, or agent exit 77
  | 'runtime'     // no usable node (missing or older than 20) on the host
  | 'transfer'    // the shipped build's hash does not match
  | 'timeout'     // the per-host deadline passed
  | 'lost'        // the connection dropped after connecting, no summary arrived
  | 'interrupted' // stopped now (second Ctrl-C)
  | 'gate'        // the collector does not show the host with the VM universe after its batch
  | 'internal';   // the executor itself failed

export interface StepCounts { ok: number; changed: number; failed: number; skipped: number; pending: number }

export interface HostResult {
  host: string;
  address: string;
  batch: number;
  outcome: HostOutcome;
  /** For unreachable hosts. */
  unreachable?: UnreachableKind;
  /** For failed hosts. */
  failure?: FailureKind;
  /** The step that failed, from the agent's step lines. */
  failedStep?: string;
  /** One line: what went wrong (the agent's message, or ssh's). */
  cause?: string;
  /** What to do about it (the agent's hint, or ours). */
  hint?: string;
  /** The agent's exit code, when it ran. */
  agentExitCode?: number;
  steps?: StepCounts;
  profile: string;
  durationMs: number;
  connectMs?: number;
}

/** One agent --json step line, as the agent printed it. */
export interface AgentStepLine {
  type: 'step';
  step: string;
  status: 'ok' | 'changed' | 'pending' | 'skipped' | 'failed';
  summary: string;
  changes?: string[];
  diff?: string;
  warnings?: string[];
  ms?: number;
  error?: Record<string, unknown>;
}

export interface PlanView {
  fleet: string;
  file: string;
  hosts: number;
  batches: Array<{ index: number; hosts: string[]; canary: boolean }>;
  concurrency: number;
  hostTimeout: number;
  maxFail: { spec: number | string; limit: number };
  maxUnreachable: { spec: number | string; limit: number };
  check: boolean;
}

export interface Totals extends Record<HostOutcome, number> {}

export type FleetEvent =
  | { type: 'run-start'; run: string; plan: PlanView; warnings: string[] }
  | { type: 'batch-start'; run: string; batch: number; hosts: string[]; canary: boolean }
  | { type: 'host-start'; run: string; host: string; batch: number }
  | { type: 'host-step'; run: string; host: string; batch: number; step: AgentStepLine }
  | { type: 'host-done'; run: string; host: string; batch: number; result: HostResult }
  | { type: 'batch-gate'; run: string; batch: number; ok: boolean; message?: string; hosts?: string[] }
  | { type: 'stop'; run: string; batch: number; reason: StopReason; message: string }
  | {
    type: 'summary'; run: string; hosts: number; counts: Totals; stopped: boolean; stopReason?: StopReason; stopMessage?: string;
    interrupted: boolean; durationMs: number; exitCode: number; record?: string;
  };

export const emptyTotals = (): Totals => ({ ok: 0, changed: 0, pending: 0, failed: 0, unreachable: 0, 'not-run': 0 });
