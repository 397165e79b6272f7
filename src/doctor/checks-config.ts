// Checks of the configuration HTCondor reads: VM_TYPE, the knobs the node's version reads, VM_MEMORY, and whether
// the running startd has what the files say (a restart owed).
import { allowedValues, readRangeText, versionInRange, versionReads, KNOBS } from '../condor/knobs.ts';
import { atLeast } from '../condor/version.ts';
import type { KnobSource } from '../condor/config-val.ts';
import { definitionsIn } from '../condor/find-definitions.ts';
import type { Evidence } from './evidence.ts';
import { ok, problem, warn, type Finding } from './finding.ts';
import { asHypervisor, relevantSpecs } from './knob-set.ts';

const RESTART = 'condor_restart -startd (-peaceful lets running jobs finish): the startd tests the VM universe only when it starts';

/** `FILE, line N` or a pseudo-source such as <Default>. */
export function sourceOf(s: KnobSource): string {
  return s.file ? `${s.file}${s.line ? `, line ${s.line}` : ''}` : 'nowhere';
}

export function knobEvidence(s: KnobSource): string {
  return `${sourceOf(s)}: ${s.as ?? s.name} = ${s.defined ? s.value ?? '' : '(not defined)'}`;
}

export interface Definition { file: string; line: number; value: string; as?: string }

/** Every definition of `name` in the files HTCondor reads, in read order (the last one wins). */
export function definitionsOf(e: Evidence, name: string): Definition[] {
  return e.configFiles.flatMap((f) => (f.text ? definitionsIn(f.text, [name]).map((d) => ({ file: f.path, line: d.line, value: d.value, ...(d.as ? { as: d.as } : {}) })) : []));
}

/** Earlier definitions the winning one overrides, as evidence lines. */
function overridden(e: Evidence, s: KnobSource): string[] {
  const defs = definitionsOf(e, s.name);
  const win = defs.findIndex((d) => d.file === s.file && d.line === s.line);
  return (win < 0 ? [] : defs.slice(0, win)).filter((d) => d.value !== (s.raw ?? s.value))
    .map((d) => `overrides ${d.file}, line ${d.line}: ${d.as ?? s.name} = ${d.value}`);
}

const versionText = (e: Evidence) => e.facts.condor.version?.text ?? 'unknown';

export function checkVmType(e: Evidence): Finding {
  const s = e.files.VM_TYPE;
  if (!s?.defined || !s.value?.trim()) {
    return problem('vm-type', 'VM_TYPE is not set: the startd keeps the VM universe off (HasVM = false)',
      'set VM_TYPE = kvm (or xen) with the other VM_* knobs — `vm-provision apply PROFILE` writes them — then condor_restart -startd',
      [s ? knobEvidence(s) : 'condor_config_val -subsystem startd -v VM_TYPE: not defined']);
  }
  const t = s.value.trim().toLowerCase();
  const h = asHypervisor(t);
  const spec = KNOBS.find((k) => k.name === 'VM_TYPE')!;
  const allowed = e.facts.condor.version && h ? allowedValues(spec, e.facts.condor.version, h) : undefined;
  if (!h || (allowed && !allowed.includes(t))) {
    return problem('vm-type', `VM_TYPE = ${s.value} is not a hypervisor HTCondor ${versionText(e)} supports${allowed ? ` (${allowed.join(', ')})` : ''}`,
      `set VM_TYPE to one of ${allowed?.join(', ') ?? 'kvm, xen'} at ${sourceOf(s)}, then ${RESTART}`, [knobEvidence(s), ...overridden(e, s)]);
  }
  return ok('vm-type', `VM_TYPE = ${t}`, [knobEvidence(s)]);
}

/** Required knobs this version reads that are missing, and VM knobs set in a file this version does not read. */
export function checkKnobs(e: Evidence): Finding {
  const v = e.facts.condor.version;
  const t = e.files.VM_TYPE?.value?.trim().toLowerCase();
  const h = asHypervisor(t);
  if (!v || !h) return ok('knobs', 'knobs not checked: HTCondor version or VM_TYPE unknown');
  const missing = relevantSpecs(v, t).filter((k) => !['VM_TYPE', 'VM_MEMORY'].includes(k.name)
    && (k.required ?? []).some((r) => !r.when && (!r.os || r.os === 'linux') && versionInRange(r, v))
    && !e.files[k.name]?.defined);
  const unread = KNOBS.filter((k) => k.kind !== 'attribute' && !versionReads(k, v)).flatMap((k) => definitionsOf(e, k.name).map((d) => ({ k, d })));
  const evidence = unread.map(({ k, d }) => `${d.file}, line ${d.line}: ${d.as ?? k.name} = ${d.value} (${readRangeText(k)})`);
  if (missing.length) {
    return problem('knobs', `HTCondor ${v.text} needs ${missing.map((k) => k.name).join(', ')} for ${h}, and the config does not set ${missing.length > 1 ? 'them' : 'it'}`,
      `set ${missing.map((k) => k.name).join(', ')} (see docs/supported-versions.md; \`vm-provision render PROFILE\` shows the file for this version), then ${RESTART}`,
      [...missing.map((k) => `${k.name}: not defined (${k.default})`), ...evidence]);
  }
  if (unread.length) {
    return warn('knobs', `${[...new Set(unread.map(({ k }) => k.name))].join(', ')} ${unread.length > 1 ? 'are' : 'is'} set but HTCondor ${v.text} does not read ${unread.length > 1 ? 'them' : 'it'}`,
      'remove the setting (it has no effect on this version), or check that the node runs the HTCondor version you meant', evidence);
  }
  return ok('knobs', `every VM knob HTCondor ${v.text} requires for ${h} is set`);
}

