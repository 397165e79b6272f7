// Which hypervisors each HTCondor version supports, derived from the knob table (VM_TYPE's allowed values), the
// refusal before any change (checkSupport), and the Markdown tables generated from it (README, docs).
import { VmpError } from '../errors/vmp-error.ts';
import type { CondorVersion } from './version.ts';
import { parseVersion } from './version.ts';
import {
  KNOBS, VMWARE_SCRIPTS, lastBefore, shortSince, versionInRange,
  type AllowedValues, type Hypervisor, type KnobSpec, type NodeOs, type Requirement, type VersionRange,
} from './knobs.ts';

export const HYPERVISOR_NAMES: Record<Hypervisor, string> = { kvm: 'KVM', xen: 'Xen', vmware: 'VMware' };
const ORDER: Hypervisor[] = ['kvm', 'xen', 'vmware'];

/** vm-provision supports the VM universe from the 7.0 stable series (HTCondor added it in 6.9.4, a development release). */
export const FIRST_VM_UNIVERSE = '7.0.0';
export const VM_UNIVERSE_ADDED = '6.9.4';

/** Operating systems on which each hypervisor runs VM jobs (KVM and Xen through libvirt on Linux). */
export const OS_SUPPORT: Record<Hypervisor, NodeOs[]> = { kvm: ['linux'], xen: ['linux'], vmware: ['linux', 'windows'] };

export interface SupportBand extends VersionRange {
  /** "7.0–7.3", "9.12 and later" */
  label: string;
  hypervisors: Hypervisor[];
}

const vmType = KNOBS.find((k) => k.name === 'VM_TYPE')!;

export function rangeLabel(r: VersionRange): string {
  const from = shortSince(r.since ?? FIRST_VM_UNIVERSE);
  return r.until ? `${from}–${lastBefore(r.until)}` : `${from} and later`;
}

/** Per version band, the hypervisors HTCondor supports: VM_TYPE's allowed values in the knob table. */
export const SUPPORT: SupportBand[] = (vmType.allowed ?? []).map((a) => ({
  since: a.since, until: a.until, label: rangeLabel(a),
  hypervisors: ORDER.filter((h) => a.values.includes(h)),
}));

export function supportedHypervisors(version: CondorVersion): Hypervisor[] {
  return SUPPORT.find((b) => versionInRange(b, version))?.hypervisors ?? [];
}

/** Where a hypervisor is supported, as one or more labels ("7.4 and later"; "7.0–9.11"). */
export function supportedRangeText(h: Hypervisor): string {
  const merged: VersionRange[] = [];
  for (const b of SUPPORT.filter((x) => x.hypervisors.includes(h))) {
    const last = merged.at(-1);
    if (last && last.until === b.since) last.until = b.until;
    else merged.push({ since: b.since, until: b.until });
  }
  return merged.map(rangeLabel).join(', ') || 'no version';
}

/** Refuses, before any change, a hypervisor this HTCondor version (or OS) cannot run VM jobs with. */
export function checkSupport(hypervisor: Hypervisor, version: CondorVersion, os: NodeOs = 'linux'): void {
  const name = HYPERVISOR_NAMES[hypervisor];
  if (!versionInRange({ since: FIRST_VM_UNIVERSE }, version)) {
    const why = versionInRange({ since: VM_UNIVERSE_ADDED }, version)
      ? `is a development release before 7.0: vm-provision supports the VM universe (added in ${VM_UNIVERSE_ADDED}) from the 7.0 stable series`
      : `has no VM universe (it arrived in the ${VM_UNIVERSE_ADDED} development release; vm-provision supports it from 7.0)`;
    throw new VmpError('PREFLIGHT', `HTCondor ${version.text} ${why}`, {
      hint: `upgrade HTCondor: ${name} VM jobs need HTCondor ${supportedRangeText(hypervisor)}`,
    });
  }
  if (!supportedHypervisors(version).includes(hypervisor)) {
    const others = supportedHypervisors(version);
    const removed = hypervisor === 'vmware'
      ? ': VM_TYPE vmware was disabled in 9.12/10.0 and its code deleted in 10.2 (the startd logs "A VM_TYPE of vmware is no longer supported")'
      : `: VM_TYPE ${hypervisor} is read by HTCondor ${supportedRangeText(hypervisor)}`;
    throw new VmpError('PREFLIGHT', `HTCondor ${version.text} does not support ${name} VM jobs${removed}`, {
      hint: `use HTCondor ${supportedRangeText(hypervisor)} for ${name}, or on HTCondor ${version.text} set hypervisor: ${others.join(' or ')}`,
    });
  }
  if (!OS_SUPPORT[hypervisor].includes(os)) {
    throw new VmpError('PREFLIGHT', `${name} VM jobs run on ${OS_SUPPORT[hypervisor].map(cap).join(' or ')} execute nodes only, not on ${cap(os)}`, {
      hint: `render for --os ${OS_SUPPORT[hypervisor][0]}, or use hypervisor: vmware on ${cap(os)}`,
    });
  }
}

