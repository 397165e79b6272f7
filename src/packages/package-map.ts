// Which packages give the VM universe its tools, per distribution family (pure data).
import type { OsFamily } from '../facts/parse.ts';

export type Family = Exclude<OsFamily, 'unknown'>;
export type PackageNames = Record<Family, string[]>;

export interface Need { what: string; packages: PackageNames }

export const KVM_NEEDS: Need[] = [
  { what: 'libvirt daemon', packages: { debian: ['libvirt-daemon-system'], rhel: ['libvirt-daemon'], suse: ['libvirt-daemon'] } },
  { what: 'libvirt QEMU driver', packages: { debian: ['libvirt-daemon-driver-qemu'], rhel: ['libvirt-daemon-driver-qemu'], suse: ['libvirt-daemon-driver-qemu'] } },
  { what: 'virsh', packages: { debian: ['libvirt-clients'], rhel: ['libvirt-client'], suse: ['libvirt-client'] } },
  { what: 'QEMU', packages: { debian: ['qemu-system-x86'], rhel: ['qemu-kvm'], suse: ['qemu-kvm'] } },
  { what: 'HTCondor VM gahp', packages: { debian: ['condor-vm-gahp'], rhel: ['condor-vm-gahp'], suse: ['condor-vm-gahp'] } },
];

export const XEN_NEEDS: Need[] = [
  { what: 'libvirt daemon', packages: { debian: ['libvirt-daemon-system'], rhel: ['libvirt-daemon'], suse: ['libvirt-daemon'] } },
  { what: 'libvirt Xen driver', packages: { debian: ['libvirt-daemon-driver-xen'], rhel: ['libvirt-daemon-driver-libxl'], suse: ['libvirt-daemon-driver-libxl'] } },
  { what: 'virsh', packages: { debian: ['libvirt-clients'], rhel: ['libvirt-client'], suse: ['libvirt-client'] } },
  { what: 'Xen service scripts', packages: { debian: ['xen-utils-common'], rhel: ['xen'], suse: ['xen-tools'] } },
  { what: 'HTCondor VM gahp', packages: { debian: ['condor-vm-gahp'], rhel: ['condor-vm-gahp'], suse: ['condor-vm-gahp'] } },
];

/** Needs satisfied by a binary from any of several packages: installed only when no binary is found. */
export const MKISOFS: Need = { what: 'mkisofs', packages: { debian: ['genisoimage'], rhel: ['genisoimage'], suse: ['mkisofs'] } };
/** Debian's pygrub package is versioned (xen-utils-4.20): resolved from the package index at run time. */
export const PYGRUB: Need = { what: 'pygrub', packages: { debian: ['xen-utils-*'], rhel: ['xen'], suse: ['xen-tools'] } };
/** dracut-core, not dracut, on Debian: the dracut package replaces initramfs-tools and regenerates the stock initrd. */
export const INITRD_TOOLS: Record<'dracut' | 'mkinitramfs' | 'mkinitrd', Need> = {
  dracut: { what: 'dracut', packages: { debian: ['dracut-core'], rhel: ['dracut'], suse: ['dracut'] } },
  mkinitramfs: { what: 'mkinitramfs', packages: { debian: ['initramfs-tools-core'], rhel: [], suse: [] } },
  mkinitrd: { what: 'mkinitrd', packages: { debian: [], rhel: ['mkinitrd'], suse: ['mkinitrd'] } },
};

export function packagesFor(needs: Need[], family: OsFamily): string[] {
  if (family === 'unknown') return [];
  return [...new Set(needs.flatMap((n) => n.packages[family]))];
}
