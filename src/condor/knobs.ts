// The VM-universe knobs as data: which versions read each one, when it is required, HTCondor's own default, and
// how vm-provision derives its value. Source: the reference table "HTCondor VM universe: what an execute node needs".
// Everything version-dependent lives here (and nowhere else): render.ts, support.ts and the docs read this table.
import type { Profile } from '../profile/index.ts';
import type { CondorVersion } from './version.ts';
import { compareVersions, parseVersion } from './version.ts';

export type Hypervisor = 'kvm' | 'xen' | 'vmware';
export type NodeOs = 'linux' | 'windows';

export interface KnobContext {
  profile: Profile;
  version: CondorVersion;
  os: NodeOs;
  /**
   * Values found on the node (or supplied by the caller): XEN_BOOTLOADER (pygrub path), XEN_INITRD (built initrd),
   * XEN_KERNEL (kernel for XEN_DEFAULT_KERNEL), VM_VERSION (hypervisor version string, 7.0–7.3),
   * VM_GAHP_CONFIG (the 7.0 gahp config file).
   */
  found: Record<string, string | undefined>;
}

/** A range of HTCondor versions: `since` inclusive, `until` exclusive; absent = unbounded. */
export interface VersionRange {
  since?: string;
  until?: string;
}

/** When a knob is required: within `since`/`until`, on `os` only, and only when the profile condition holds. */
export interface Requirement extends VersionRange {
  os?: NodeOs;
  when?: 'networking' | 'bridge' | 'several-types';
}

export interface KnobSpec extends VersionRange {
  name: string;
  /** `attribute`: a machine ClassAd attribute we define and advertise (not an HTCondor knob). */
  kind?: 'knob' | 'attribute';
  /** Written only for these hypervisors (all when absent). */
  hypervisors?: Hypervisor[];
  /** Required when any of these holds (and the version reads the knob). Absent = never required. */
  required?: Requirement[];
  /** What HTCondor does when the knob is unset (documentation). */
  default: string;
  /** Where vm-provision takes the value from (documentation). */
  derivedFrom: string;
  /** Allowed values per version range (VM_TYPE). */
  allowed?: Array<VersionRange & { values: string[] }>;
  /** The value to write; undefined = not written. */
  value(ctx: KnobContext): string | undefined;
  /** What the profile explicitly asks for, whatever the version: asked for but not read by the version → a warning. */
  fromProfile?(ctx: KnobContext): { field: string; value: string } | undefined;
  /** Required but no value known: write this placeholder instead, with a warning and a header note. */
  placeholder?: { value(ctx: KnobContext): string; warning(ctx: KnobContext): string; note: string };
}

const net = (p: Profile) => p.condor.vm.networking;
const networkingOn = (p: Profile) => net(p).enabled;
const bridged = (p: Profile) => networkingOn(p) && net(p).types.includes('bridge');

/** The control script HTCondor ships for VMware, by version (VMWARE_SCRIPT with `vmware.script: auto`). */
export const VMWARE_SCRIPTS: Array<VersionRange & { value: string }> = [
  { since: '7.0.0', until: '7.8.0', value: '$(SBIN)/condor_vm_vmware.pl' },
  { since: '7.8.0', value: '$(SBIN)/condor_vm_vmware' },
];