export function checkVmMemory(e: Evidence): Finding | undefined {
  const v = e.facts.condor.version;
  if ((v && !atLeast(v, '7.1.4')) || !e.files.VM_TYPE?.defined) return undefined;
  const s = e.files.VM_MEMORY;
  const n = s?.defined ? Number(s.value?.trim()) : NaN;
  if (s?.defined && Number.isFinite(n) && n > 0) {
    const ram = e.facts.memTotalMiB;
    if (ram !== undefined && n > ram) {
      return warn('vm-memory', `VM_MEMORY = ${n} MiB is more than the node's memory (${ram} MiB)`, `lower VM_MEMORY at ${sourceOf(s)}, then ${RESTART}`, [knobEvidence(s)]);
    }
    return ok('vm-memory', `VM_MEMORY = ${n} MiB`, [knobEvidence(s)]);
  }
  const ev = s ? [knobEvidence(s), ...overridden(e, s)] : ['VM_MEMORY: not defined'];
  const later = s?.defined && s.file && !s.file.startsWith('<') && overridden(e, s).length;
  return problem('vm-memory', `VM_MEMORY is ${s?.defined ? `${s.value || '(empty)'}` : 'not set'}: the gahp test fails without VM memory (it needs VM_MEMORY > 0), so the startd turns the VM universe off`,
    later ? `fix or remove VM_MEMORY at ${sourceOf(s)} (read after the file that sets it > 0, it wins), then ${RESTART}`
      : `set VM_MEMORY (MiB, > 0)${s?.defined ? ` at ${sourceOf(s)}` : ''}, then ${RESTART}`, ev);
}

/** Does the running startd have what the files say now? It reads VM knobs only when it starts. */
export function checkRestartOwed(e: Evidence): Finding | undefined {
  if (!e.facts.condor.daemons.includes('condor_startd')) return undefined;
  const names = relevantSpecs(e.facts.condor.version, e.files.VM_TYPE?.value?.trim().toLowerCase()).map((k) => k.name);
  const started = Math.min(...e.slots.ads.map((a) => a.daemonStartTime ?? Infinity));
  const since = Number.isFinite(started) ? ` (started ${new Date(started * 1000).toISOString()})` : '';
  const newer = Number.isFinite(started) ? e.configFiles.filter((f) => f.mtime !== undefined && f.mtime > started) : [];
  const newerEv = newer.map((f) => `${f.path}: modified ${new Date(f.mtime! * 1000).toISOString()}, after the startd started`);
  const running = e.running.sources;
  if (!running) {
    if (newer.length) {
      return warn('restart-owed', `cannot ask the running startd for its config (${e.running.error}), and ${newer.length} config file${newer.length > 1 ? 's' : ''} changed after it started${since}: a restart may be owed`,
        RESTART, newerEv);
    }
    return ok('restart-owed', `the config files are older than the running startd${since}`);
  }
  const diffs: string[] = [];
  for (const n of names) {
    const f = e.files[n];
    const r = running[n];
    const fv = f?.defined ? f.value ?? '' : undefined;
    const rv = r?.defined ? r.value ?? '' : undefined;
    if ((fv ?? '').trim() !== (rv ?? '').trim()) diffs.push(`${n}: the running startd has ${rv === undefined ? '(not defined)' : rv}, the files say ${fv === undefined ? '(not defined)' : fv}${f?.file && !f.file.startsWith('<') ? ` (${sourceOf(f)})` : ''}`);
  }
  if (diffs.length) {
    return problem('restart-owed', `the running startd predates the config${since}: ${diffs.length} VM setting${diffs.length > 1 ? 's' : ''} changed since it started`,
      RESTART, [...diffs, ...newerEv]);
  }
  return ok('restart-owed', `the running startd has the files' VM settings${since}`, newer.length ? [...newerEv.map((l) => `${l} (no VM setting changed)`)] : []);
}
