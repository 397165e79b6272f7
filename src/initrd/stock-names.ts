// The distributions' own initrd names. vm-provision writes a separate image and never one of these. Pure.
import { posix } from 'node:path';
import { KERNEL_VERSION_PLACEHOLDER } from './types.ts';

const FIXED_STOCK = new Set(['/boot/initrd.img', '/boot/initrd.img.old', '/initrd.img', '/initrd.img.old']);
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const KV = esc(KERNEL_VERSION_PLACEHOLDER);

/** Normalizes a path as written (collapses //, ., ..) without touching the node. */
export function normalizePath(p: string): string {
  return posix.normalize(p.trim()).replace(/\/+$/, '') || '/';
}

/**
 * Validation-time check of an output path template (before any kernel is known). True for the stock names:
 * /boot/initrd.img-{kernelVersion} (Debian/Ubuntu), /boot/initramfs-{kernelVersion}.img (dracut distros),
 * /boot/initrd-{kernelVersion}.img (RHEL5, SUSE), their kdump/fallback variants, /boot/initrd.img, /initrd.img,
 * /initrd.img.old, and any literal /boot/initrd.img-* or /boot/initramfs-*.img. A literal /boot/initrd-<version>.img
 * is not decided here (it would also match the default -condor-xen name): refuseStockOutput checks it against
 * the installed kernels.
 */
export function isStockInitrdName(pathTemplate: string): boolean {
  const p = normalizePath(pathTemplate);
  if (FIXED_STOCK.has(p)) return true;
  if (p.startsWith('/boot/initrd.img-')) return true;
  if (/^\/boot\/initramfs-.+\.img$/.test(p)) return true;
  return new RegExp(`^/boot/initrd-${KV}(kdump|-kdump|-fallback)?\\.img$`).test(p);
}

/** The file names a distribution uses for kernel V's initrd (Debian, dracut, RHEL5/SUSE; kdump and fallback). */
export function stockNamesForKernel(kernelVersion: string): string[] {
  const v = kernelVersion;
  return [
    `initrd.img-${v}`, `initramfs-${v}.img`, `initrd-${v}.img`,
    `initramfs-${v}kdump.img`, `initrd-${v}kdump.img`, `initramfs-${v}-kdump.img`, `initramfs-${v}-fallback.img`,
  ];
}

/** True when a /boot file name is a distribution image by its shape alone (initrd.img-*, initramfs-*.img). */
export function isStockFileName(name: string): boolean {
  return name === 'initrd.img' || name === 'initrd.img.old' || name.startsWith('initrd.img-') || /^initramfs-.+\.img$/.test(name);
}
