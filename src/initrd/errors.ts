// Errors from building the Xen initrd all carry the code INITRD.
import { VmpError, tail, type ErrorCode, type ErrorContext } from '../errors/vmp-error.ts';
import type { ExecResult } from '../host/host.ts';

export const INITRD_CODE = 'INITRD' as ErrorCode;

export function initrdError(message: string, opts: { hint?: string; context?: ErrorContext; cause?: unknown } = {}): VmpError {
  return new VmpError(INITRD_CODE, message, opts);
}

/** Context for a failed command: the argv and the last lines it printed (stderr, or stdout when stderr is empty). */
export function commandContext(r: ExecResult, extra: ErrorContext = {}): ErrorContext {
  const text = r.stderr.trim() ? r.stderr : r.stdout;
  return { command: r.command, stderrTail: tail(text, 12), ...extra };
}