export const KNOBS: KnobSpec[] = [
  {
    name: 'VM_TYPE', required: [{}],
    default: 'unset: the VM universe is silently off (HasVM = False)',
    derivedFrom: 'hypervisor',
    allowed: [
      { since: '7.0.0', until: '7.4.0', values: ['xen', 'vmware'] },
      { since: '7.4.0', until: '9.12.0', values: ['xen', 'kvm', 'vmware'] },
      // 9.12 / 10.0: VMware disabled ("A VM_TYPE of vmware is no longer supported"); its code deleted in 10.2.
      { since: '9.12.0', values: ['xen', 'kvm'] },
    ],
    value: (c) => c.profile.hypervisor,
  },
  {
    name: 'VM_VERSION', since: '7.0.0', until: '7.4.0',
    // The 7.2 gahp refuses to start without it ("'VM_VERSION' is not defined"); 7.3 is the series leading to 7.4.
    required: [{ since: '7.2.0' }],
    default: 'none; advertised as VM_Version for matching (the 7.2 gahp refuses to start without it)',
    derivedFrom: 'the hypervisor version the caller supplies (e.g. server1.0.4, 3.2); placeholder `unknown` with a warning when unknown',
    value: (c) => c.found.VM_VERSION,
    placeholder: {
      value: () => 'unknown',
      warning: (c) => `VM_VERSION is required by HTCondor ${c.version.text} (its condor_vm-gahp refuses to start without it) but the hypervisor version is not known: `
        + 'writing the placeholder "unknown"; set it to the version of the hypervisor (e.g. server1.0.4 for VMware Server, 3.2 for Xen 3.2)',
      note: 'placeholder: the hypervisor version was not known; set it (e.g. server1.0.4), the gahp of 7.2 refuses to start without VM_VERSION',
    },
  },
  {
    name: 'VM_GAHP_SERVER', required: [{ until: '8.1.0' }],
    default: 'none before 8.1; `$(SBIN)/condor_vm-gahp` since 8.1',
    derivedFrom: '`$(SBIN)/condor_vm-gahp` (Windows: `$(SBIN)/condor_vm-gahp.exe`), always written',
    value: (c) => (c.os === 'windows' ? '$(SBIN)/condor_vm-gahp.exe' : '$(SBIN)/condor_vm-gahp'),
  },
  {
    name: 'VM_GAHP_LOG', required: [{ os: 'windows' }],
    default: '`$(LOG)/VMGahpLog` in current releases',
    derivedFrom: '`$(LOG)/VMGahpLog`, always written',
    value: () => '$(LOG)/VMGahpLog',
  },
  {
    name: 'VM_GAHP_CONFIG', since: '7.0.0', until: '7.2.0', required: [{}],
    default: 'none: the condor_vm-gahp\'s separate configuration file (merged into the main configuration in 7.2)',
    derivedFrom: 'the file the caller supplies; placeholder `$(RELEASE_DIR)/etc/condor_vmgahp_config.<hypervisor>` with a warning',
    value: (c) => c.found.VM_GAHP_CONFIG,
    placeholder: {
      value: (c) => `$(RELEASE_DIR)/etc/condor_vmgahp_config.${c.profile.hypervisor}`,
      warning: (c) => `HTCondor ${c.version.text} requires VM_GAHP_CONFIG, the condor_vm-gahp's own configuration file, which vm-provision does not write: `
        + `pointing it at $(RELEASE_DIR)/etc/condor_vmgahp_config.${c.profile.hypervisor}; make sure that file exists (the 7.0 release ships examples of it)`,
      note: 'placeholder: the condor_vm-gahp\'s own configuration file (HTCondor 7.0), which vm-provision does not write; it must exist',
    },
  },
  {
    name: 'VM_MEMORY', required: [{}],
    default: 'unset or ≤ 0: the gahp test fails ("\'VM_MEMORY\' is not defined")',
    derivedFrom: 'condor.vm.memory',
    value: (c) => String(c.profile.condor.vm.memory),
  },
  {
    name: 'VM_MAX_NUMBER',
    default: '0 = unlimited (advertised as VM_AvailNum = 10000)',
    derivedFrom: 'condor.vm.maxNumber',
    value: (c) => String(c.profile.condor.vm.maxNumber),
  },
  {
    name: 'VM_NETWORKING',
    default: 'False',
    derivedFrom: 'condor.vm.networking.enabled',
    value: (c) => (networkingOn(c.profile) ? 'true' : 'false'),
  },
  {
    name: 'VM_NETWORKING_TYPE', required: [{ when: 'networking' }],
    default: 'none: networking is silently disabled without it',
    derivedFrom: 'condor.vm.networking.types, when networking is enabled',
    value: (c) => (networkingOn(c.profile) ? net(c.profile).types.join(', ') : undefined),
  },
  {
    name: 'VM_NETWORKING_DEFAULT_TYPE', required: [{ when: 'several-types' }],
    default: '`nat` (`user` from 25.12 where available)',
    derivedFrom: 'condor.vm.networking.default, when networking is enabled',
    value: (c) => (networkingOn(c.profile) ? net(c.profile).default : undefined),
  },
  {
    name: 'VM_NETWORKING_BRIDGE_INTERFACE', since: '7.4.3', required: [{ when: 'bridge' }],
    default: 'none: bridge networking is dropped without it',
    derivedFrom: 'condor.vm.networking.bridgeInterface, when networking is enabled with bridge',
    value: (c) => (bridged(c.profile) ? net(c.profile).bridgeInterface ?? undefined : undefined),
    fromProfile: (c) => {
      const iface = bridged(c.profile) ? net(c.profile).bridgeInterface : null;
      return iface ? { field: 'condor.vm.networking.bridgeInterface', value: iface } : undefined;
    },
  },
  {
    // 7.4 drove KVM (and Xen) through libvirt with a script; 7.6 uses the libvirt API directly.
    name: 'VM_SCRIPT', since: '7.4.0', until: '7.6.0', hypervisors: ['kvm'], required: [{}],
    default: 'none (KVM in 7.4 needs it)',
    derivedFrom: '`$(SBIN)/condor_vm_xen.sh` (the libvirt control script 7.4 ships for Xen and KVM)',
    value: () => '$(SBIN)/condor_vm_xen.sh',
  },
  {
    name: 'VMWARE_PERL', since: '7.0.0', until: '9.12.0', hypervisors: ['vmware'], required: [{}],
    default: '`perl`',
    derivedFrom: 'vmware.perl (the interpreter, never the control script)',
    value: (c) => c.profile.vmware?.perl ?? 'perl',
    fromProfile: (c) => (c.profile.vmware ? { field: 'vmware.perl', value: c.profile.vmware.perl } : undefined),
  },
  {
    name: 'VMWARE_SCRIPT', since: '7.0.0', until: '9.12.0', hypervisors: ['vmware'], required: [{}],
    default: 'none',
    derivedFrom: 'vmware.script when an absolute path; `auto`: `$(SBIN)/condor_vm_vmware.pl` (7.0–7.7), `$(SBIN)/condor_vm_vmware` (7.8+)',
    value: (c) => {
      const script = c.profile.vmware?.script ?? 'auto';
      return script !== 'auto' ? script : VMWARE_SCRIPTS.find((s) => versionInRange(s, c.version))?.value;
    },
    fromProfile: (c) => (c.profile.vmware && c.profile.vmware.script !== 'auto' ? { field: 'vmware.script', value: c.profile.vmware.script } : undefined),
  },
  {
    name: 'VMWARE_NETWORKING_TYPE', since: '7.0.0', until: '9.12.0', hypervisors: ['vmware'],
    default: '`nat`',
    derivedFrom: 'vmware.networkingType, when networking is enabled',
    value: (c) => (networkingOn(c.profile) ? c.profile.vmware?.networkingType ?? 'nat' : undefined),
  },
  {
    name: 'XEN_SCRIPT', since: '7.0.0', until: '7.6.0', hypervisors: ['xen'], required: [{}],
    default: 'none (must be root-owned, not other-writable, and `<script> check` must exit 0)',
    derivedFrom: '`$(SBIN)/condor_vm_xen.sh`',
    value: () => '$(SBIN)/condor_vm_xen.sh',
  },
  {
    // Replaced in 7.4 by the submit commands xen_kernel, xen_initrd, xen_kernel_params.
    name: 'XEN_DEFAULT_KERNEL', since: '7.0.0', until: '7.4.0', hypervisors: ['xen'], required: [{}],
    default: 'none',
    derivedFrom: 'xen.kernel, or with `auto` /boot/vmlinuz-<kernelVersion> (supplied by the caller)',
    value: (c) => c.found.XEN_KERNEL,
    fromProfile: (c) => (c.profile.xen && c.profile.xen.kernel !== 'auto' ? { field: 'xen.kernel', value: c.profile.xen.kernel } : undefined),
  },
  {
    name: 'XEN_DEFAULT_INITRD', since: '7.0.0', until: '7.4.0', hypervisors: ['xen'],
    default: 'none (must not be the stock initrd: one rebuilt with xennet, xenblk)',
    derivedFrom: 'the initrd vm-provision builds (xen.initrd)',
    value: (c) => c.found.XEN_INITRD,
  },
  {
    name: 'XEN_BOOTLOADER', hypervisors: ['xen'], required: [{}],
    default: 'none: the gahp refuses Xen without a readable one ("You should define Xen bootloader")',
    derivedFrom: 'xen.bootloader, or with `auto` the pygrub found on the node',
    value: (c) => c.found.XEN_BOOTLOADER,
  },
  // 7.4+ has no admin-side default initrd: advertise where the node keeps one, for `xen_initrd = $$(XenInitrd)`.
  {
    name: 'XenInitrd', kind: 'attribute', since: '7.4.0', hypervisors: ['xen'],
    default: 'none (a custom machine attribute)',
    derivedFrom: 'the initrd vm-provision builds (xen.initrd), quoted',
    value: (c) => (c.found.XEN_INITRD ? `"${c.found.XEN_INITRD}"` : undefined),
  },
  {
    name: 'STARTD_ATTRS', since: '7.4.0', hypervisors: ['xen'],
    default: 'the attributes the startd advertises',
    derivedFrom: '`$(STARTD_ATTRS) XenInitrd`, when XenInitrd is written',
    value: (c) => (c.found.XEN_INITRD ? '$(STARTD_ATTRS) XenInitrd' : undefined),
  },
  {
    name: 'LIBVIRT_XML_SCRIPT', since: '7.4.0', hypervisors: ['kvm', 'xen'],
    default: '`$(LIBEXEC)/libvirt_simple_script.awk`',
    derivedFrom: 'not written: HTCondor\'s default is what the condor-vm-gahp package ships',
    value: () => undefined,
  },
];

