// The step contract: check the current state, then act only on a difference (or, with --check, say what it would do).
import type { Host } from '../host/host.ts';
import type { Profile } from '../profile/index.ts';
import type { Facts } from '../facts/gather.ts';
import type { Journal } from '../engine/journal.ts';
import type { SlotVm, StartdAnswer } from '../condor/status.ts';
import type { RestartCost } from '../condor/slot-work.ts';

export type StepStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'pending';

export interface StepOutcome {
  status: StepStatus;
  /** One line: what was checked and what was (or would be) done. */
  summary: string;
  changes?: string[];
  diff?: string;
  warnings?: string[];
  /** The restart step: what the restart does (or would do) to the work on the node. */
  cost?: RestartCost;
}

/** What earlier steps did or (in --check) would do, so later steps plan from it. */
export interface RunState {
  packagesToInstall: string[];
  packagesInstalled: string[];
  configPath?: string;
  configChanged: boolean;
  /** Content before our write; null when the file did not exist. undefined = not written in this run. */
  configBefore?: string | null;
  restartReason?: string;
  /** The knobs of the rendered config, [name, value as written]. */
  configKnobs?: Array<[string, string]>;
  /** What the running startd said it was configured with (asked once per run). */
  startd?: StartdAnswer;
  /** Xen: the resolved kernel version, the initrd path, the bootloader (found, or predicted in --check). */
  xen?: { kernelVersion?: string; initrd?: string; bootloader?: string };
  restartedAt?: number;
  /** The master will start the startd at this time (its restart backoff): verify waits for it. */
  startdBackoffUntil?: number;
  slots?: SlotVm[];
  /** The slot ads preflight read (with the clock check) and when (ms): the restart step's look while still fresh. */
  preflightSlots?: { slots: SlotVm[]; error?: string; at: number };
  /** A drain this run started or continues: verify waits for it, and cancels it on timeout. */
  drain?: { requestId: string; target: string };
}

export interface RunContext {
  host: Host;
  profile: Profile;
  profileFile: string;
  facts: Facts;
  check: boolean;
  state: RunState;
  journal: Journal;
  /** Progress for long steps (shown live on a terminal). */
  progress(message: string): void;
}

export interface Step {
  id: string;
  title: string;
  run(ctx: RunContext): Promise<StepOutcome>;
}

export function newRunState(): RunState {
  return { packagesToInstall: [], packagesInstalled: [], configChanged: false };
}
