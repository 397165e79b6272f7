// Plain lines (not a terminal, or --no-progress): one line per step, diffs when asked.
import type { RunEvent, RunReport } from '../engine/events.ts';

const pad = (s: string) => `[${s}]`.padEnd(10);

/** Long waits for running jobs (peaceful, drain) show in logs too, at most once a minute. */
const JOB_WAIT = /^(waiting for \d+ jobs? to finish|no job running, waiting)/;

export function plainRenderer(out: (line: string) => void, showDiff: boolean) {
  let lastWait = 0;
  return (e: RunEvent) => {
    if (e.type === 'progress' && JOB_WAIT.test(e.message) && Date.now() - lastWait >= 60_000) {
      lastWait = Date.now();
      out(`          ${e.step}: ${e.message}`);
    }
    if (e.type === 'start') out(`vm-provision ${e.check ? 'plan (check mode: nothing is changed)' : 'apply'} ${e.profile} on ${e.host}`);
    if (e.type === 'step') {
      out(`${pad(e.status)}${e.step}: ${e.summary} (${e.ms} ms)`);
      for (const w of e.warnings) out(`          warning: ${w}`);
      if (showDiff && e.diff) for (const l of e.diff.trimEnd().split('\n')) out(`          ${l}`);
    }
  };
}

export function summaryLine(r: RunReport): string {
  const c = r.counts;
  const verb = r.check ? 'would change' : 'changed';
  return `${r.host}: ${c.ok} ok, ${r.check ? c.pending : c.changed} ${verb}, ${c.failed} failed, ${c.skipped} skipped${!r.check && c.pending ? `, ${c.pending} pending` : ''} (${(r.ms / 1000).toFixed(2)} s)`;
}