function at(text: string): CondorVersion {
  const v = parseVersion(text);
  if (!v) throw new Error(`bad version in the knob table: ${text}`);
  return v;
}

export function versionInRange(r: VersionRange, v: CondorVersion): boolean {
  if (r.since && compareVersions(v, at(r.since)) < 0) return false;
  if (r.until && compareVersions(v, at(r.until)) >= 0) return false;
  return true;
}

/** Does this version read the knob? */
export function versionReads(k: VersionRange, v: CondorVersion): boolean {
  return versionInRange(k, v);
}

export function forHypervisor(k: KnobSpec, h: Hypervisor): boolean {
  return !k.hypervisors || k.hypervisors.includes(h);
}

export function isRequired(k: KnobSpec, ctx: KnobContext): boolean {
  const p = ctx.profile;
  return (k.required ?? []).some((r) => versionInRange(r, ctx.version) && (!r.os || r.os === ctx.os)
    && (r.when === undefined
      || (r.when === 'networking' && networkingOn(p))
      || (r.when === 'bridge' && bridged(p))
      || (r.when === 'several-types' && networkingOn(p) && net(p).types.length > 1)));
}

/** The knobs to write, in table order: read by this version, for this hypervisor, with a value. */
export function knobValues(ctx: KnobContext): Array<[name: string, value: string]> {
  return KNOBS.filter((k) => versionReads(k, ctx.version) && forHypervisor(k, ctx.profile.hypervisor))
    .flatMap((k) => { const v = k.value(ctx); return v === undefined ? [] : [[k.name, v] as [string, string]]; });
}

