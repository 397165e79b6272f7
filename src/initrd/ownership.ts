// The initrd output may be a new file, or one vm-provision built (its manifest says so): never anything else.
import { posix } from 'node:path';
import type { Host } from '../host/host.ts';
import { initrdError } from './errors.ts';
import { manifestPath, parseManifest } from './manifest.ts';
import { BOOT_LOADER_CONFIGS } from './stock.ts';

/** What an existing file at `path` is, for the refusal message. Pure. */
export function describeExisting(path: string, kind: string, size: number): string {
  const base = posix.basename(path);
  if (kind === 'dir') return 'a directory';
  if (kind === 'symlink') return 'a symbolic link';
  if (/^(vmlinu[xz]|bzImage|kernel)(-|$)/.test(base)) return 'a kernel image';
  if (/^xen.*\.gz$/.test(base) || /^xen(-[\d.]+)?$/.test(base)) return 'the Xen hypervisor image';
  if (BOOT_LOADER_CONFIGS.includes(path) || /^\/boot\/(grub2?|loader|efi)\//.test(path)) return 'a boot loader file';
  if (path.startsWith('/etc/')) return 'a system configuration file';
  return `an existing ${kind === 'file' ? `file of ${size} bytes` : kind}`;
}

/** Throws INITRD unless `output` is absent or an image whose manifest vm-provision wrote beside it. */
export async function refuseForeignOutput(host: Host, output: string): Promise<void> {
  const manifest = manifestPath(output);
  const [info, minfo, mtext] = await Promise.all([host.fileInfo(output), host.fileInfo(manifest), host.readFile(manifest).catch(() => undefined)]);
  const ours = minfo?.kind === 'file' && mtext !== undefined && parseManifest(mtext) !== undefined;
  if (minfo && !ours) {
    throw initrdError(`refusing to write ${manifest} (the manifest of xen.initrd.output): ${describeExisting(manifest, minfo.kind, minfo.size)} that is not a vm-provision manifest is there`, {
      hint: 'choose another xen.initrd.output, e.g. /boot/initrd-{kernelVersion}-condor-xen.img', context: { file: manifest },
    });
  }
  if (!info || (ours && info.kind === 'file')) return;
  throw initrdError(`refusing to replace ${output}: it is ${describeExisting(output, info.kind, info.size)}, not an initrd vm-provision built (no ${manifest}); vm-provision only creates a new file there or replaces its own image`, {
    hint: 'set xen.initrd.output to a path that does not exist yet, e.g. /boot/initrd-{kernelVersion}-condor-xen.img', context: { file: output },
  });
}
