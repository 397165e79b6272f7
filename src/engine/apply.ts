// One run: profile → facts → steps (check, then act on differences) → report. Callable without the CLI.
import { resolve } from 'node:path';
import { VmpError, isVmpError } from '../errors/vmp-error.ts';
import type { Host } from '../host/host.ts';
import { loadProfile, checkAgainstFacts, formatIssue, readProfileText, type Profile, type ProfileIssue } from '../profile/index.ts';
import { gatherFacts, type Facts } from '../facts/gather.ts';
import { newRunState, type RunContext, type StepOutcome, type StepStatus } from '../steps/step.ts';
import { Journal, LOCK_FILE, STATE_DIR } from './journal.ts';
import { stepsFor } from './plan-steps.ts';
import { configDirs, sweepLeftovers } from './leftovers.ts';
import type { RunEvent, RunReport, StepResult } from './events.ts';

export interface ApplyOptions {
  host: Host;
  profileFile: string;
  check: boolean;
  onEvent?: (e: RunEvent) => void;
}

export class ProfileInvalid extends VmpError {
  constructor(readonly issues: ProfileIssue[], file: string) {
    super('PROFILE_INVALID', issues.map(formatIssue).join('\n'), { context: { file, line: issues[0]?.line, col: issues[0]?.col } });
  }
}

/** Read and validate a profile file (exit 65 on any issue, before anything touches the node). */
export async function readProfile(file: string): Promise<{ profile: Profile; positionOf: (p: (string | number)[]) => { line: number; col: number } }> {
  let text: string;
  try {
    text = await readProfileText(file);
  } catch (e) {
    throw new VmpError('USAGE', `cannot read profile ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, { context: { file } });
  }
  const loaded = loadProfile(file, text);
  if (!loaded.ok) throw new ProfileInvalid(loaded.issues, file);
  return { profile: loaded.profile, positionOf: loaded.positionOf };
}

export function semanticCheck(file: string, profile: Profile, positionOf: (p: (string | number)[]) => { line: number; col: number }, facts: Facts) {
  const issues = checkAgainstFacts(profile, positionOf, file, { memTotalMiB: facts.memTotalMiB });
  if (issues.length) throw new ProfileInvalid(issues, file);
}

const emptyCounts = (): Record<StepStatus, number> => ({ ok: 0, changed: 0, failed: 0, skipped: 0, pending: 0 });

export async function apply(opts: ApplyOptions): Promise<RunReport> {
  const t0 = Date.now();
  const emit = opts.onEvent ?? (() => undefined);
  const file = resolve(opts.profileFile);
  const { profile, positionOf } = await readProfile(file);
  const host = opts.host;
  if ((await host.uid()) !== 0) {
    throw new VmpError('NEEDS_ROOT', `vm-provision ${opts.check ? 'plan/--check' : 'apply'} must run as root on the node (it reads and writes HTCondor's config and keeps its journal and backups in ${STATE_DIR})`, {
      hint: 'run it with sudo, or as root', context: { host: host.name },
    });
  }
  const lock = await host.acquireLock(LOCK_FILE);
  try {
    const facts = await gatherFacts(host);
    semanticCheck(file, profile, positionOf, facts);
    // A run killed mid-write left these; --check leaves the node as it is.
    if (!opts.check) await sweepLeftovers(host, configDirs(facts.condor.localConfigDirs, profile.condor.configFile));
    const journal = await Journal.load(host);
    const steps = stepsFor(profile);
    emit({ type: 'start', host: host.name, profile: file, check: opts.check, steps: steps.map((s) => ({ id: s.id, title: s.title })) });
    const ctx: RunContext = {
      host, profile, profileFile: file, facts, check: opts.check, state: newRunState(), journal, progress: () => undefined,
    };
    const results: StepResult[] = [];
    let error: VmpError | undefined;
    for (const step of steps) {
      const s0 = Date.now();
      if (error) {
        const r: StepResult = { step: step.id, title: step.title, status: 'skipped', summary: `not run: step ${results.find((x) => x.status === 'failed')?.step} failed`, changes: [], warnings: [], ms: 0 };
        results.push(r);
        emit({ type: 'step', ...r });
        continue;
      }
      emit({ type: 'step-start', step: step.id, title: step.title });
      ctx.progress = (message) => emit({ type: 'progress', step: step.id, message });
      let r: StepOutcome;
      try {
        r = await step.run(ctx);
      } catch (e) {
        error = toVmpError(e).with({ host: host.name, step: step.id });
        r = { status: 'failed', summary: error.message };
      }
      const res: StepResult = { step: step.id, title: step.title, status: r.status, summary: r.summary, changes: r.changes ?? [], diff: r.diff, warnings: r.warnings ?? [], ms: Date.now() - s0, ...(r.cost ? { cost: r.cost } : {}) };
      results.push(res);
      emit({ type: 'step', ...res, error: r.status === 'failed' ? error?.toJSON() : undefined });
    }
    // A preflight refusal changed nothing, the journal included.
    if (!opts.check && error?.context.step !== 'preflight') await recordOutcome(journal, error, await host.now());
    const counts = emptyCounts();
    for (const r of results) counts[r.status]++;
    return {
      host: host.name, profile: file, check: opts.check, steps: results, counts,
      changed: counts.changed + counts.pending > 0 && results.some((r) => r.changes.length > 0),
      failed: counts.failed > 0, error, ms: Date.now() - t0,
    };
  } finally {
    await lock.release();
  }
}

/** Keeps the last failure for doctor; a journal that cannot be written (a full or read-only disk) is no second failure. */
async function recordOutcome(journal: Journal, error: VmpError | undefined, now: number): Promise<void> {
  try {
    if (error) {
      const { step } = error.context;
      await journal.update({ lastFailure: { at: new Date(now * 1000).toISOString(), ...(step ? { step } : {}), code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) } });
    } else if (journal.data.lastFailure) await journal.update({}, ['lastFailure']);
  } catch { /* reported by the run's own error already */ }
}

export function toVmpError(e: unknown): VmpError {
  if (isVmpError(e)) return e;
  return new VmpError('INTERNAL', e instanceof Error ? e.message : String(e), {
    hint: 'this is a bug in vm-provision: please report it with the output of --json', cause: e,
  });
}
