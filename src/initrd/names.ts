// Kernel kinds and front-end driver names: xenlinux (2.6.16-2.6.18 -xen kernels) says xennet/xenblk, pvops says
// xen-netfront/xen-blkfront. Pure.
import { KERNEL_VERSION_PLACEHOLDER } from './types.ts';

/**
 * True for the forward-ported xenlinux kernels whose front-ends are xennet/xenblk: 2.6.16-2.6.18 Xen kernels
 * (RHEL5 `2.6.18-398.el5xen`, SLES10 `2.6.16.60-0.21-xen`) and SUSE's later `-xen` flavour (SLES11/12 kernel-xen,
 * e.g. `3.0.101-63-xen`). pvops kernels (2.6.32+, including Debian's old `-xen-amd64`) are not.
 */
export function isXenlinuxKernel(kernelVersion: string): boolean {
  const v = kernelVersion.trim();
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(v);
  if (!m) return false;
  const [maj, min, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const suffix = v.slice(m[0].length);
  if (maj === 2 && min === 6 && patch >= 16 && patch <= 18) return /xen/i.test(suffix);
  // SUSE kernel-xen flavour: the version ends in "-xen" (2.6.27..4.4 on SLES11/12, openSUSE).
  return /-xen$/.test(suffix);
}

/** Module names treat - and _ alike; this is the form to compare. */
export function normalizeModuleName(name: string): string {
  return name.trim().replace(/-/g, '_');
}

const PVOPS_TO_XENLINUX: Record<string, string> = { xen_netfront: 'xennet', xen_blkfront: 'xenblk' };
const XENLINUX_TO_PVOPS: Record<string, string> = { xennet: 'xen-netfront', xenblk: 'xen-blkfront' };

/** xennet <-> xen-netfront and xenblk <-> xen-blkfront for the kernel's kind; any other name passes through. */
export function mapDriverName(requested: string, kernelVersion: string): string {
  const n = normalizeModuleName(requested);
  if (isXenlinuxKernel(kernelVersion)) return PVOPS_TO_XENLINUX[n] ?? requested.trim();
  return XENLINUX_TO_PVOPS[n] ?? requested.trim();
}

/** True for block front-ends: mkinitrd preloads these (--preload) so the root disk appears before the root mount. */
export function isBlockDriver(name: string, file?: string): boolean {
  return /blk|vbd|block/i.test(name) || (file !== undefined && /\/(block|blkfront)\//.test(file));
}

/** Replaces every {kernelVersion} in an output path template. */
export function expandOutput(template: string, kernelVersion: string): string {
  return template.split(KERNEL_VERSION_PLACEHOLDER).join(kernelVersion);
}
