// Ansible host patterns for --limit and profile matches: names, groups, globs, ~regex, ":"/"," unions, "&" and "!".

export interface PatternInventory {
  groups: ReadonlyMap<string, unknown>;
  hostsOf(group: string): string[];
  /** Every host, in inventory order. */
  allHosts(): string[];
}

/** Python's fnmatch.translate (what Ansible matches patterns with): * ? [seq] [!seq], whole string, case-sensitive. */
export function fnmatchRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      let j = i + 1;
      if (glob[j] === '!') j++;
      if (glob[j] === ']') j++;
      while (j < glob.length && glob[j] !== ']') j++;
      if (j >= glob.length) { re += '\\['; continue; }
      let body = glob.slice(i + 1, j).replace(/\\/g, '\\\\');
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      else if (body.startsWith('^')) body = `\\${body}`;
      re += `[${body}]`;
      i = j;
    } else re += c.replace(/[.+^${}()|\\/\]]/g, '\\$&');
  }
  return new RegExp(`^(?:${re})$`, 's');
}

const GLOB_CHARS = /[*?[]/;

export class PatternError extends Error {}

function matcher(term: string): (name: string) => boolean {
  if (term.startsWith('~')) {
    let re: RegExp;
    try { re = new RegExp(term.slice(1)); } catch (e) { throw new PatternError(`"${term}": not a valid regular expression: ${(e as Error).message}`); }
    return (name) => re.test(name);
  }
  const re = fnmatchRegExp(term);
  return (name) => re.test(name);
}

/** One term (no operators): an exact host, a group (with its descendants), else a glob/regex over group and host names. */
export function matchTerm(inv: PatternInventory, term: string): string[] {
  const all = inv.allHosts();
  if (all.includes(term) && !inv.groups.has(term)) return [term];
  if (/^[^[]+\[-?\d*(:-?\d*)?\]$/.test(term) && inv.groups.has(term.slice(0, term.indexOf('[')))) {
    throw new PatternError(`"${term}": group slices (group[0], group[0:9]) are not supported`);
  }
  const match = matcher(term);
  const out: string[] = [];
  const add = (h: string) => { if (!out.includes(h)) out.push(h); };
  const groups = [...inv.groups.keys()].filter((g) => (term.startsWith('~') || GLOB_CHARS.test(term) ? match(g) : g === term));
  for (const g of groups) inv.hostsOf(g).forEach(add);
  // Ansible also tries host names when no group matched or the term looks like a glob, a regex or a domain name.
  if (groups.length === 0 || term.startsWith('~') || /[.?*[]/.test(term)) all.filter(match).forEach(add);
  return out;
}

/** Ansible's split_host_pattern: commas if any, else colons outside [..]. */
export function splitPattern(pattern: string): string[] {
  const parts = pattern.includes(',') ? pattern.split(',') : pattern.match(/(?:[^\s:[\]]|\[[^\]]*\])+/g) ?? [];
  // A bare IPv6 address is one term (several colons, no brackets, no operators).
  if (!pattern.includes(',') && /^[0-9a-fA-F]*:[0-9a-fA-F:.]+$/.test(pattern.trim()) && (pattern.match(/:/g)?.length ?? 0) > 1) return [pattern.trim()];
  return parts.map((p) => p.trim()).filter(Boolean);
}

export interface Selection { hosts: string[]; unmatched: string[] }

/** The hosts a pattern selects, in inventory order (like --limit). */
export function selectHosts(inv: PatternInventory, pattern: string): Selection {
  const terms = splitPattern(pattern);
  if (terms.length === 0) throw new PatternError('empty host pattern');
  const regular = terms.filter((t) => !t.startsWith('!') && !t.startsWith('&'));
  const and = terms.filter((t) => t.startsWith('&')).map((t) => t.slice(1));
  const not = terms.filter((t) => t.startsWith('!')).map((t) => t.slice(1));
  const unmatched: string[] = [];
  const run = (t: string): string[] => {
    if (!t) throw new PatternError(`"${pattern}": an operator without a name`);
    const hosts = matchTerm(inv, t);
    if (hosts.length === 0) unmatched.push(t);
    return hosts;
  };
  const chosen = new Set<string>();
  for (const t of regular.length ? regular : ['all']) run(t).forEach((h) => chosen.add(h));
  for (const t of and) { const keep = new Set(run(t)); for (const h of [...chosen]) if (!keep.has(h)) chosen.delete(h); }
  for (const t of not) for (const h of run(t)) chosen.delete(h);
  return { hosts: inv.allHosts().filter((h) => chosen.has(h)), unmatched };
}
