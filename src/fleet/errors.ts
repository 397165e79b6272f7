// Fleet errors: VmpError values that carry the fleet's own exit code (see exit-codes.ts).
import { VmpError, type ErrorCode, type ErrorContext } from '../errors/vmp-error.ts';
import { formatIssue, type FleetIssue } from './issues.ts';
import { FLEET_EXIT } from './exit-codes.ts';

export class FleetError extends VmpError {
  constructor(readonly exitCode: number, code: ErrorCode, message: string, opts: { hint?: string; context?: ErrorContext; cause?: unknown } = {}) {
    super(code, message, opts);
  }
}

/** Exit 65: the fleet file, an inventory or a referenced profile is invalid; nothing was contacted. */
export class FleetInvalid extends FleetError {
  constructor(readonly issues: FleetIssue[]) {
    super(FLEET_EXIT.INVALID, 'PROFILE_INVALID', issues.map(formatIssue).join('\n'), {
      context: { file: issues[0]?.file, line: issues[0]?.line, col: issues[0]?.col },
    });
  }
}

export const usageError = (message: string, hint?: string) => new FleetError(FLEET_EXIT.USAGE, 'USAGE', message, hint ? { hint } : {});

export function fleetExitCodeForError(e: VmpError): number {
  if (e instanceof FleetError) return e.exitCode;
  switch (e.code) {
    case 'USAGE': return FLEET_EXIT.USAGE;
    case 'PROFILE_INVALID': return FLEET_EXIT.INVALID;
    case 'LOCKED': return FLEET_EXIT.LOCKED;
    default: return FLEET_EXIT.FAILED;
  }
}

export function toFleetError(e: unknown): VmpError {
  if (e instanceof VmpError) return e;
  return new VmpError('INTERNAL', e instanceof Error ? e.message : String(e), {
    hint: 'this is a bug in vm-provision: please report it with the output of --json', cause: e,
  });
}
