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
  /** The name HTCondor found it under when that differs, e.g. STARTD.VM_MEMORY for the startd. */
  as?: string;
}

/** Arguments asking HTCondor where each knob comes from, as the startd reads its config (STARTD.NAME wins there). */
export const STARTD_VIEW = ['-subsystem', 'startd', '-v'];

/** NAME, or SUBSYS.NAME → the wanted name it answers for. */
function wantedName(want: Map<string, string>, used: string): string | undefined {
  const u = used.toUpperCase();
  return want.get(u) ?? (u.includes('.') ? want.get(u.slice(u.lastIndexOf('.') + 1)) : undefined);
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
      if (!cur.name) cur.name = wantedName(want, m[1]!) ?? m[1]!;
      cur.raw = m[2];
    } else if ((m = /^\s*Defined in '(.*)', line (\d+)\.?$/.exec(line))) {
      if (cur) { cur.file = m[1]; cur.line = Number(m[2]); }
    } else if ((m = /^([A-Za-z0-9_.]+)\s*(?:=|:)\s?(.*)$/.exec(line)) && wantedName(want, m[1]!)) {
      flush();
      const name = wantedName(want, m[1]!)!;
      cur = { name, defined: true, value: m[2] ?? '', ...(m[1]!.toUpperCase() !== name.toUpperCase() ? { as: m[1]! } : {}) };
    }
  }
  flush();
  for (const n of names) if (!out.has(n)) out.set(n, { name: n, defined: false });
  for (const s of out.values()) if (s.file === '<Default>' && s.value === undefined) s.defined = false;
  return out;
}

/** `condor_config_val -config`: the files HTCondor read, in read order (includes where they were included). */
export function parseConfigSources(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l.startsWith('\t')).map((l) => l.trim()).filter((l) => l.startsWith('/'));
}

/** Did condor_config_val get an answer (only "Not defined" complaints), or could it not ask at all? */
export function couldNotAsk(r: { exitCode: number; stderr: string; timedOut?: boolean }): string | undefined {
  if (r.timedOut) return 'timed out';
  const other = r.stderr.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('Not defined:'));
  if (r.exitCode > 1 || other.length) return other.slice(-3).join(' ') || `exit ${r.exitCode}`;
  return undefined;
}
