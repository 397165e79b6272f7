// The exit codes of `vm-provision fleet` (README "Fleet exit codes"): one table, read by the fleet CLI.
import type { HostOutcome } from './events.ts';

export const FLEET_EXIT = {
  /** every selected host ended ok, changed or pending */
  OK: 0,
  /** the rollout ran to the end; at least one host failed (some may also be unreachable) */
  FAILED: 1,
  /** the rollout ran to the end; no host failed, at least one was unreachable */
  UNREACHABLE: 2,
  /** stopped early: a threshold exceeded, the canary or a gate failed, or a systemic error; some hosts not run */
  STOPPED: 3,
  USAGE: 64,
  /** the fleet file, an inventory or a profile is invalid; no host was contacted */
  INVALID: 65,
  /** the collector query for a pool: source failed */
  UNAVAILABLE: 69,
  /** another fleet run on this fleet holds the controller lock */
  LOCKED: 75,
  /** this machine's ssh cannot be used as configured (e.g. the ControlPath directory is too long) */
  CONFIG: 78,
  /** interrupted (Ctrl-C), after hosts in flight finished */
  INTERRUPTED: 130,
} as const;

/** --detailed-exitcodes: Puppet's bits (2 changed, 4 failed) plus 8 unreachable and 16 stopped early. */
export const FLEET_DETAILED = { CHANGED: 2, FAILED: 4, UNREACHABLE: 8, STOPPED: 16 } as const;

export interface OutcomeCounts extends Record<HostOutcome, number> {}

export function fleetExitCode(r: { counts: OutcomeCounts; stopped: boolean; interrupted: boolean }, detailed: boolean): number {
  if (r.interrupted) return FLEET_EXIT.INTERRUPTED;
  const c = r.counts;
  if (detailed) {
    return (c.changed > 0 ? FLEET_DETAILED.CHANGED : 0) | (c.failed > 0 ? FLEET_DETAILED.FAILED : 0)
      | (c.unreachable > 0 ? FLEET_DETAILED.UNREACHABLE : 0) | (r.stopped ? FLEET_DETAILED.STOPPED : 0);
  }
  if (r.stopped) return FLEET_EXIT.STOPPED;
  if (c.failed > 0) return FLEET_EXIT.FAILED;
  if (c.unreachable > 0) return FLEET_EXIT.UNREACHABLE;
  return FLEET_EXIT.OK;
}
