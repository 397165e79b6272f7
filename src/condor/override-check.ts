// Would our file's knobs take effect? A knob defined in a file HTCondor reads after ours, or in the daemons'
// environment (_CONDOR_NAME), wins over ours.
import type { KnobSource } from './config-val.ts';
import { readAfterIn, type ConfigLayout } from './config-order.ts';

export interface Override { knob: string; file: string; line?: number; value?: string; as?: string }

/** `order`: HTCondor's read order (condor_config_val -config), when known. */
export function findOverrides(layout: ConfigLayout, ourFile: string, sources: Map<string, KnobSource>, order?: string[]): Override[] {
  const out: Override[] = [];
  for (const s of sources.values()) {
    if (!s.defined || !s.file || s.file.startsWith('<') || s.file === ourFile) continue;
    if (readAfterIn(layout, order, s.file, ourFile)) out.push({ knob: s.name, file: s.file, line: s.line, value: s.value, ...(s.as ? { as: s.as } : {}) });
  }
  return out;
}

/** Knobs the running startd took from its environment: `_CONDOR_NAME` beats every config file. */
export function environmentOverrides(running: Map<string, KnobSource> | undefined): Override[] {
  return [...(running?.values() ?? [])].filter((s) => s.defined && s.file === '<Environment>')
    .map((s) => ({ knob: s.name, file: `condor_master's environment (_CONDOR_${s.name})`, value: s.value }));
}

/** Knobs whose later definitions add to ours rather than replace them (`STARTD_ATTRS = $(STARTD_ATTRS) X`). */
const COMPOSING = new Set(['STARTD_ATTRS']);

/**
 * Drops later definitions that compose with ours. HTCondor substitutes the self-reference as it reads, so
 * condor_config_val shows the result; the file's text (`written`) still shows `$(STARTD_ATTRS)`.
 */
export function withoutComposing(overrides: Override[], written: Override[]): Override[] {
  const selfRef = (o: Override) => new RegExp(`\\$\\(\\s*${o.knob}\\s*\\)`, 'i');
  return overrides.filter((o) => {
    if (!COMPOSING.has(o.knob)) return true;
    const text = written.find((w) => w.knob === o.knob && w.file === o.file && (o.line === undefined || w.line === o.line)) ?? o;
    return !selfRef(o).test(text.value ?? '');
  });
}

/**
 * After writing: every knob we wrote must come from our file. HTCondor names <Default> instead when the
 * value equals its built-in default, so that counts as ours when the raw text is what we wrote.
 */
export function notFromOurFile(ourFile: string, knobs: Array<[string, string]>, sources: Map<string, KnobSource>): KnobSource[] {
  // A composing knob set later still counts as ours when its value keeps every entry we added.
  const keeps = (s: KnobSource, v: string) => COMPOSING.has(s.name) && s.defined
    && v.split(/[\s,]+/).filter((x) => x && !x.startsWith('$(')).every((x) => (s.value ?? '').split(/[\s,]+/).includes(x));
  return knobs.map(([n, v]) => ({ s: sources.get(n) ?? { name: n, defined: false }, v }))
    .filter(({ s, v }) => !((s.file === ourFile && !s.as) || (s.file === '<Default>' && s.raw === v) || keeps(s, v)))
    .map(({ s }) => s);
}
