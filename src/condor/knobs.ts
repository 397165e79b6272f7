// The VM-universe knobs as data: which versions read each one, when it is required, and how its value is derived.
import type { Profile } from '../profile/index.ts';
import type { CondorVersion } from './version.ts';
import { compareVersions, parseVersion } from './version.ts';

export type Hypervisor = 'kvm' | 'xen' | 'vmware';

export interface KnobContext {
  profile: Profile;
  version: CondorVersion;
  os: 'linux' | 'windows';
  /** Values found on the node (e.g. the pygrub path for XEN_BOOTLOADER). */
  found: Record<string, string | undefined>;
}

export interface KnobSpec {
  name: string;
  /** First version that reads it (inclusive). */
  since?: string;
  /** First version that no longer reads it (exclusive). */
  until?: string;
  hypervisors?: Hypervisor[];
  value(ctx: KnobContext): string | undefined;
}

const net = (p: Profile) => p.condor.vm.networking;

export const KNOBS: KnobSpec[] = [
  { name: 'VM_TYPE', value: (c) => c.profile.hypervisor },
  { name: 'VM_GAHP_SERVER', value: (c) => (c.os === 'windows' ? '$(SBIN)/condor_vm-gahp.exe' : '$(SBIN)/condor_vm-gahp') },
  { name: 'VM_GAHP_LOG', value: () => '$(LOG)/VMGahpLog' },
  { name: 'VM_MEMORY', value: (c) => String(c.profile.condor.vm.memory) },
  { name: 'VM_MAX_NUMBER', value: (c) => String(c.profile.condor.vm.maxNumber) },
  { name: 'VM_NETWORKING', value: (c) => (net(c.profile).enabled ? 'true' : 'false') },
  { name: 'VM_NETWORKING_TYPE', value: (c) => (net(c.profile).enabled ? net(c.profile).types.join(', ') : undefined) },
  { name: 'VM_NETWORKING_DEFAULT_TYPE', value: (c) => (net(c.profile).enabled ? net(c.profile).default : undefined) },
  {
    name: 'VM_NETWORKING_BRIDGE_INTERFACE', since: '7.4.3',
    value: (c) => (net(c.profile).enabled && net(c.profile).types.includes('bridge') ? net(c.profile).bridgeInterface ?? undefined : undefined),
  },
  { name: 'XEN_BOOTLOADER', hypervisors: ['xen'], value: (c) => c.found.XEN_BOOTLOADER },
  { name: 'XEN_DEFAULT_INITRD', hypervisors: ['xen'], until: '7.4.0', value: (c) => c.found.XEN_INITRD },
  // 7.4+ has no admin-side default initrd: advertise where the node keeps one, for `xen_initrd = $$(XenInitrd)`.
  { name: 'XenInitrd', hypervisors: ['xen'], since: '7.4.0', value: (c) => (c.found.XEN_INITRD ? `"${c.found.XEN_INITRD}"` : undefined) },
  { name: 'STARTD_ATTRS', hypervisors: ['xen'], since: '7.4.0', value: (c) => (c.found.XEN_INITRD ? '$(STARTD_ATTRS) XenInitrd' : undefined) },
];

export function versionReads(k: KnobSpec, v: CondorVersion): boolean {
  if (k.since && compareVersions(v, parseVersion(k.since)!) < 0) return false;
  if (k.until && compareVersions(v, parseVersion(k.until)!) >= 0) return false;
  return true;
}

/** The knobs to write, in table order: read by this version, for this hypervisor, with a value. */
export function knobValues(ctx: KnobContext): Array<[name: string, value: string]> {
  return KNOBS.filter((k) => versionReads(k, ctx.version) && (!k.hypervisors || k.hypervisors.includes(ctx.profile.hypervisor)))
    .flatMap((k) => { const v = k.value(ctx); return v === undefined ? [] : [[k.name, v] as [string, string]]; });
}
