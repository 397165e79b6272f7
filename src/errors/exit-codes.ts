// The documented exit codes (README "Exit codes"); one table, read by the one top-level handler.
import type { ErrorCode } from './vmp-error.ts';

export const EXIT = {
  OK: 0,
  FAILED: 1,
  USAGE: 64,
  PROFILE_INVALID: 65,
  LOCKED: 75,
  NEEDS_ROOT: 77,
} as const;

/** Puppet's --detailed-exitcodes: bit 2 = changed (or would change), bit 4 = failed. */
export const DETAILED = { NO_CHANGE: 0, CHANGED: 2, FAILED: 4, CHANGED_AND_FAILED: 6 } as const;

export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'USAGE': return EXIT.USAGE;
    case 'PROFILE_INVALID': return EXIT.PROFILE_INVALID;
    case 'LOCKED': return EXIT.LOCKED;
    case 'NEEDS_ROOT': return EXIT.NEEDS_ROOT;
    default: return EXIT.FAILED;
  }
}
