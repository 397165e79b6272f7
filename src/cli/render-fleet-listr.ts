// On a terminal: listr2 draws the fleet view (src/fleet/view.ts) — a task per batch, a row per host under it showing
// the step it is on. It only renders: every row's text comes from the view, the view only from fleetApply's events.
import type { FleetEvent } from '../fleet/events.ts';
import type { FleetReport } from '../fleet/engine.ts';
import { batchTitle, hostRowEnd, hostRowTitle, initialView, reduceView, type FleetViewState, type Paint, type StepRef } from '../fleet/view.ts';

interface Deferred<T> { promise: Promise<T>; resolve(v: T): void }
const deferred = <T>(): Deferred<T> => { let resolve!: (v: T) => void; const promise = new Promise<T>((r) => { resolve = r; }); return { promise, resolve }; };

type Task = { title: string };

export interface FleetListrOptions {
  stepsOf: (host: string) => StepRef[];
  /** Lines before the list (the resolved plan) and after it. */
  out: (line: string) => void;
  /** The lines printed above the list when the run starts (the resolved plan). */
  header?: (e: Extract<FleetEvent, { type: 'run-start' }>) => string[];
  /** The view, once the run is over (e.g. for --diff). */
  onView?: (s: FleetViewState) => void;
  stream?: NodeJS.WriteStream;
}

export async function runFleetWithListr(run: (onEvent: (e: FleetEvent) => void) => Promise<FleetReport>, o: FleetListrOptions): Promise<FleetReport> {
  const { Listr, ListrLogger, ProcessOutput, ListrDefaultRendererLogLevels, color } = await import('listr2');
  const paint: Paint = { green: color.green, yellow: color.yellow, cyan: color.cyan, red: color.red, dim: color.dim };
  let view: FleetViewState | undefined;
  const started = deferred<FleetViewState>();
  const hostDone = new Map<string, Deferred<void>>();
  const hostTask = new Map<string, Task>();
  const batchTask = new Map<number, Task>();
  const early: FleetEvent[] = [];

  const onEvent = (e: FleetEvent) => {
    if (e.type === 'run-start') {
      o.header?.(e).forEach(o.out);
      view = initialView(e.plan, o.stepsOf);
      for (const h of view.rows.keys()) hostDone.set(h, deferred());
      started.resolve(view);
      return;
    }
    if (!view) { early.push(e); return; }
    for (const k of reduceView(view, e)) {
      if (typeof k === 'number') { const b = view.batches.find((x) => x.batch === k); const t = batchTask.get(k); if (b && t) t.title = batchTitle(view, b, paint); continue; }
      const r = view.rows.get(k)!;
      const t = hostTask.get(k);
      if (t) t.title = hostRowTitle(r, paint);
      const b = view.batches.find((x) => x.batch === r.batch);
      const bt = batchTask.get(r.batch);
      if (b && bt) bt.title = batchTitle(view, b, paint);
      if (r.phase === 'done') hostDone.get(k)?.resolve();
    }
  };

  const runP = run(onEvent);
  const s = await Promise.race([started.promise, runP.then(() => undefined, () => undefined)]);
  if (!s) return runP;
  const logger = o.stream ? { logger: new ListrLogger({ processOutput: new ProcessOutput(o.stream, o.stream) }) } : {};
  const options = {
    concurrent: false, exitOnError: false, registerSignalListeners: false, ...(o.stream ? { forceTTY: true } : {}),
    rendererOptions: { collapseSubtasks: false, collapseErrors: false, collapseSkips: true, icon: { [ListrDefaultRendererLogLevels.COMPLETED]: '' }, ...logger, ...(o.stream ? { lazy: true } : {}) },
  };
  const list = new Listr(s.batches.map((b) => ({
    title: batchTitle(s, b, paint),
    task: (_ctx, task) => {
      batchTask.set(b.batch, task);
      task.title = batchTitle(s, b, paint);
      return task.newListr(b.hosts.map((h) => ({
        title: hostRowTitle(s.rows.get(h)!, paint),
        task: async (_c, t) => {
          hostTask.set(h, t);
          t.title = hostRowTitle(s.rows.get(h)!, paint);
          await hostDone.get(h)!.promise;
          const r = s.rows.get(h)!;
          const title = hostRowTitle(r, paint);
          const end = hostRowEnd(r);
          if (end === 'skipped') { t.skip(title); return; }
          t.title = title;
          if (end === 'failed') throw new Error('');
        },
      })), { concurrent: true, exitOnError: false });
    },
  })), options as never);
  const listed = list.run().catch(() => undefined);
  let report: FleetReport;
  try {
    report = await runP;
  } finally {
    // A run that ended early (an error, a stop) leaves rows waiting: end them so the list closes.
    for (const d of hostDone.values()) d.resolve();
    await listed;
  }
  for (const e of early) reduceView(s, e);
  // Said once the list is drawn (a line printed under a live list would be redrawn over); the recap repeats it.
  if (s.stop) o.out(`STOP: ${s.stop}`);
  o.onView?.(s);
  return report;
}
