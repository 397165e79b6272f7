// Which packages give the VM universe its tools, per distribution family (pure data).
import type { OsFamily } from '../facts/parse.ts';

export interface Need { what: string; packages: Record<Exclude<OsFamily, 'unknown'>, string[]> }

export const KVM_NEEDS: Need[] = [
  { what: 'libvirt daemon', packages: { debian: ['libvirt-daemon-system'], rhel: ['libvirt-daemon'], suse: ['libvirt-daemon'] } },
  { what: 'libvirt QEMU driver', packages: { debian: ['libvirt-daemon-driver-qemu'], rhel: ['libvirt-daemon-driver-qemu'], suse: ['libvirt-daemon-driver-qemu'] } },
  { what: 'virsh', packages: { debian: ['libvirt-clients'], rhel: ['libvirt-client'], suse: ['libvirt-client'] } },
  { what: 'QEMU', packages: { debian: ['qemu-system-x86'], rhel: ['qemu-kvm'], suse: ['qemu-kvm'] } },
  { what: 'HTCondor VM gahp', packages: { debian: ['condor-vm-gahp'], rhel: ['condor-vm-gahp'], suse: ['condor-vm-gahp'] } },
];

export function packagesFor(needs: Need[], family: OsFamily): string[] {
  if (family === 'unknown') return [];
  return [...new Set(needs.flatMap((n) => n.packages[family]))];
}