const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);

// ---- Markdown ----

export const REGENERATE = 'npx tsx scripts/gen-support-table.ts';

/** HTCondor version bands × hypervisors; with the source's evidence per row in the version doc. */
function hypervisorTable(withEvidence = false): string[] {
  const ev = (text: string) => (withEvidence ? ` ${cell(text)} |` : '');
  const rows = SUPPORT.map((b, i) => `| ${b.label} | ${ORDER.map((h) => (b.hypervisors.includes(h) ? 'yes' : '—')).join(' | ')} |${ev(vmType.allowed![i]!.evidence)}`);
  return [
    `| HTCondor | ${ORDER.map((h) => HYPERVISOR_NAMES[h]).join(' | ')} |${withEvidence ? ' evidence (tag, file) |' : ''}`,
    `|---|${ORDER.map(() => '---').join('|')}|${withEvidence ? '---|' : ''}`,
    `| before ${shortSince(FIRST_VM_UNIVERSE)} (no VM universe) | ${ORDER.map(() => '—').join(' | ')} |${ev(`the VM universe arrived in ${VM_UNIVERSE_ADDED} (src/condor_vm-gahp first at V6_9_4), a development release vm-provision does not support`)}`,
    ...rows,
  ];
}

/** "KVM and Xen run VM jobs on Linux execute nodes, VMware on Linux and Windows" from OS_SUPPORT. */
function osSentence(): string {
  const groups = new Map<string, string[]>();
  for (const h of ORDER) {
    const key = OS_SUPPORT[h].map(cap).join(' and ');
    groups.set(key, [...(groups.get(key) ?? []), HYPERVISOR_NAMES[h]]);
  }
  const parts = [...groups].map(([os, hs], i) => `${hs.join(' and ')}${i === 0 ? ' run VM jobs' : ''} on ${os}${i === 0 ? ' execute nodes' : ''}`);
  return parts.join(', ');
}

/** The README block between the support-table markers. */
export function supportTableMarkdown(): string {
  return [
    `<!-- generated from src/condor/knobs.ts by \`${REGENERATE}\`: do not edit by hand -->`,
    '',
    ...hypervisorTable(),
    '',
    `${osSentence()}.`,
    'vm-provision refuses an unsupported combination before changing anything, and writes exactly the knobs the',
    'node\'s HTCondor version reads (`vm-provision render PROFILE --condor-version X.Y.Z` prints that file without',
    'touching anything). Knob by knob: [docs/supported-versions.md](docs/supported-versions.md).',
  ].join('\n');
}

function requiredText(k: KnobSpec): string {
  if (!k.required?.length) return 'no';
  return k.required.map((r: Requirement) => {
    const parts: string[] = [];
    if (r.since || r.until) parts.push(rangeLabel({ since: r.since ?? k.since, until: r.until ?? k.until }));
    if (r.os) parts.push(`on ${cap(r.os)}`);
    if (r.when === 'networking') parts.push('when networking is enabled');
    if (r.when === 'bridge') parts.push('with bridge networking');
    if (r.when === 'several-types') parts.push('with several networking types');
    return parts.length ? `yes: ${parts.join(', ')}` : 'yes';
  }).join('; ');
}

const cell = (s: string) => s.replace(/\|/g, '\\|');
const parseVersionText = (t: string) => parseVersion(t)?.text ?? t;

/** "7.4.3 and later, except 7.5.0–7.5.2; from the gahp's own file on 7.0–7.1.3". */
function readsText(k: KnobSpec): string {
  let text = k.since || k.until ? rangeLabel(k) : 'all';
  if (k.notIn?.length) text += `, except ${k.notIn.map((g) => `${parseVersionText(g.since ?? FIRST_VM_UNIVERSE)}–${lastBefore(g.until!)}`).join(', ')}`;
  if (k.gahpFile) text += `; ${rangeLabel(k.gahpFile)}: from the gahp's own file${k.gahpFile.startdToo ? ' (and the startd from the configuration)' : ' only'}`;
  return text;
}

/** One row per knob: versions that read it, hypervisors, required, HTCondor's default, vm-provision's source, evidence. */
export function knobTableMarkdown(): string {
  const rows = KNOBS.map((k) => `| ${k.kind === 'attribute' ? `${k.name} (machine attribute)` : k.name} | ${cell(readsText(k))} | `
    + `${k.hypervisors ? k.hypervisors.map((h) => HYPERVISOR_NAMES[h]).join(', ') : 'all'} | ${cell(requiredText(k))} | ${cell(k.default)} | ${cell(k.derivedFrom)} | ${cell(k.evidence)} |`);
  return ['| knob | versions that read it | hypervisors | required | HTCondor default | vm-provision writes | evidence (tag, file) |', '|---|---|---|---|---|---|---|', ...rows].join('\n');
}

