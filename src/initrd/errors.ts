// Errors from building the Xen initrd all carry the code INITRD.
import { VmpError, commandContext as baseContext, type ErrorContext } from '../errors/vmp-error.ts';
import type { ExecResult } from '../host/host.ts';

export function initrdError(message: string, opts: { hint?: string; context?: ErrorContext; cause?: unknown } = {}): VmpError {
  return new VmpError('INITRD', message, opts);
}

/** Initrd tools print long logs: keep a longer tail than other commands. */
export function commandContext(r: ExecResult, extra: ErrorContext = {}): ErrorContext {
  return baseContext(r, extra, 12);
}
