import type { RuleProblem } from './path-rules.ts';

// Names that end up in a command's argv or as one path component: never option-like, never a path.

const KERNEL_RELEASE = /^[A-Za-z0-9][A-Za-z0-9._+~-]*$/;

/** xen.kernelVersion: `auto`, or a kernel release (a directory name in /lib/modules, passed to dracut). */
export function kernelVersionProblem(value: string): RuleProblem | undefined {
  if (value === 'auto') return undefined;
  if (KERNEL_RELEASE.test(value) && !value.includes('..')) return undefined;
  return {
    message: `must be auto or a kernel release like 6.12.38+deb13-amd64 (got ${JSON.stringify(value)}): letters, digits, ".", "_", "+", "~" and "-", starting with a letter or digit, without "/" or ".."`,
    hint: 'use the name of a directory in /lib/modules, as `uname -r` prints it',
  };
}

/** A kernel module name, as dracut --add-drivers and mkinitrd --with take it. */
export const KERNEL_MODULE_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;
export const KERNEL_MODULE_MESSAGE = 'must be a kernel module name like xen-netfront: letters, digits, "_" and "-", not starting with "-"';

/** Linux interface names: at most 15 bytes (IFNAMSIZ - 1), no "/", ":" or whitespace, not "." or "..". */
export const INTERFACE_PATTERN = /^(?!\.\.?$)[A-Za-z0-9_.][A-Za-z0-9_.-]{0,14}$/;
export const INTERFACE_MESSAGE =
  'must be a Linux interface name: 1-15 letters, digits, "_", "." or "-", not starting with "-" (no "/", ":" or whitespace)';
