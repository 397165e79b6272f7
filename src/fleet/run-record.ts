// The run record: JSON lines per run (a run line, one line per host result, the summary), for --rerun.
import { appendFileSync, mkdirSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { FleetEvent, HostOutcome, HostResult } from './events.ts';
import type { FleetPlan } from './resolve.ts';

export type RerunWhich = 'failed' | 'unreachable' | 'all';
export const RERUN_CHOICES: readonly RerunWhich[] = ['failed', 'unreachable', 'all'];

/** $XDG_STATE_HOME/vm-provision/fleet/<name>, else ~/.local/state/vm-provision/fleet/<name>. */
export function fleetStateDir(fleetName: string, env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const base = env.XDG_STATE_HOME && env.XDG_STATE_HOME.startsWith('/') ? env.XDG_STATE_HOME : join(home, '.local', 'state');
  return join(base, 'vm-provision', 'fleet', fleetName);
}

export type RecordLine =
  | { type: 'run'; run: string; fleet: string; file: string; check: boolean; hosts: string[] }
  | ({ type: 'host'; run: string } & HostResult)
  | { type: 'summary'; run: string; counts: Record<HostOutcome, number>; stopped: boolean; exitCode: number };

/** Writes as it goes (appendFileSync): a controller killed mid-rollout leaves every finished host on record. */
export function fileRecorder(dir: string, check: boolean) {
  let path = '';
  return {
    get path() { return path; },
    async open(run: string, plan: FleetPlan) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      path = join(dir, `${run}.jsonl`);
      const line: RecordLine = { type: 'run', run, fleet: plan.fleet.metadata.name, file: plan.file, check, hosts: plan.hosts.map((h) => h.name) };
      appendFileSync(path, `${JSON.stringify(line)}\n`, { mode: 0o600 });
    },
    write(e: FleetEvent) {
      if (!path) return;
      if (e.type === 'host-done') appendFileSync(path, `${JSON.stringify({ type: 'host', run: e.run, ...e.result })}\n`);
      if (e.type === 'summary') appendFileSync(path, `${JSON.stringify({ type: 'summary', run: e.run, counts: e.counts, stopped: e.stopped, exitCode: e.exitCode })}\n`);
    },
    async close() { /* appendFileSync: nothing buffered */ },
  };
}

export function parseRunRecord(text: string): RecordLine[] {
  return text.split('\n').filter((l) => l.trim()).flatMap((l) => {
    try {
      const v = JSON.parse(l) as RecordLine;
      return v && typeof v === 'object' && typeof v.type === 'string' ? [v] : [];
    } catch {
      return []; // a line cut short by a kill
    }
  });
}

/**
 * Hosts to run again. failed / unreachable: those outcomes. all: every host that did not converge
 * (failed, unreachable, and not run, including hosts planned but never reported because the controller died).
 */
export function rerunHosts(record: readonly RecordLine[], which: RerunWhich): string[] {
  const last = new Map<string, HostOutcome>();
  let planned: string[] = [];
  for (const l of record) {
    if (l.type === 'run') planned = l.hosts;
    if (l.type === 'host') last.set(l.host, l.outcome);
  }
  const wanted = (o: HostOutcome | undefined) =>
    which === 'all' ? o === undefined || o === 'failed' || o === 'unreachable' || o === 'not-run' : o === which;
  const order = planned.length ? planned : [...last.keys()];
  return order.filter((h) => wanted(last.get(h)));
}

/** The record of `run` (an id or a path), or the latest in `dir`. */
export async function findRunRecord(dir: string, run?: string): Promise<{ path: string; lines: RecordLine[] } | undefined> {
  let path: string | undefined;
  if (run && (run.includes('/') || run.endsWith('.jsonl'))) path = run;
  else if (run) path = join(dir, `${run}.jsonl`);
  else {
    const names = await readdir(dir).catch(() => [] as string[]);
    const latest = names.filter((n) => n.endsWith('.jsonl')).sort().at(-1);
    if (latest) path = join(dir, latest);
  }
  if (!path) return undefined;
  const text = await readFile(path, 'utf8').catch(() => undefined);
  return text === undefined ? undefined : { path, lines: parseRunRecord(text) };
}
