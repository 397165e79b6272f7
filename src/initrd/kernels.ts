// Which kernels have modules on this node, and which one the initrd is for.
import type { Host } from '../host/host.ts';
import { initrdError } from './errors.ts';
import { MODULES_DIR } from './types.ts';

/** Natural order: 5.14.0-… < 6.1.0-… < 6.12.57-…. */
export function compareKernelVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** Directories of /lib/modules that hold a modules.dep, sorted. */
export async function installedKernels(host: Host): Promise<string[]> {
  const dirs = (await host.listDir(MODULES_DIR)) ?? [];
  const out: string[] = [];
  for (const d of dirs) {
    if (d.startsWith('.')) continue;
    const info = await host.fileInfo(`${MODULES_DIR}/${d}/modules.dep`);
    if (info?.kind === 'file') out.push(d);
  }
  return out.sort(compareKernelVersions);
}

/**
 * 'auto' → the running kernel when /lib/modules/<running>/modules.dep exists; an explicit version must have one.
 * Otherwise a VmpError that names the kernel and lists the installed ones.
 */
export async function resolveKernelVersion(host: Host, wanted: string, running: string): Promise<string> {
  const auto = wanted.trim() === '' || wanted === 'auto';
  const kver = auto ? running.trim() : wanted.trim();
  const dep = await host.fileInfo(`${MODULES_DIR}/${kver}/modules.dep`);
  if (dep?.kind === 'file') return kver;
  const installed = await installedKernels(host);
  const dir = await host.fileInfo(`${MODULES_DIR}/${kver}`);
  const who = auto ? `the running kernel ${kver}` : `kernel ${kver} (xen.kernelVersion)`;
  const what = dir ? `no ${MODULES_DIR}/${kver}/modules.dep (run depmod ${kver})` : `no ${MODULES_DIR}/${kver}`;
  const list = installed.length ? installed.join(', ') : 'none';
  throw initrdError(`${who} has ${what} on this node; installed kernels: ${list}${installed.length ? ' — set xen.kernelVersion to one of them' : ''}`, {
    hint: installed.length
      ? `set xen.kernelVersion to ${installed.length === 1 ? installed[0] : `one of ${installed.join(', ')}`}`
      : 'install the kernel the Xen guests will boot (its package ships /lib/modules/<version>), then set xen.kernelVersion',
    context: { file: `${MODULES_DIR}/${kver}` },
  });
}
