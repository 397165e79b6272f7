// Plain lines and --json for fleet events, and the `fleet hosts` view.
import type { FleetEvent, PlanView } from './events.ts';
import type { FleetPlan } from './resolve.ts';
import { describeThreshold } from './thresholds.ts';

export function planLines(v: PlanView, warnings: readonly string[] = []): string[] {
  const sizes = v.batches.map((b) => b.hosts.length);
  const shown = sizes.length > 8 ? `${sizes.slice(0, 8).join(', ')}, … (${sizes.length} batches)` : sizes.join(', ');
  return [
    `fleet ${v.fleet}: ${v.hosts} host${v.hosts === 1 ? '' : 's'}${v.check ? ' (check: nothing will change)' : ''}`,
    `batches: ${shown}${v.batches.length > 1 ? ' (the first is the canary: it tolerates no failure)' : ''}; concurrency ${v.concurrency}; host timeout ${v.hostTimeout}s`,
    describeThreshold('max-fail', v.maxFail, v.hosts),
    describeThreshold('max-unreachable', v.maxUnreachable, v.hosts),
    ...warnings.map((w) => `warning: ${w}`),
  ];
}

export function plainFleetRenderer(out: (line: string) => void, o: { diff?: boolean } = {}) {
  return (e: FleetEvent): void => {
    switch (e.type) {
      case 'run-start': planLines(e.plan, e.warnings).forEach(out); out(`run ${e.run}`); break;
      case 'batch-start': out(`batch ${e.batch}${e.canary ? ' (canary)' : ''}: ${e.hosts.length} host${e.hosts.length === 1 ? '' : 's'}`); break;
      case 'host-step':
        if (e.step.status !== 'ok' && e.step.status !== 'skipped') out(`  ${e.host}  [${e.step.status}] ${e.step.step}: ${e.step.summary}`);
        if (o.diff && e.step.diff?.trim()) e.step.diff.trimEnd().split('\n').forEach((l) => out(`  ${e.host}  ${l}`));
        break;
      case 'host-done': {
        const r = e.result;
        const why = r.outcome === 'failed' || r.outcome === 'unreachable' || r.outcome === 'pending' ? `: ${[r.failedStep && `step ${r.failedStep}`, r.cause].filter(Boolean).join(': ')}` : '';
        if (r.outcome !== 'not-run') out(`  ${e.host}  ${r.outcome.toUpperCase()}${why} (${(r.durationMs / 1000).toFixed(1)} s)`);
        break;
      }
      case 'batch-gate': out(`batch ${e.batch} gate: ${e.ok ? 'passed' : `FAILED: ${e.message ?? ''}`}`); break;
      case 'stop': out(`STOP: ${e.message}`); break;
      case 'summary': break; // the recap follows
      default: break;
    }
  };
}

/** --json: one object per line; host events carry host and batch, a step is the agent's line plus both. */
export function jsonFleetRenderer(out: (line: string) => void) {
  return (e: FleetEvent): void => {
    if (e.type === 'host-step') out(JSON.stringify({ ...e.step, type: 'step', run: e.run, host: e.host, batch: e.batch }));
    else if (e.type === 'host-done') out(JSON.stringify({ type: 'host', run: e.run, ...e.result }));
    else out(JSON.stringify(e));
  };
}

export function hostsRows(plan: FleetPlan): Array<{ batch: number; canary: boolean; name: string; address: string; port?: number; user?: string; become: boolean; identityFile?: string; groups: string[]; profile: string; profileName: string }> {
  return plan.batches.flatMap((b, i) => b.map((h) => ({
    batch: i + 1, canary: i === 0 && plan.batches.length > 1, name: h.name, address: h.address,
    ...(h.port !== undefined ? { port: h.port } : {}), ...(h.user !== undefined ? { user: h.user } : {}), become: h.become,
    ...(h.identityFile !== undefined ? { identityFile: h.identityFile } : {}),
    groups: h.groups, profile: h.profile.file, profileName: h.profile.profile.metadata.name,
  })));
}

export function hostsTable(plan: FleetPlan, cwdRelative: (p: string) => string): string[] {
  const rows = hostsRows(plan);
  const header = ['batch', 'host', 'address', 'user', 'port', 'sudo', 'profile'];
  const cells = rows.map((r) => [
    `${r.batch}${r.canary ? '*' : ''}`, r.name, r.address === r.name ? '-' : r.address, r.user ?? '-', r.port !== undefined ? String(r.port) : '-',
    r.become && r.user !== 'root' ? 'yes' : 'no', `${r.profileName} (${cwdRelative(r.profile)})`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i]!))).join('  ');
  return [line(header), ...cells.map(line), ...(plan.batches.length > 1 ? ['* canary batch'] : [])];
}
