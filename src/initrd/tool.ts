// Which initrd tool to run: dracut, initramfs-tools' mkinitramfs, or RHEL5's nash mkinitrd. A mkinitrd that is
// dracut's wrapper (RHEL6+/Fedora) is never run: dracut is called directly instead.
import { which, type Host } from '../host/host.ts';
import { initrdError } from './errors.ts';
import type { InitrdTool } from './types.ts';

export type MkinitrdKind = 'nash' | 'dracut-wrapper' | 'suse' | 'unknown';

/** Tells the mkinitrd flavours apart from the script's text. Pure. */
export function classifyMkinitrd(text: string): MkinitrdKind {
  if (/dracut/.test(text)) return 'dracut-wrapper';
  if (/\bnash\b/.test(text)) return 'nash';
  if (/SUSE|suse|mkinitrd_setup|\/lib\/mkinitrd\/scripts/.test(text)) return 'suse';
  return 'unknown';
}

const PACKAGES: Record<InitrdTool, string> = {
  dracut: 'dracut-core on Debian/Ubuntu, dracut on RHEL/Fedora/SUSE',
  mkinitramfs: 'initramfs-tools-core on Debian/Ubuntu',
  mkinitrd: 'mkinitrd on RHEL/CentOS 5',
};

async function mkinitrdKind(host: Host, path: string): Promise<MkinitrdKind> {
  const text = await host.readFile(path);
  return text === undefined ? 'unknown' : classifyMkinitrd(text);
}

export async function chooseTool(host: Host, wanted: 'auto' | InitrdTool): Promise<{ tool: InitrdTool; path: string }> {
  const dracut = await which(host, 'dracut');
  if (wanted === 'dracut' || (wanted === 'auto' && dracut)) {
    if (dracut) return { tool: 'dracut', path: dracut };
    throw initrdError('xen.initrdTool is dracut but dracut is not installed', { hint: `install ${PACKAGES.dracut}` });
  }
  const mkinitramfs = await which(host, 'mkinitramfs');
  if (wanted === 'mkinitramfs' || (wanted === 'auto' && mkinitramfs)) {
    if (mkinitramfs) return { tool: 'mkinitramfs', path: mkinitramfs };
    throw initrdError('xen.initrdTool is mkinitramfs but mkinitramfs is not installed', { hint: `install ${PACKAGES.mkinitramfs}` });
  }
  const mkinitrd = await which(host, 'mkinitrd');
  if (mkinitrd) {
    const kind = await mkinitrdKind(host, mkinitrd);
    if (kind === 'nash') return { tool: 'mkinitrd', path: mkinitrd };
    if (kind === 'dracut-wrapper') {
      // The wrapper forces hostonly and may overwrite /boot images without an image path; call dracut itself.
      const direct = dracut ?? await which(host, 'dracut', ['/usr/lib/dracut']);
      if (direct) return { tool: 'dracut', path: direct };
      throw initrdError(`${mkinitrd} is dracut's mkinitrd wrapper but dracut itself is not on the search path`, { hint: `install ${PACKAGES.dracut}` });
    }
    throw initrdError(`${mkinitrd} is not the RHEL5 (nash) mkinitrd${kind === 'suse' ? ' but SUSE\'s' : ''}; vm-provision drives only dracut, mkinitramfs and the RHEL5 mkinitrd`, {
      hint: `install ${PACKAGES.dracut} and set xen.initrdTool to dracut (or auto)`,
    });
  }
  if (wanted === 'mkinitrd') throw initrdError('xen.initrdTool is mkinitrd but mkinitrd is not installed', { hint: `install ${PACKAGES.mkinitrd}, or use dracut` });
  throw initrdError('no initrd tool found: none of dracut, mkinitramfs, mkinitrd is installed', { hint: `install ${PACKAGES.dracut}, or ${PACKAGES.mkinitramfs}` });
}
