// Finds where knobs are set in the config files HTCondor reads after ours. condor_config_val names <Default>
// when a value equals the built-in default, so a later file resetting a knob to its default hides from it; this
// scan reads those files' text: NAME, STARTD.NAME / VM_GAHP.NAME (the daemons that read our knobs), `NAME @=TAG`
// blocks, and the files `include` lines name.
import type { Host } from '../host/host.ts';
import { EXCLUDED_NAME, readAfterIn, type ConfigLayout } from './config-order.ts';
import type { Override } from './override-check.ts';

/** Subsystem prefixes that apply to our knobs: the startd reads them, the VM gahp reads VM_MEMORY and the rest. */
const PREFIXES = ['STARTD', 'VM_GAHP'];

export interface Definition { knob: string; line: number; value: string; as?: string }

export function definitionsIn(text: string, names: string[]): Definition[] {
  const want = new Map(names.map((n) => [n.toUpperCase(), n]));
  const knobOf = (used: string) => {
    const u = used.toUpperCase();
    if (want.has(u)) return want.get(u);
    const dot = u.indexOf('.');
    return dot > 0 && PREFIXES.includes(u.slice(0, dot)) ? want.get(u.slice(dot + 1)) : undefined;
  };
  const out: Definition[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    let m = /^\s*([A-Za-z0-9_.]+)\s*@=\s*(\w*)\s*$/.exec(l);
    if (m) {
      const start = i;
      const body: string[] = [];
      while (++i < lines.length && lines[i]!.trim() !== `@${m[2]}`) body.push(lines[i]!);
      const knob = knobOf(m[1]!);
      if (knob) out.push({ knob, line: start + 1, value: body.join('\n').trim(), ...(m[1]!.toUpperCase() !== knob.toUpperCase() ? { as: m[1]! } : {}) });
      continue;
    }
    m = /^\s*([A-Za-z0-9_.]+)\s*[=:]\s?(.*)$/.exec(l);
    const knob = m && knobOf(m[1]!);
    if (knob) out.push({ knob, line: i + 1, value: m![2]!.trim(), ...(m![1]!.toUpperCase() !== knob.toUpperCase() ? { as: m![1]! } : {}) });
  }
  return out;
}

/** Absolute files named by `include :` / `include ifexist :` lines (an `include command` cannot be read ahead). */
export function includesIn(text: string): string[] {
  const out: string[] = [];
  for (const l of text.split('\n')) {
    const m = /^\s*include\s*(?:ifexist\s*)?:\s*(\/\S*)\s*$/i.exec(l);
    if (m) out.push(m[1]!);
  }
  return out;
}

/** Definitions of `names` in every file read after ours (and the files those include). `order`: condor_config_val -config. */
export async function laterDefinitions(host: Host, layout: ConfigLayout, ourFile: string, names: string[], order?: string[]): Promise<Override[]> {
  const files: string[] = [];
  for (const dir of layout.localConfigDirs) {
    for (const f of (await host.listDir(dir)) ?? []) if (!EXCLUDED_NAME.test(f)) files.push(`${dir.replace(/\/+$/, '')}/${f}`);
  }
  files.push(...layout.localConfigFiles);
  const out: Override[] = [];
  const seen = new Set<string>();
  const scan = async (f: string, depth: number) => {
    if (seen.has(f) || depth > 10) return;
    seen.add(f);
    const text = await host.readFile(f).catch(() => undefined);
    if (!text) return;
    for (const d of definitionsIn(text, names)) out.push({ knob: d.knob, file: f, line: d.line, value: d.value, ...(d.as ? { as: d.as } : {}) });
    for (const inc of includesIn(text)) await scan(inc, depth + 1);
  };
  for (const f of files) {
    if (f === ourFile || !readAfterIn(layout, order, f, ourFile)) continue;
    await scan(f, 0);
  }
  return out;
}
