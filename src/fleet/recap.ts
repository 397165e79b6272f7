// The recap: like Ansible's PLAY RECAP but host outcomes; one line per host that is not ok, totals, the --rerun line.
import type { HostOutcome, HostResult, Totals } from './events.ts';
import type { FleetReport } from './engine.ts';
import type { FleetPlan } from './resolve.ts';

const LABEL: Record<HostOutcome, string> = {
  ok: 'OK', changed: 'CHANGED', pending: 'PENDING', failed: 'FAILED', unreachable: 'UNREACHABLE', 'not-run': 'NOT RUN',
};

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function totalsLine(c: Totals): string {
  return `ok=${c.ok} changed=${c.changed} pending=${c.pending} failed=${c.failed} unreachable=${c.unreachable} not-run=${c['not-run']}`;
}

function causeOf(r: HostResult): string {
  const parts: string[] = [];
  if (r.outcome === 'unreachable' && r.unreachable) parts.push(`[${r.unreachable}]`);
  if (r.outcome === 'failed' && r.failure && r.failure !== 'remote') parts.push(`[${r.failure}]`);
  if (r.failedStep) parts.push(`step ${r.failedStep}:`);
  if (r.cause) parts.push(r.cause);
  return parts.join(' ');
}

export interface RecapOptions {
  /** The command line to repeat with --rerun (e.g. "vm-provision fleet apply fleet.yaml"). */
  command: string;
  /** Show ok and changed hosts too. */
  verbose?: boolean;
}

export function formatRecap(plan: FleetPlan, report: FleetReport, opts: RecapOptions): string[] {
  const lines = [`RECAP  run ${report.run} · ${plan.hosts.length} host${plan.hosts.length === 1 ? '' : 's'} · ${plan.batches.length} batch${plan.batches.length === 1 ? '' : 'es'} · ${formatDuration(report.durationMs)}`];
  const shown = report.results.filter((r) => opts.verbose || (r.outcome !== 'ok' && r.outcome !== 'changed'));
  // not-run hosts share one cause: list them on one line instead of one each.
  const notRun = shown.filter((r) => r.outcome === 'not-run');
  const width = Math.min(40, Math.max(0, ...shown.map((r) => r.host.length)));
  for (const r of shown.filter((x) => x.outcome !== 'not-run')) {
    lines.push(`${r.host.padEnd(width)}  ${LABEL[r.outcome].padEnd(11)}  ${causeOf(r)}`.trimEnd());
    if (r.hint) lines.push(`${''.padEnd(width)}  ${''.padEnd(11)}  hint: ${r.hint}`);
  }
  if (notRun.length) lines.push(`not run (${notRun.length}): ${notRun.slice(0, 10).map((r) => r.host).join(', ')}${notRun.length > 10 ? ', …' : ''}`);
  const limits = `max-fail ${plan.maxFail.limit}, max-unreachable ${plan.maxUnreachable.limit}`;
  lines.push(`${totalsLine(report.counts)}  (${limits}${report.stop ? `; stopped: ${report.stop.message}` : ': not exceeded'})`);
  const retry = report.counts.failed + report.counts.unreachable + report.counts['not-run'];
  if (retry > 0) {
    const which = report.counts['not-run'] > 0 || (report.counts.failed > 0 && report.counts.unreachable > 0) ? 'all'
      : report.counts.failed > 0 ? 'failed' : 'unreachable';
    lines.push(`to retry: ${opts.command} --rerun ${which} ${report.run}`);
  }
  return lines;
}
