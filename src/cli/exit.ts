// The one place that turns a run's outcome or an error into the documented exit code.
import { DETAILED, EXIT, exitCodeFor } from '../errors/exit-codes.ts';
import type { VmpError } from '../errors/vmp-error.ts';
import type { RunReport } from '../engine/events.ts';

export function exitCodeForReport(r: RunReport, detailed: boolean): number {
  if (!detailed) return r.failed ? EXIT.FAILED : EXIT.OK;
  return (r.changed ? DETAILED.CHANGED : 0) | (r.failed ? DETAILED.FAILED : 0);
}

export function exitCodeForError(e: VmpError): number {
  return exitCodeFor(e.code);
}
