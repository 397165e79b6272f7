// --json: one JSON object per line; the last line is the summary with counts and the exit code.
import type { RunEvent, RunReport } from '../engine/events.ts';
import type { VmpError } from '../errors/vmp-error.ts';

export function jsonRenderer(out: (line: string) => void) {
  return (e: RunEvent) => {
    if (e.type === 'step') out(JSON.stringify({ type: 'step', step: e.step, status: e.status, summary: e.summary, changes: e.changes, diff: e.diff, warnings: e.warnings, ms: e.ms, error: e.error, cost: e.cost }));
  };
}

export function jsonSummary(r: RunReport, exitCode: number): string {
  return JSON.stringify({ type: 'summary', host: r.host, profile: r.profile, check: r.check, counts: r.counts, changed: r.changed, failed: r.failed, ms: r.ms, exitCode, error: r.error?.toJSON() });
}

export function jsonError(e: VmpError, exitCode: number, issues?: unknown[]): string {
  return JSON.stringify({ type: 'error', ...e.toJSON(), issues, exitCode });
}
