// Would our file's knobs take effect? A knob defined in a file HTCondor reads after ours wins over ours.
import type { KnobSource } from './config-val.ts';
import { readAfter, type ConfigLayout } from './config-order.ts';

export interface Override { knob: string; file: string; line?: number; value?: string }

export function findOverrides(layout: ConfigLayout, ourFile: string, sources: Map<string, KnobSource>): Override[] {
  const out: Override[] = [];
  for (const s of sources.values()) {
    if (!s.defined || !s.file || s.file.startsWith('<') || s.file === ourFile) continue;
    if (readAfter(layout, s.file, ourFile)) out.push({ knob: s.name, file: s.file, line: s.line, value: s.value });
  }
  return out;
}

/**
 * After writing: every knob we wrote must come from our file. HTCondor names <Default> instead when the
 * value equals its built-in default, so that counts as ours when the raw text is what we wrote.
 */
export function notFromOurFile(ourFile: string, knobs: Array<[string, string]>, sources: Map<string, KnobSource>): KnobSource[] {
  return knobs.map(([n, v]) => ({ s: sources.get(n) ?? { name: n, defined: false }, v }))
    .filter(({ s, v }) => !(s.file === ourFile || (s.file === '<Default>' && s.raw === v)))
    .map(({ s }) => s);
}
