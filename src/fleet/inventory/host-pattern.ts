// Ansible host patterns in inventories: ranges (wn[01:20], [a:c], [1:10:2]) and host:port.
const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

export class HostPatternError extends Error {}

/** Expands every [begin:end(:step)] in `pattern`, as Ansible's expand_hostname_range does (inclusive end). */
export function expandHostRange(pattern: string): string[] {
  const open = pattern.indexOf('[');
  if (open < 0) return [pattern];
  const close = pattern.indexOf(']', open);
  if (close < 0) throw new HostPatternError(`"${pattern}": a range opened with [ is not closed`);
  const head = pattern.slice(0, open);
  const tail = pattern.slice(close + 1);
  const bounds = pattern.slice(open + 1, close).split(':');
  if (bounds.length !== 2 && bounds.length !== 3) throw new HostPatternError(`"${pattern}": a host range is [begin:end] or [begin:end:step]`);
  const beg = bounds[0] || '0';
  const end = bounds[1]!;
  const step = bounds.length === 3 ? Number(bounds[2]) : 1;
  if (!end) throw new HostPatternError(`"${pattern}": a host range needs an end`);
  if (!Number.isInteger(step) || step < 1) throw new HostPatternError(`"${pattern}": the step of a host range must be a whole number ≥ 1`);
  let items: string[];
  if (/^[A-Za-z]$/.test(beg) && /^[A-Za-z]$/.test(end)) {
    const i = LETTERS.indexOf(beg);
    const j = LETTERS.indexOf(end);
    if (i > j) throw new HostPatternError(`"${pattern}": a host range must have begin ≤ end`);
    items = [];
    for (let k = i; k <= j; k += step) items.push(LETTERS[k]!);
  } else if (/^\d+$/.test(beg) && /^\d+$/.test(end)) {
    // A leading zero sets the width (wn[01:20] → wn01 … wn20); both ends must then be as wide.
    const width = beg.length > 1 && beg.startsWith('0') ? beg.length : 0;
    if (width && end.length !== width) throw new HostPatternError(`"${pattern}": begin and end of a zero-padded range must have the same number of digits`);
    items = [];
    for (let k = Number(beg); k <= Number(end); k += step) items.push(width ? String(k).padStart(width, '0') : String(k));
  } else {
    throw new HostPatternError(`"${pattern}": a host range is numbers ([01:20]) or single letters ([a:f])`);
  }
  return items.flatMap((x) => expandHostRange(head + x + tail));
}

/** `name`, `name:port`, `[v6addr]:port`, with ranges expanded. */
export function parseHostPattern(pattern: string): { names: string[]; port?: number } {
  let name = pattern;
  let port: number | undefined;
  const v6 = /^\[([0-9A-Fa-f:.]+)\](?::(\d+))?$/.exec(pattern);
  if (v6) return { names: [v6[1]!], ...(v6[2] ? { port: Number(v6[2]) } : {}) };
  const withPort = /^(.*[^:]):(\d+)$/.exec(pattern);
  // One colon only: several colons is a bare IPv6 address.
  if (withPort && !withPort[1]!.replace(/\[[^\]]*\]/g, '').includes(':')) { name = withPort[1]!; port = Number(withPort[2]); }
  if (pattern.endsWith(':')) throw new HostPatternError(`"${pattern}": a host ending in ":" (the port is missing)`);
  return { names: expandHostRange(name), ...(port !== undefined ? { port } : {}) };
}
