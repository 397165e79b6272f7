// The initrds the node itself boots with (or could): vm-provision never writes any of them.
import { posix } from 'node:path';
import type { Host } from '../host/host.ts';
import { parseBootLoaderInitrds } from './boot-loader.ts';
import { initrdError } from './errors.ts';
import { installedKernels } from './kernels.ts';
import { isStockFileName, isStockInitrdName, normalizePath, stockNamesForKernel } from './stock-names.ts';

export const BOOT_LOADER_CONFIGS = ['/boot/grub/grub.cfg', '/boot/grub2/grub.cfg', '/etc/grub2.cfg', '/etc/grub2-efi.cfg', '/etc/grub.conf', '/boot/grub/grub.conf', '/boot/grub/menu.lst'];
export const BLS_DIR = '/boot/loader/entries';
const FIXED = ['/initrd.img', '/initrd.img.old', '/boot/initrd.img', '/boot/initrd.img.old'];

/** Kernels known to the node: /lib/modules entries with modules.dep, and /boot/vmlinuz-V images. */
async function knownKernels(host: Host, bootFiles: string[]): Promise<string[]> {
  const fromBoot = bootFiles.filter((f) => f.startsWith('vmlinuz-')).map((f) => f.slice('vmlinuz-'.length));
  return [...new Set([...(await installedKernels(host)), ...fromBoot])];
}

/** Boot-loader paths are relative to the partition GRUB reads: try them as written, under /boot, and without a btrfs /@ prefix. */
function bootLoaderCandidates(p: string): string[] {
  const out = [p];
  if (p.startsWith('/@/')) out.push(p.slice(2));
  if (!p.startsWith('/boot/')) out.push(`/boot${p}`);
  return out;
}

/** Stock path (realpath where it exists, else as written) → why it is stock. */
export async function findStockInitrdsDetailed(host: Host): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const add = async (path: string, why: string) => {
    const p = normalizePath(path);
    const real = await host.realpath(p);
    for (const k of new Set([p, ...(real ? [real] : [])])) if (!found.has(k)) found.set(k, real && real !== p ? `${why}; ${p} resolves to ${real}` : why);
  };
  const bootFiles = (await host.listDir('/boot')) ?? [];
  for (const v of await knownKernels(host, bootFiles)) {
    for (const name of stockNamesForKernel(v)) await add(`/boot/${name}`, `the distribution's initrd for kernel ${v}`);
  }
  for (const f of bootFiles) if (isStockFileName(f)) await add(`/boot/${f}`, 'named like the distribution\'s initrds');
  for (const p of FIXED) await add(p, `the ${p} link the boot loader and installers use`);
  const configs = [...BOOT_LOADER_CONFIGS];
  for (const e of ((await host.listDir(BLS_DIR)) ?? []).filter((f) => f.endsWith('.conf')).sort()) configs.push(`${BLS_DIR}/${e}`);
  for (const cfg of configs) {
    const text = await host.readFile(cfg);
    if (text === undefined) continue;
    for (const p of parseBootLoaderInitrds(text)) for (const c of bootLoaderCandidates(p)) await add(c, `referenced by ${cfg}`);
  }
  return found;
}

/** Realpaths (or paths as written, where nothing is there yet) of every initrd the node's boot loader could use. */
export async function findStockInitrds(host: Host): Promise<Set<string>> {
  return new Set((await findStockInitrdsDetailed(host)).keys());
}

/** Where a write to `output` would land: through a symlink at output, or through symlinked directories. */
export async function resolveOutputTarget(host: Host, output: string): Promise<string> {
  const p = normalizePath(output);
  if (await host.fileInfo(p)) {
    const real = await host.realpath(p);
    if (real) return real;
  }
  const dir = await host.realpath(posix.dirname(p));
  return dir ? posix.join(dir, posix.basename(p)) : p;
}

/** Throws when the output is (or leads to) a stock initrd, or is named like one. */
export async function refuseStockOutput(host: Host, output: string): Promise<void> {
  const p = normalizePath(output);
  const refuse = (stock: string, why: string) => initrdError(
    `refusing to write ${output}: ${stock === p ? 'it is' : `it leads to`} the stock initrd ${stock} (${why}); vm-provision never writes the stock initrd the node boots with`,
    { hint: 'set xen.initrdOutput to a separate image such as /boot/initrd-{kernelVersion}-condor-xen.img', context: { file: output } },
  );
  if (isStockInitrdName(p)) throw refuse(p, 'a distribution initrd name');
  const stock = await findStockInitrdsDetailed(host);
  const target = await resolveOutputTarget(host, p);
  for (const c of new Set([p, target])) {
    const why = stock.get(c);
    if (why !== undefined) throw refuse(c, why);
  }
  const base = posix.basename(p);
  const bootFiles = (await host.listDir('/boot')) ?? [];
  for (const v of await knownKernels(host, bootFiles)) {
    if (stockNamesForKernel(v).includes(base)) throw refuse(p, `the distribution's file name for kernel ${v}'s initrd`);
  }
}
