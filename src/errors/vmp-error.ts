// Errors are values: a code, where it happened, and what to do about it.
export type ErrorCode =
  | 'USAGE' | 'PROFILE_INVALID' | 'LOCKED' | 'NEEDS_ROOT'
  | 'PREFLIGHT' | 'PACKAGES' | 'SERVICE' | 'CONFIG' | 'CONFIG_OVERRIDDEN' | 'RESTART' | 'VERIFY' | 'INITRD'
  | 'FILESYSTEM' | 'COMMAND' | 'INTERNAL';

export interface ErrorContext {
  host?: string;
  step?: string;
  file?: string;
  line?: number;
  col?: number;
  command?: string[];
  stderrTail?: string;
  /** The PID holding the run lock, for LOCKED. */
  pid?: number;
}

export class VmpError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly context: ErrorContext;
  constructor(code: ErrorCode, message: string, opts: { hint?: string; context?: ErrorContext; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'VmpError';
    this.code = code;
    this.hint = opts.hint;
    this.context = opts.context ?? {};
  }

  with(context: ErrorContext): VmpError {
    return new VmpError(this.code, this.message, { hint: this.hint, context: { ...context, ...this.context }, cause: this.cause });
  }

  /** One block for humans: where, what, the command and its stderr tail, and the hint. */
  describe(): string {
    const c = this.context;
    const where = [c.host && `host ${c.host}`, c.step && `step ${c.step}`, c.file && `${c.file}${c.line ? `:${c.line}${c.col ? `:${c.col}` : ''}` : ''}`]
      .filter(Boolean).join(', ');
    const lines = [`${where ? `[${where}] ` : ''}${this.message}`];
    if (c.command) lines.push(`  command: ${c.command.join(' ')}`);
    if (c.stderrTail) lines.push(...c.stderrTail.trimEnd().split('\n').map((l) => `  | ${l}`));
    if (this.hint) lines.push(`  hint: ${this.hint}`);
    return lines.join('\n');
  }

  toJSON() {
    return { code: this.code, message: this.message, hint: this.hint, ...this.context };
  }
}

export function isVmpError(e: unknown): e is VmpError {
  return e instanceof VmpError;
}

export function tail(text: string, lines = 8): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Context for a failed command: its argv and the last lines it printed (stderr, or stdout when stderr is empty). */
export function commandContext(r: { command: string[]; stdout: string; stderr: string }, extra: ErrorContext = {}, lines = 8): ErrorContext {
  return { command: r.command, stderrTail: tail(r.stderr.trim() ? r.stderr : r.stdout, lines), ...extra };
}
