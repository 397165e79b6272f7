// Reads the agent's --json lines (step lines, then a summary or an error line) into a host result.
import type { AgentStepLine, FailureKind, HostOutcome, HostResult, StepCounts } from './events.ts';

/** What the agent's own output says of a host: the agent-side fields of its HostResult. */
export type AgentVerdict = Pick<HostResult, 'failure' | 'failedStep' | 'cause' | 'hint' | 'agentExitCode' | 'steps'> & {
  outcome: Extract<HostOutcome, 'ok' | 'changed' | 'pending' | 'failed'>;
};

interface SummaryLine { type: 'summary'; counts?: Partial<StepCounts>; changed?: boolean; failed?: boolean; exitCode?: number; error?: { message?: string; hint?: string; step?: string } }
interface ErrorLine { type: 'error'; code?: string; message?: string; hint?: string; exitCode?: number }

/** Collects the agent's lines as they stream; `verdict()` decides from the summary line, not from ssh's exit code. */
export class AgentOutput {
  readonly steps: AgentStepLine[] = [];
  private summary?: SummaryLine;
  private error?: ErrorLine;
  private partial = '';

  /** Feeds a chunk of stdout; returns the complete step lines it finished. */
  push(chunk: string): AgentStepLine[] {
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    return lines.flatMap((l) => this.line(l));
  }

  end(): AgentStepLine[] {
    const rest = this.partial;
    this.partial = '';
    return rest ? this.line(rest) : [];
  }

  private line(raw: string): AgentStepLine[] {
    const l = raw.trim();
    if (!l.startsWith('{')) return [];
    let v: { type?: unknown };
    try { v = JSON.parse(l) as { type?: unknown }; } catch { return []; }
    if (v.type === 'step') { this.steps.push(v as AgentStepLine); return [v as AgentStepLine]; }
    if (v.type === 'summary') this.summary = v as SummaryLine;
    if (v.type === 'error') this.error = v as ErrorLine;
    return [];
  }

  get complete(): boolean {
    return this.summary !== undefined || this.error !== undefined;
  }

  /**
   * undefined when neither a summary nor an error line arrived (the caller decides: lost, timeout, runtime).
   * check: the agent ran `plan`; a restart it would take shows as pending steps, which means "would change".
   */
  verdict(check = false): AgentVerdict | undefined {
    if (this.error) {
      const e = this.error;
      const failure: FailureKind = e.exitCode === 65 ? 'profile' : e.exitCode === 64 ? 'usage' : e.exitCode === 75 ? 'lock' : e.exitCode === 77 ? 'become' : 'remote';
      return { outcome: 'failed', failure, ...(e.message ? { cause: e.message.split('\n')[0]! } : {}), ...(e.hint ? { hint: e.hint } : {}), ...(e.exitCode !== undefined ? { agentExitCode: e.exitCode } : {}) };
    }
    const s = this.summary;
    if (!s) return undefined;
    const steps: StepCounts = { ok: 0, changed: 0, failed: 0, skipped: 0, pending: 0, ...s.counts };
    const base = { steps, ...(s.exitCode !== undefined ? { agentExitCode: s.exitCode } : {}) };
    if (s.failed) {
      const step = this.steps.find((x) => x.status === 'failed');
      const err = (step?.error ?? s.error ?? {}) as { message?: string; hint?: string };
      return {
        ...base, outcome: 'failed', failure: 'remote',
        ...(step ? { failedStep: step.step } : s.error?.step ? { failedStep: s.error.step } : {}),
        cause: (err.message ?? step?.summary ?? 'the agent reported a failure').split('\n')[0]!,
        ...(err.hint ? { hint: err.hint } : {}),
      };
    }
    if (check) return { ...base, outcome: s.changed || steps.changed > 0 || steps.pending > 0 ? 'changed' : 'ok' };
    if (steps.pending > 0) {
      const p = this.steps.find((x) => x.status === 'pending');
      return { ...base, outcome: 'pending', ...(p ? { cause: `${p.step}: ${p.summary}` } : {}) };
    }
    return { ...base, outcome: s.changed ? 'changed' : 'ok' };
  }
}
