// On a terminal: listr2 shows one live line per step, with what it checked and what it changed. Each cause is said
// once: a failed step's line says only that it failed, and the error block after the list says why and what to do.
// Each finished step carries its own symbol (listr2's ✔ is switched off), so a changed step looks unlike an ok one.
import type { RunEvent, RunReport } from '../engine/events.ts';

interface Deferred<T> { promise: Promise<T>; resolve(v: T): void }
const deferred = <T>(): Deferred<T> => { let resolve!: (v: T) => void; const promise = new Promise<T>((r) => { resolve = r; }); return { promise, resolve }; };

type StepEvent = Extract<RunEvent, { type: 'step' }>;

export interface Paint { green(s: string): string; yellow(s: string): string; cyan(s: string): string; dim(s: string): string }
const noPaint: Paint = { green: (s) => s, yellow: (s) => s, cyan: (s) => s, dim: (s) => s };

/** What listr2 shows for a finished step: its line, and whether the task fails (✖) or is skipped (↓). */
export interface StepView { title: string; outcome: 'done' | 'failed' | 'skipped' }

export function stepView(e: StepEvent, paint: Paint = noPaint): StepView {
  const warn = e.warnings.length ? ` (warning: ${e.warnings.join('; ')})` : '';
  switch (e.status) {
    case 'ok': return { title: `${paint.green('✔')} ${e.step}: ${e.summary}${warn}`, outcome: 'done' };
    case 'changed': return { title: `${paint.yellow('✚ changed')} ${e.step}: ${e.summary}${warn}`, outcome: 'done' };
    case 'pending': return { title: `${paint.cyan('◷ pending')} ${e.step}: ${e.summary}${warn}`, outcome: 'done' };
    case 'skipped': return { title: `${e.step}: ${e.summary}`, outcome: 'skipped' };
    // A thrown error is described once, after the list (its message, command and hint); otherwise the line says why.
    case 'failed': return { title: e.error ? `${e.step}: failed (why: below)` : `${e.step}: failed: ${e.summary}${warn}`, outcome: 'failed' };
  }
}

export interface ListrOutput { stream?: NodeJS.WriteStream }

export async function runWithListr(run: (onEvent: (e: RunEvent) => void) => Promise<RunReport>, out: ListrOutput = {}): Promise<RunReport> {
  const { Listr, ListrLogger, ProcessOutput, ListrDefaultRendererLogLevels, color } = await import('listr2');
  const paint: Paint = { green: color.green, yellow: color.yellow, cyan: color.cyan, dim: color.dim };
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
  const logger = out.stream ? { logger: new ListrLogger({ processOutput: new ProcessOutput(out.stream, out.stream) }) } : {};
  const list = new Listr(steps.map((s) => ({
    title: s.title,
    task: async (_ctx: unknown, task: { title: string; output: string; skip(m?: string): void }) => {
      outputs.set(s.id, (m) => { task.output = m; });
      const v = stepView(await done.get(s.id)!.promise, paint);
      if (v.outcome === 'skipped') { task.skip(v.title); return; }
      task.title = v.title;
      if (v.outcome === 'failed') throw new Error('');
    },
  })), {
    concurrent: false, exitOnError: false, ...(out.stream ? { forceTTY: true } : {}),
    rendererOptions: { collapseErrors: true, collapseSkips: true, icon: { [ListrDefaultRendererLogLevels.COMPLETED]: '' }, ...logger, ...(out.stream ? { lazy: true } : {}) },
  });
  await list.run().catch(() => undefined);
  return runP;
}
