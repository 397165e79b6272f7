// Finds where knobs are set in the config files HTCondor reads after ours. condor_config_val names <Default>
// when a value equals the built-in default, so a later file resetting a knob to its default hides from it.
import type { Host } from '../host/host.ts';
import { EXCLUDED_NAME, readAfter, type ConfigLayout } from './config-order.ts';
import type { Override } from './override-check.ts';

export function definitionsIn(text: string, names: string[]): Array<{ knob: string; line: number; value: string }> {
  const want = new Map(names.map((n) => [n.toUpperCase(), n]));
  const out: Array<{ knob: string; line: number; value: string }> = [];
  text.split('\n').forEach((l, i) => {
    const m = /^\s*([A-Za-z0-9_.]+)\s*[=:]\s?(.*)$/.exec(l);
    const knob = m && want.get(m[1]!.toUpperCase());
    if (knob) out.push({ knob, line: i + 1, value: m[2]!.trim() });
  });
  return out;
}

export async function laterDefinitions(host: Host, layout: ConfigLayout, ourFile: string, names: string[]): Promise<Override[]> {
  const files: string[] = [];
  for (const dir of layout.localConfigDirs) {
    for (const f of (await host.listDir(dir)) ?? []) if (!EXCLUDED_NAME.test(f)) files.push(`${dir.replace(/\/+$/, '')}/${f}`);
  }
  files.push(...layout.localConfigFiles);
  const out: Override[] = [];
  for (const f of files) {
    if (f === ourFile || !readAfter(layout, f, ourFile)) continue;
    const text = await host.readFile(f).catch(() => undefined);
    if (!text) continue;
    for (const d of definitionsIn(text, names)) out.push({ knob: d.knob, file: f, line: d.line, value: d.value });
  }
  return out;
}
