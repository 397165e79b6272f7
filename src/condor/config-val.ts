// Parses `condor_config_val -v NAME...`: the value and the file and line that defined it.
export interface KnobSource {
  name: string;
  defined: boolean;
  value?: string;
  /** A file path, or a pseudo-source like <Default>, <Detected>, <Environment>. */
  file?: string;
  line?: number;
  /** The value as written, before $(...) expansion. */
  raw?: string;
}

/**
 * 8.2+ prints, per name: `NAME = value`, ` # at: <file>, line N`, ` # raw: NAME = ...`, then a blank line;
 * an undefined name has no first line. Older releases print `NAME: value` and `Defined in '<file>', line N.`
 */
export function parseConfigValVerbose(stdout: string, names: string[]): Map<string, KnobSource> {
  const out = new Map<string, KnobSource>();
  const want = new Map(names.map((n) => [n.toUpperCase(), n]));
  let cur: KnobSource | undefined;
  const flush = () => { if (cur) out.set(cur.name, cur); cur = undefined; };
  for (const raw of stdout.split('\n')) {
    const line = raw.trimEnd();
    if (!line.trim()) { flush(); continue; }
    let m: RegExpExecArray | null;
    if ((m = /^ # at: (.*?)(?:, line (\d+))?$/.exec(line))) {
      cur ??= { name: '', defined: false };
      cur.file = m[1];
      if (m[2]) cur.line = Number(m[2]);
    } else if ((m = /^ # raw: ([A-Za-z0-9_.]+)\s*=\s?(.*)$/.exec(line))) {
      cur ??= { name: '', defined: false };
      if (!cur.name) cur.name = want.get(m[1]!.toUpperCase()) ?? m[1]!;
      cur.raw = m[2];
    } else if ((m = /^\s*Defined in '(.*)', line (\d+)\.?$/.exec(line))) {
      if (cur) { cur.file = m[1]; cur.line = Number(m[2]); }
    } else if ((m = /^([A-Za-z0-9_.]+)\s*(?:=|:)\s?(.*)$/.exec(line)) && want.has(m[1]!.toUpperCase())) {
      flush();
      cur = { name: want.get(m[1]!.toUpperCase())!, defined: true, value: m[2] ?? '' };
    }
  }
  flush();
  for (const n of names) if (!out.has(n)) out.set(n, { name: n, defined: false });
  for (const s of out.values()) if (s.file === '<Default>' && s.value === undefined) s.defined = false;
  return out;
}