/** The whole docs/supported-versions.md. */
export function supportedVersionsDoc(): string {
  const values = (a: AllowedValues) => a.values.map((v) => `\`${v}\``).join(', ');
  const vmtypes = (vmType.allowed ?? []).map((a) => `| ${rangeLabel(a)} | ${values(a)} | ${cell(a.evidence)} |`);
  const netTypes = (KNOBS.find((k) => k.name === 'VM_NETWORKING_TYPE')!.allowed ?? []).map((a) => `| ${a.since || a.until ? rangeLabel(a) : 'all'} | `
    + `${a.hypervisors ? a.hypervisors.map((h) => HYPERVISOR_NAMES[h]).join(', ') : 'all'} | ${values(a)} | ${cell(a.evidence)} |`);
  const scripts = VMWARE_SCRIPTS.map((s) => `| ${rangeLabel(s)} | \`${s.value}\` | ${cell(s.evidence)} |`);
  return [
    '# Supported HTCondor versions and hypervisors',
    '',
    `<!-- generated from src/condor/knobs.ts by \`${REGENERATE}\`: do not edit by hand -->`,
    '',
    'vm-provision writes one drop-in with exactly the knobs the node\'s HTCondor version reads, from one table',
    '(`src/condor/knobs.ts`), checked against HTCondor\'s repository tag by tag (V7_0_0 … V10_9_0, then v23.0.0 … v25.x):',
    'each row names the tag and file that show it.',
    'A profile value for a knob the version does not read is a warning in the plan, never a silent write; a',
    'hypervisor the version does not support is an error before any change.',
    '',
    '## Hypervisors by version',
    '',
    ...hypervisorTable(true),
    '',
    `${osSentence()}.`,
    '',
    'Version ranges are exact: a knob removed in 7.6 is listed as read by "7.0–7.5". Before 9.x, odd minor versions',
    '(7.1, 7.3, 7.5, 7.7, 8.1, …) are the development series between the stable ones.',
    '',
    '## VM_TYPE values by version',
    '',
    '| HTCondor | VM_TYPE | evidence (tag, file) |',
    '|---|---|---|',
    ...vmtypes,
    '',
    '## VM_NETWORKING_TYPE values by version',
    '',
    'A networking type the node\'s HTCondor (or hypervisor) does not know is refused before rendering.',
    '',
    '| HTCondor | hypervisors | VM_NETWORKING_TYPE | evidence (tag, file) |',
    '|---|---|---|---|',
    ...netTypes,
    '',
    '## Knobs',
    '',
    knobTableMarkdown(),
    '',
    '## VMware control script (`vmware.script: auto`)',
    '',
    '| HTCondor | VMWARE_SCRIPT | evidence (tag, file) |',
    '|---|---|---|',
    ...scripts,
    '',
    '## HTCondor 7.0.x: the condor_vm-gahp\'s own file',
    '',
    'Up to 7.1.3 the condor_vm-gahp reads VM_TYPE, VM_VERSION, VM_MAX_MEMORY, the VM_NETWORKING knobs and the',
    'XEN_* / VMWARE_* knobs only from the file VM_GAHP_CONFIG names (`vmgahp_param()` in vmgahp_common.C @ V7_0_0',
    'looks nowhere else); 7.1.4 merged it into the normal configuration (7-1.history.tex §7.1.4). vm-provision does not',
    'write that file: for 7.0.x it writes the startd\'s knobs and lists, as a warning, what the file must contain.',
    '',
    '## Values that come from the node',
    '',
    '`vm-provision render` prints the file for a version without touching the node; where a value comes from the',
    'node at apply time it uses the profile\'s explicit value, or a placeholder named in the file\'s header:',
    '',
    '| value | at apply time | placeholder in `render` |',
    '|---|---|---|',
    '| XEN_BOOTLOADER | xen.bootloader, or the pygrub found on the node | `/usr/lib/xen-<version>/bin/pygrub` |',
    '| XEN_DEFAULT_KERNEL (7.0–7.3) | xen.kernel, or /boot/vmlinuz-<kernelVersion> | `/boot/vmlinuz-<kernelVersion>` |',
    '| XEN_DEFAULT_INITRD (7.0–7.3), XenInitrd (7.4+) | the initrd built from xen.initrd.output | xen.initrd.output with `<kernelVersion>` |',
    '| `<kernelVersion>` | xen.kernelVersion, or the running kernel | `<kernelVersion>` |',
    '| VM_VERSION (required 7.0–7.3; on 7.0.x in the gahp\'s own file) | the hypervisor version (no profile field yet) | `unknown`, with a warning |',
    '| VM_GAHP_CONFIG (7.0–7.1.3) | the gahp\'s own config file (not written by vm-provision) | `$(RELEASE_DIR)/etc/condor_vmgahp_config.<hypervisor>`, with a warning |',
    '',
  ].join('\n');
}
