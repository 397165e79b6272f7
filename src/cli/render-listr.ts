// On a terminal: listr2 shows one live line per step, with what it checked and what it changed.
import type { RunEvent, RunReport } from '../engine/events.ts';

interface Deferred<T> { promise: Promise<T>; resolve(v: T): void }
const deferred = <T>(): Deferred<T> => { let resolve!: (v: T) => void; const promise = new Promise<T>((r) => { resolve = r; }); return { promise, resolve }; };

type StepEvent = Extract<RunEvent, { type: 'step' }>;

export async function runWithListr(run: (onEvent: (e: RunEvent) => void) => Promise<RunReport>): Promise<RunReport> {
  const { Listr } = await import('listr2');
  const done = new Map<string, Deferred<StepEvent>>();
  const outputs = new Map<string, (m: string) => void>();
  const start = deferred<Array<{ id: string; title: string }>>();
  const runP = run((e) => {
    if (e.type === 'start') { for (const s of e.steps) done.set(s.id, deferred()); start.resolve(e.steps); }
    if (e.type === 'step') done.get(e.step)?.resolve(e);
    if (e.type === 'progress') outputs.get(e.step)?.(e.message);
  });
  const steps = await Promise.race([start.promise, runP.then(() => undefined)]);
  if (!steps) return runP;
  const list = new Listr(steps.map((s) => ({
    title: s.title,
    task: async (_ctx: unknown, task: { title: string; output: string; skip(m?: string): void }) => {
      outputs.set(s.id, (m) => { task.output = m; });
      const e = await done.get(s.id)!.promise;
      task.title = `${s.id}: ${e.summary}${e.warnings.length ? ` (warning: ${e.warnings.join('; ')})` : ''}`;
      if (e.status === 'failed') throw new Error(e.summary);
      if (e.status === 'skipped') task.skip(`${s.id}: ${e.summary}`);
    },
  })), { concurrent: false, exitOnError: false, rendererOptions: { collapseErrors: false, collapseSkips: false } });
  await list.run().catch(() => undefined);
  return runP;
}