export interface KnobPlan {
  knobs: Array<[name: string, value: string]>;
  warnings: string[];
  /** Knobs that got a placeholder value, with the header note explaining it. */
  placeholders: Array<[name: string, note: string]>;
  /** Required by this version but no value and no placeholder. */
  missing: string[];
}

/** "read from 7.4.3 on", "read by 7.0–7.3 only", … for messages. */
export function readRangeText(r: VersionRange): string {
  if (r.since && r.until) return `read by HTCondor ${shortSince(r.since)}–${lastBefore(r.until)} only`;
  if (r.since) return `not read before HTCondor ${shortSince(r.since)}`;
  if (r.until) return `not read from HTCondor ${shortSince(r.until)} on`;
  return 'read by every version';
}

/** 7.4.0 → "7.4", 7.4.3 → "7.4.3". */
export function shortSince(text: string): string {
  const v = at(text);
  return v.patch === 0 ? `${v.major}.${v.minor}` : v.text;
}

/** The last version before an exclusive bound: 9.12.0 → "9.11", 7.4.3 → "7.4.2", 8.0.0 → "7.x". */
export function lastBefore(text: string): string {
  const v = at(text);
  if (v.patch > 0) return `${v.major}.${v.minor}.${v.patch - 1}`;
  if (v.minor > 0) return `${v.major}.${v.minor - 1}`;
  return `${v.major - 1}.x`;
}

/**
 * What this version gets: the knobs it reads (with placeholders for required values nobody supplied), warnings for
 * profile values it does not read, and the required knobs left without a value.
 */
export function planKnobs(ctx: KnobContext): KnobPlan {
  const plan: KnobPlan = { knobs: [], warnings: [], placeholders: [], missing: [] };
  const h = ctx.profile.hypervisor;
  for (const k of KNOBS) {
    if (!forHypervisor(k, h)) continue;
    if (!versionReads(k, ctx.version)) {
      const asked = k.fromProfile?.(ctx);
      if (asked) {
        plan.warnings.push(`${k.name} is ${readRangeText(k)} (this is ${ctx.version.text}): ${asked.field} = ${asked.value} is not written`);
      }
      continue;
    }
    let value = k.value(ctx);
    if (value === undefined && isRequired(k, ctx)) {
      if (!k.placeholder) { plan.missing.push(k.name); continue; }
      value = k.placeholder.value(ctx);
      plan.placeholders.push([k.name, k.placeholder.note]);
      plan.warnings.push(k.placeholder.warning(ctx));
    }
    if (value !== undefined) plan.knobs.push([k.name, value]);
  }
  const vmware = ctx.profile.vmware;
  if (h === 'vmware' && vmware && networkingOn(ctx.profile) && !(net(ctx.profile).types as string[]).includes(vmware.networkingType)) {
    plan.warnings.push(`vmware.networkingType is ${vmware.networkingType} but condor.vm.networking.types is [${net(ctx.profile).types.join(', ')}]: `
      + 'VMware VMs would use a networking type jobs cannot ask for');
  }
  return plan;
}
