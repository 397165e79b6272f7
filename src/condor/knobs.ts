// The VM-universe knobs as data: which versions read each one, when it is required, HTCondor's own default, and
// how vm-provision derives its value. Source: HTCondor's own repository, tag by tag (evidence on each entry).
// Everything version-dependent lives here (and nowhere else): render.ts, support.ts and the docs read this table.
import { VmpError } from '../errors/vmp-error.ts';
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

/** Allowed values in a version range, for some hypervisors only when `hypervisors` is given; entries add up. */
export interface AllowedValues extends VersionRange {
  values: string[];
  hypervisors?: Hypervisor[];
  /** Where HTCondor's source shows it (tag, file). */
  evidence: string;
}

export interface KnobSpec extends VersionRange {
  name: string;
  /** Versions inside since/until that do not read it (a development series without it). */
  notIn?: VersionRange[];
  /**
   * Versions whose condor_vm-gahp reads the knob from its own file (VM_GAHP_CONFIG) and not from the condor
   * configuration; `startdToo`: the startd reads it from the condor configuration as well.
   */
  gahpFile?: VersionRange & { startdToo?: boolean };
  /** Where HTCondor's source shows the range, requirement and default (tag, file). */
  evidence: string;
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
  /** Allowed values per version range (VM_TYPE, VM_NETWORKING_TYPE). */
  allowed?: AllowedValues[];
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
export const VMWARE_SCRIPTS: Array<VersionRange & { value: string; evidence: string }> = [
  { since: '7.0.0', until: '7.8.0', value: '$(SBIN)/condor_vm_vmware.pl', evidence: 'V7_0_0 … V7_7_0: src/condor_vm-gahp/condor_vm_vmware.pl' },
  { since: '7.8.0', value: '$(SBIN)/condor_vm_vmware', evidence: 'V7_8_0: src/condor_vm-gahp/condor_vm_vmware; param_info.in default from V8_1_5' },
];

/** 7.0.x (Era A): the condor_vm-gahp reads its own file named by VM_GAHP_CONFIG; 7.1.4 merged it into condor_config. */
const GAHP_FILE_ERA: VersionRange = { since: '7.0.0', until: '7.1.4' };
const LIBVIRT_XML_SCRIPT_WRITTEN: VersionRange = { since: '7.4.0', until: '8.1.3' };

export const KNOBS: KnobSpec[] = [
  {
    name: 'VM_TYPE', required: [{}], gahpFile: { ...GAHP_FILE_ERA, startdToo: true },
    default: 'unset: the VM universe is silently off (HasVM = False)',
    derivedFrom: 'hypervisor',
    evidence: 'src/condor_startd.V6/vmuniverse_mgr.C @ V7_0_0, vmuniverse_mgr.cpp @ HEAD: `param("VM_TYPE")`, unset → `init()` returns false; vmgahp_config.C @ V7_0_0: `vmgahp_param("VM_TYPE")`',
    allowed: [
      { since: '7.0.0', until: '7.4.0', values: ['xen', 'vmware'], evidence: 'src/condor_vm-gahp from V6_9_4 (6-9.history.tex §6.9.4: Xen and VMware)' },
      { since: '7.4.0', until: '9.12.0', values: ['xen', 'kvm', 'vmware'], evidence: '`CONDOR_VM_UNIVERSE_KVM` in vmgahp_common.cpp from V7_3_1 (dev); 7-4.history.tex §7.4.0 "now supports KVM"' },
      // 9.12 / 10.0: VMware disabled ("A VM_TYPE of vmware is no longer supported"); its code deleted in 10.2.
      { since: '9.12.0', values: ['xen', 'kvm'], evidence: 'commit d763aad063 (HTCONDOR-1235, first tags V9_12_0, V10_0_0): vmware commented out of `support_vms_list[]` in vmgahp_common.cpp' },
    ],
    value: (c) => c.profile.hypervisor,
  },
  {
    name: 'VM_VERSION', since: '7.0.0', until: '7.4.0', gahpFile: GAHP_FILE_ERA,
    // Required while it existed: in the gahp's own file on 7.0.x, in the condor configuration from 7.1.4.
    required: [{}],
    default: 'none: the gahp refuses to start without it ("\'VM_VERSION\' is not defined")',
    derivedFrom: 'the hypervisor version the caller supplies (e.g. server1.0.4, 3.2); placeholder `unknown` with a warning when unknown',
    evidence: 'vmgahp_config.C @ V7_0_0 (`vmgahp_param`), vmgahp_config.cpp @ V7_2_0 … V7_3_2 (`param("VM_VERSION")`); gone at V7_4_0 (7-4.history.tex §7.4.0)',
    value: (c) => c.found.VM_VERSION,
    placeholder: {
      value: () => 'unknown',
      warning: (c) => `VM_VERSION is required by HTCondor ${c.version.text} (its condor_vm-gahp refuses to start without it) but the hypervisor version is not known: `
        + 'writing the placeholder "unknown"; set it to the version of the hypervisor (e.g. server1.0.4 for VMware Server, 3.2 for Xen 3.2)',
      note: 'placeholder: the hypervisor version was not known; set it (e.g. server1.0.4), the condor_vm-gahp refuses to start without VM_VERSION',
    },
  },
  {
    name: 'VM_GAHP_SERVER', required: [{ until: '8.1.3' }],
    default: 'none before 8.1.3 (the startd needs it defined and executable); `$(SBIN)/condor_vm-gahp` from 8.1.3',
    derivedFrom: '`$(SBIN)/condor_vm-gahp` (Windows: `$(SBIN)/condor_vm-gahp.exe`), always written',
    evidence: 'vmuniverse_mgr.cpp @ HEAD: "must be defined", `access(tmp,X_OK)`; param_info.in: empty until V8_1_2, `$(SBIN)/condor_vm-gahp` from V8_1_3',
    value: (c) => (c.os === 'windows' ? '$(SBIN)/condor_vm-gahp.exe' : '$(SBIN)/condor_vm-gahp'),
  },
  {
    name: 'VM_GAHP_LOG', required: [{ os: 'windows' }],
    default: 'Unix: unset → gahp test logging goes to StarterLog (`-t`); param_info.in `/tmp/VMGAHPLog.$(USERNAME)` 7.3.2–8.1.5, `$(LOG)/VMGahpLog` from 8.1.6',
    derivedFrom: '`$(LOG)/VMGahpLog`, always written',
    evidence: 'vmuniverse_mgr.cpp @ HEAD (`-t` when undefined); param_info.in @ V7_3_2 … V8_1_5, V8_1_6',
    value: () => '$(LOG)/VMGahpLog',
  },
  {
    name: 'VM_GAHP_CONFIG', since: '7.0.0', until: '7.1.4', required: [{}],
    default: 'none: the condor_vm-gahp\'s separate configuration file (merged into the main configuration in 7.1.4)',
    derivedFrom: 'the file the caller supplies; placeholder `$(RELEASE_DIR)/etc/condor_vmgahp_config.<hypervisor>` with a warning',
    evidence: 'vmuniverse_mgr.C @ V7_0_0: "\'VM_GAHP_CONFIG\' must be defined"; removed at 7.1.4 (7-1.history.tex §7.1.4)',
    value: (c) => c.found.VM_GAHP_CONFIG,
    placeholder: {
      value: (c) => `$(RELEASE_DIR)/etc/condor_vmgahp_config.${c.profile.hypervisor}`,
      warning: (c) => `HTCondor ${c.version.text} requires VM_GAHP_CONFIG, the condor_vm-gahp's own configuration file, which vm-provision does not write: `
        + `pointing it at $(RELEASE_DIR)/etc/condor_vmgahp_config.${c.profile.hypervisor}; make sure that file exists (the 7.0 release ships examples of it)`,
      note: 'placeholder: the condor_vm-gahp\'s own configuration file (HTCondor 7.0), which vm-provision does not write; it must exist',
    },
  },
  {
    name: 'VM_MAX_MEMORY', since: '7.0.0', until: '7.1.4', gahpFile: GAHP_FILE_ERA, required: [{}],
    default: 'none: the gahp refuses to start without it ("\'VM_MAX_MEMORY\' is not defined")',
    derivedFrom: 'condor.vm.memory',
    evidence: 'vmgahp_config.C @ V7_0_0: `vmgahp_param_integer("VM_MAX_MEMORY", 0)`; removed at 7.1.4 (7-1.history.tex §7.1.4)',
    value: (c) => String(c.profile.condor.vm.memory),
  },
  {
    // 7.0.x: only a startd-side cap; from 7.1.4 the gahp's limit, required > 0.
    name: 'VM_MEMORY', required: [{ since: '7.1.4' }],
    default: 'unset or ≤ 0 (7.1.4+): the gahp test fails ("\'VM_MEMORY\' is not defined in configuration")',
    derivedFrom: 'condor.vm.memory',
    evidence: 'vmuniverse_mgr.C @ V7_0_0 (startd cap); vmgahp_config.cpp @ V7_2_0 … HEAD: `param_integer("VM_MEMORY", 0)`, ≤ 0 → error',
    value: (c) => String(c.profile.condor.vm.memory),
  },
  {
    name: 'VM_MAX_NUMBER',
    default: '0 = unlimited (advertised as VM_AvailNum = 10000)',
    derivedFrom: 'condor.vm.maxNumber',
    evidence: 'vmuniverse_mgr.cpp @ HEAD: `param_integer("VM_MAX_NUMBER", 0, 0)`',
    value: (c) => String(c.profile.condor.vm.maxNumber),
  },
  {
    name: 'VM_NETWORKING', gahpFile: { ...GAHP_FILE_ERA, startdToo: true },
    default: 'False',
    derivedFrom: 'condor.vm.networking.enabled',
    evidence: 'vmuniverse_mgr.C @ V7_0_0 and vmgahp_config.C @ V7_0_0 (both must say true); vmgahp_config.cpp @ HEAD: `param_boolean("VM_NETWORKING", false)`',
    value: (c) => (networkingOn(c.profile) ? 'true' : 'false'),
  },
  {
    name: 'VM_NETWORKING_TYPE', required: [{ when: 'networking' }], gahpFile: GAHP_FILE_ERA,
    default: 'none: networking is disabled ("\'VM_NETWORKING\' is true but \'VM_NETWORKING_TYPE\' is not defined")',
    derivedFrom: 'condor.vm.networking.types, when networking is enabled',
    evidence: 'vmgahp_config.C @ V7_0_0, vmgahp_config.cpp @ HEAD; `user` (passt, KVM) from v25.12.2 (HTCONDOR-3735)',
    allowed: [
      { values: ['nat', 'bridge'], evidence: 'vmgahp_config.cpp @ V7_0_0 … HEAD' },
      { since: '25.12.2', values: ['user'], hypervisors: ['kvm'], evidence: 'first tag v25.12.2: `user` network type with passt (HTCONDOR-3735), KVM only' },
    ],
    value: (c) => (networkingOn(c.profile) ? net(c.profile).types.join(', ') : undefined),
  },
  {
    // From 25.12.2 the unset default is `user` where passt is present, which may not be among the types.
    name: 'VM_NETWORKING_DEFAULT_TYPE', required: [{ when: 'several-types' }, { since: '25.12.2', when: 'networking' }], gahpFile: GAHP_FILE_ERA,
    default: '`nat`; from 25.12.2 `user` when passt networking is available, else `nat`',
    derivedFrom: 'condor.vm.networking.default, when networking is enabled',
    evidence: 'vm_type.cpp @ HEAD (`"nat"` if unset; `user` with passt from v25.12.2); first read at V6_9_5',
    value: (c) => (networkingOn(c.profile) ? net(c.profile).default : undefined),
  },
  {
    name: 'VM_NETWORKING_BRIDGE_INTERFACE', since: '7.4.3', notIn: [{ since: '7.5.0', until: '7.5.3' }], required: [{ when: 'bridge' }],
    default: 'none: bridge networking is dropped at job start without it',
    derivedFrom: 'condor.vm.networking.bridgeInterface, when networking is enabled with bridge',
    evidence: 'VirshType::Config() in xen_type.linux.cpp, first at V7_4_3 and V7_5_3 (absent at V7_4_2, V7_5_2); never in param_info.in',
    value: (c) => (bridged(c.profile) ? net(c.profile).bridgeInterface ?? undefined : undefined),
    fromProfile: (c) => {
      const iface = bridged(c.profile) ? net(c.profile).bridgeInterface : null;
      return iface ? { field: 'condor.vm.networking.bridgeInterface', value: iface } : undefined;
    },
  },
  {
    // 7.4 drove KVM (and Xen) through libvirt with a script; 7.6 uses the libvirt API directly.
    name: 'VM_SCRIPT', since: '7.4.0', until: '7.6.0', hypervisors: ['kvm'], required: [{}],
    default: 'none (KVM in 7.4 needs it: "\'VM_SCRIPT\' not defined in configuration")',
    derivedFrom: '`$(SBIN)/condor_vm_xen.sh` (the libvirt control script 7.4 ships for Xen and KVM)',
    evidence: 'xen_type.cpp @ V7_4_0: `param("VM_SCRIPT")`; example condor_config.generic @ V7_4_0; deleted by 6d32fec944 (first tag V7_6_0)',
    value: () => '$(SBIN)/condor_vm_xen.sh',
  },
  {
    name: 'VMWARE_PERL', since: '7.0.0', until: '9.12.0', hypervisors: ['vmware'], required: [{}], gahpFile: GAHP_FILE_ERA,
    default: 'none ("\'VMWARE_PERL\' not in configuration"); the example config sets `perl`',
    derivedFrom: 'vmware.perl (the interpreter, never the control script)',
    evidence: 'vmware_type.C @ V7_0_0 (`vmgahp_param`), vmware_type.cpp @ V10_0_0; vmware rejected from V9_12_0/V10_0_0',
    value: (c) => c.profile.vmware?.perl ?? 'perl',
    fromProfile: (c) => (c.profile.vmware ? { field: 'vmware.perl', value: c.profile.vmware.perl } : undefined),
  },
  {
    name: 'VMWARE_SCRIPT', since: '7.0.0', until: '9.12.0', hypervisors: ['vmware'], required: [{}], gahpFile: GAHP_FILE_ERA,
    default: 'none until 8.1.4; `$(SBIN)/condor_vm_vmware` from 8.1.5',
    derivedFrom: 'vmware.script when an absolute path; `auto`: `$(SBIN)/condor_vm_vmware.pl` (7.0–7.7), `$(SBIN)/condor_vm_vmware` (7.8+)',
    evidence: 'vmware_type.C @ V7_0_0, vmware_type.cpp @ V10_0_0: "\'VMWARE_SCRIPT\' not in configuration"; param_info.in from V8_1_5',
    value: (c) => {
      const script = c.profile.vmware?.script ?? 'auto';
      return script !== 'auto' ? script : VMWARE_SCRIPTS.find((s) => versionInRange(s, c.version))?.value;
    },
    fromProfile: (c) => (c.profile.vmware && c.profile.vmware.script !== 'auto' ? { field: 'vmware.script', value: c.profile.vmware.script } : undefined),
  },
  {
    name: 'VMWARE_NETWORKING_TYPE', since: '7.0.0', until: '9.12.0', hypervisors: ['vmware'], gahpFile: GAHP_FILE_ERA,
    default: '`nat`',
    derivedFrom: 'vmware.networkingType, when networking is enabled',
    evidence: 'vmware_type.C @ V7_0_0 (`vmgahp_param`), vmware_type.cpp @ V10_0_0; deleted by 07a0e9ebb4 (V10_2_0)',
    value: (c) => (networkingOn(c.profile) ? c.profile.vmware?.networkingType ?? 'nat' : undefined),
  },
  {
    name: 'XEN_CONTROLLER', since: '7.0.0', until: '7.1.4', hypervisors: ['xen'], required: [{}], gahpFile: GAHP_FILE_ERA,
    default: 'none ("You should define \'XEN_CONTROLLER\'")',
    derivedFrom: '`xm` (the value of the 7.0 example gahp file)',
    evidence: 'xen_type.C @ V7_0_0: `vmgahp_param("XEN_CONTROLLER")`; condor_vmgahp_config.xen @ V7_0_0; removed at 7.1.4 (7-1.history.tex)',
    value: () => 'xm',
  },
  {
    name: 'XEN_SCRIPT', since: '7.0.0', until: '7.6.0', hypervisors: ['xen'], required: [{}], gahpFile: GAHP_FILE_ERA,
    default: 'none (must be root-owned, not other-writable, and `<script> check` must exit 0)',
    derivedFrom: '`$(SBIN)/condor_vm_xen.sh`',
    evidence: 'xen_type.C @ V7_0_0, xen_type.cpp @ V7_2_0 ("\'XEN_SCRIPT\' not defined"), @ V7_4_0 (or VM_SCRIPT); not read from V7_6_0 (6d32fec944)',
    value: () => '$(SBIN)/condor_vm_xen.sh',
  },
  {
    // Replaced in 7.4 by the submit commands xen_kernel, xen_initrd, xen_kernel_params.
    name: 'XEN_DEFAULT_KERNEL', since: '7.0.0', until: '7.4.0', hypervisors: ['xen'], required: [{}], gahpFile: GAHP_FILE_ERA,
    default: 'none ("You should define the default kernel for Xen")',
    derivedFrom: 'xen.kernel, or with `auto` /boot/vmlinuz-<kernelVersion> (supplied by the caller)',
    evidence: 'xen_type.C @ V7_0_0, xen_type.cpp @ V7_2_0 … V7_3_2 ("required parameter"); removed at 7.4.0 (7-4.history.tex)',
    value: (c) => c.found.XEN_KERNEL,
    fromProfile: (c) => (c.profile.xen && c.profile.xen.kernel !== 'auto' ? { field: 'xen.kernel', value: c.profile.xen.kernel } : undefined),
  },
  {
    name: 'XEN_DEFAULT_INITRD', since: '7.0.0', until: '7.4.0', hypervisors: ['xen'], gahpFile: GAHP_FILE_ERA,
    default: 'none (must not be the stock initrd: one rebuilt with xennet, xenblk)',
    derivedFrom: 'the initrd vm-provision builds (xen.initrd)',
    evidence: 'xen_type.C @ V7_0_0, xen_type.cpp @ V7_2_0 ("optional parameter"); first read at V6_9_5; removed at 7.4.0 (7-4.history.tex)',
    value: (c) => c.found.XEN_INITRD,
  },
  {
    name: 'XEN_BOOTLOADER', hypervisors: ['xen'], required: [{}], gahpFile: GAHP_FILE_ERA,
    default: 'none: the gahp refuses Xen without a readable one ("You should define Xen bootloader")',
    derivedFrom: 'xen.bootloader, or with `auto` the pygrub found on the node',
    evidence: 'xen_type.C @ V7_0_0 ("required parameter"), XenType::checkXenParams in xen_type.linux.cpp @ HEAD',
    value: (c) => c.found.XEN_BOOTLOADER,
  },
  // 7.4+ has no admin-side default initrd: advertise where the node keeps one, for `xen_initrd = $$(XenInitrd)`.
  {
    name: 'XenInitrd', kind: 'attribute', since: '7.4.0', hypervisors: ['xen'],
    default: 'none (a custom machine attribute)',
    derivedFrom: 'the initrd vm-provision builds (xen.initrd), as a ClassAd string literal',
    evidence: 'XEN_DEFAULT_INITRD removed at 7.4.0 (7-4.history.tex); xen_initrd is a submit command',
    value: (c) => (c.found.XEN_INITRD ? classAdString(c.found.XEN_INITRD) : undefined),
  },
  {
    name: 'STARTD_ATTRS', since: '7.4.0', hypervisors: ['xen'],
    default: 'the attributes the startd advertises',
    derivedFrom: '`$(STARTD_ATTRS) XenInitrd`, when XenInitrd is written',
    evidence: 'ResMgr.cpp @ V7_4_0: `daemonCore->publish(config_classad)` "handles STARTD_ATTRS" (each listed name, from the configuration)',
    value: (c) => (c.found.XEN_INITRD ? '$(STARTD_ATTRS) XenInitrd' : undefined),
  },
  {
    // Before 8.1.3 there is no default and a Xen/KVM job fails at start without it.
    name: 'LIBVIRT_XML_SCRIPT', since: '7.3.2', hypervisors: ['kvm', 'xen'], required: [LIBVIRT_XML_SCRIPT_WRITTEN],
    default: 'none before 8.1.3: a job fails at start ("LIBVIRT_XML_SCRIPT not defined"); `$(LIBEXEC)/libvirt_simple_script.awk` from 8.1.3',
    derivedFrom: '`$(LIBEXEC)/libvirt_simple_script.awk` (the script HTCondor ships) on 7.4–8.1.2; from 8.1.3 not written (HTCondor\'s default)',
    evidence: 'xen_type.cpp @ V7_4_0: "LIBVIRT_XML_SCRIPT not defined" → false (optional only at V7_3_2); example condor_config.generic from V7_4_0; param_info.in default from V8_1_3',
    value: (c) => (versionInRange(LIBVIRT_XML_SCRIPT_WRITTEN, c.version) ? '$(LIBEXEC)/libvirt_simple_script.awk' : undefined),
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
export function versionReads(k: VersionRange & { notIn?: VersionRange[] }, v: CondorVersion): boolean {
  return versionInRange(k, v) && !(k.notIn ?? []).some((r) => versionInRange(r, v));
}

/** The values this version and hypervisor accept (undefined: any), from the knob's `allowed` entries. */
export function allowedValues(k: KnobSpec, v: CondorVersion, h: Hypervisor): string[] | undefined {
  if (!k.allowed) return undefined;
  return k.allowed.filter((a) => versionInRange(a, v) && (!a.hypervisors || a.hypervisors.includes(h))).flatMap((a) => a.values);
}

// Control characters, C1 controls and Unicode line separators: refused, never escaped (HTCondor reads lines).
const CLASSAD_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * A ClassAd string literal for `s`: in quotes, with `\` and `"` escaped by a backslash, so the value can neither
 * end the string early nor add an attribute. Throws VmpError CONFIG on a control character.
 */
export function classAdString(s: string): string {
  if (CLASSAD_UNSAFE.test(s)) {
    throw new VmpError('CONFIG', `refusing to write ${JSON.stringify(s)} as a ClassAd string: it contains a control character or line separator`, {
      hint: 'use a path made of printable characters',
    });
  }
  return `"${s.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`;
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

/** The knobs to write, in table order (as planKnobs: with placeholders, without what only the 7.0 gahp file holds). */
export function knobValues(ctx: KnobContext): Array<[name: string, value: string]> {
  return planKnobs(ctx).knobs;
}

export interface KnobPlan {
  knobs: Array<[name: string, value: string]>;
  warnings: string[];
  /** Knobs that got a placeholder value, with the header note explaining it. */
  placeholders: Array<[name: string, note: string]>;
  /** Required by this version but no value and no placeholder. */
  missing: string[];
  /** What this version's condor_vm-gahp reads from its own file (VM_GAHP_CONFIG, 7.0.x), which vm-provision does not write. */
  gahpFile: Array<[name: string, value: string]>;
}

/** "read from 7.4.3 on", "read by 7.0–7.3 only", … for messages. */
export function readRangeText(r: VersionRange & { notIn?: VersionRange[] }): string {
  const gaps = (r.notIn ?? []).map((g) => `${g.since ? at(g.since).text : ''}–${g.until ? lastBefore(g.until) : ''}`);
  const except = gaps.length ? `, nor by ${gaps.join(', ')}` : '';
  if (r.since && r.until) return `read by HTCondor ${shortSince(r.since)}–${lastBefore(r.until)} only${except}`;
  if (r.since) return `not read before HTCondor ${shortSince(r.since)}${except}`;
  if (r.until) return `not read from HTCondor ${shortSince(r.until)} on${except}`;
  return `read by every version${except}`;
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
  const plan: KnobPlan = { knobs: [], warnings: [], placeholders: [], missing: [], gahpFile: [] };
  const h = ctx.profile.hypervisor;
  checkNetworkingTypes(ctx);
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
    if (k.gahpFile && versionInRange(k.gahpFile, ctx.version)) {
      if (value !== undefined || isRequired(k, ctx)) plan.gahpFile.push([k.name, value ?? k.placeholder?.value(ctx) ?? '<unknown>']);
      if (!k.gahpFile.startdToo) continue;
    }
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
  if (plan.gahpFile.length) {
    const file = plan.knobs.find(([n]) => n === 'VM_GAHP_CONFIG')?.[1] ?? 'VM_GAHP_CONFIG';
    plan.warnings.push(`HTCondor ${ctx.version.text}'s condor_vm-gahp reads its settings only from its own file (${file}), which vm-provision does not write; `
      + `it must contain: ${plan.gahpFile.map(([n, v]) => `${n} = ${v}`).join('; ')}`);
  }
  return plan;
}

/** Refuses networking types this version (or hypervisor) does not know, e.g. `user` before 25.12.2 or with Xen. */
export function checkNetworkingTypes(ctx: KnobContext): void {
  const p = ctx.profile;
  if (!networkingOn(p)) return;
  const spec = KNOBS.find((k) => k.name === 'VM_NETWORKING_TYPE')!;
  const ok = allowedValues(spec, ctx.version, p.hypervisor) ?? [];
  const bad = [...new Set<string>([...net(p).types, net(p).default])].filter((t) => !ok.includes(t));
  if (!bad.length) return;
  const user = bad.includes('user') ? ' (`user`, passt networking, is KVM-only and read from HTCondor 25.12.2)' : '';
  throw new VmpError('PREFLIGHT', `HTCondor ${ctx.version.text} with ${p.hypervisor} does not support VM networking type ${bad.join(', ')}${user}`, {
    hint: `use condor.vm.networking types from: ${ok.join(', ')}`,
  });
}
