// Ansible's INI inventory: [group], [group:vars], [group:children], inline host vars, ranges, host:port.
import { inventoryIssue } from './errors.ts';
import { HostPatternError, parseHostPattern } from './host-pattern.ts';
import type { Inventory } from './model.ts';

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/;
const GROUP_NAME = /^([^:\]\s]+)\s*(?:#.*)?$/;

/** POSIX shlex.split with comments=True: quotes, backslashes, and # starting a comment at a word start. */
export function shlexSplit(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  // Appends to the current word, starting one if needed.
  const add = (s: string) => { word = (word ?? '') + s; };
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined; else add(c);
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < line.length && '\\"$`\n'.includes(line[i + 1]!)) add(line[++i]!);
      else add(c);
    } else if (/\s/.test(c)) {
      if (word !== undefined) { words.push(word); word = undefined; }
    } else if (c === '#' && word === undefined) {
      break;
    } else if (c === "'" || c === '"') {
      quote = c; word ??= '';
    } else if (c === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i];
    } else {
      word = (word ?? '') + c;
    }
  }
  if (quote) throw new Error('No closing quotation');
  if (word !== undefined) words.push(word);
  return words;
}

/** The value of an INI variable, as Ansible's literal_eval reads the simple cases: numbers, True/False/None, quoted strings. */
export function iniValue(raw: string): unknown {
  const v = raw.trim();
  if (/^[-+]?\d+$/.test(v)) return Number(v);
  if (/^[-+]?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) return Number(v);
  if (v === 'True') return true;
  if (v === 'False') return false;
  if (v === 'None') return null;
  const q = /^(['"])(.*)\1$/s.exec(v);
  if (q) return q[2];
  return v;
}

export function parseAnsibleIni(file: string, text: string, inv: Inventory): void {
  let group = 'ungrouped';
  let state: 'hosts' | 'vars' | 'children' = 'hosts';
  const pending = new Map<string, { line: number; state: 'vars' | 'children'; parents: string[] }>();
  const declared = new Set<string>(['all', 'ungrouped']);
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.trim();
    const col = raw.indexOf(line) + 1;
    if (!line || line.startsWith('#') || line.startsWith(';')) return;
    const section = SECTION.exec(line);
    if (section) {
      group = section[1]!;
      const tag = section[2] ?? 'hosts';
      if (tag !== 'hosts' && tag !== 'vars' && tag !== 'children') {
        throw inventoryIssue(file, lineNo, col, `section [${group}:${tag}] has an unknown type "${tag}"`, 'a section is [group], [group:vars] or [group:children]');
      }
      state = tag;
      // [group:vars] alone does not declare a group; [group] or [group:children] must, somewhere.
      if (state !== 'vars') declared.add(group);
      else if (!declared.has(group) && !pending.has(group)) pending.set(group, { line: lineNo, state: 'vars', parents: [] });
      inv.addGroup(group);
      return;
    }
    if (line.startsWith('[') && line.endsWith(']')) {
      throw inventoryIssue(file, lineNo, col, `invalid section "${line}"`, 'a section header has no spaces: [group], [group:vars], [group:children]');
    }
    const where = { file, line: lineNo, col };
    if (state === 'hosts') {
      let tokens: string[];
      try { tokens = shlexSplit(line); } catch (e) { throw inventoryIssue(file, lineNo, col, `cannot read the host line: ${(e as Error).message}`); }
      if (tokens.length === 0) return;
      let names: string[]; let port: number | undefined;
      try { ({ names, port } = parseHostPattern(tokens[0]!)); } catch (e) {
        if (e instanceof HostPatternError) throw inventoryIssue(file, lineNo, col, e.message);
        throw e;
      }
      const vars: Record<string, unknown> = {};
      for (const t of tokens.slice(1)) {
        const eq = t.indexOf('=');
        if (eq <= 0) throw inventoryIssue(file, lineNo, col + line.indexOf(t), `expected key=value after the host name, got "${t}"`);
        vars[t.slice(0, eq)] = iniValue(t.slice(eq + 1));
      }
      if (port !== undefined) vars.ansible_port = port;
      const varsWhere = Object.fromEntries(Object.keys(vars).map((k) => [k, where]));
      for (const name of names) inv.addHost(group, name, vars, where, varsWhere);
    } else if (state === 'vars') {
      const eq = line.indexOf('=');
      if (eq <= 0) throw inventoryIssue(file, lineNo, col, `expected key=value in [${group}:vars], got "${line}"`);
      inv.setGroupVar(group, line.slice(0, eq).trim(), iniValue(line.slice(eq + 1)), where);
    } else {
      const m = GROUP_NAME.exec(line);
      if (!m) throw inventoryIssue(file, lineNo, col, `expected a group name in [${group}:children], got "${line}"`);
      const child = m[1]!;
      inv.addChild(group, child);
      if (!declared.has(child)) {
        const p = pending.get(child);
        if (p?.state === 'children') p.parents.push(group);
        else pending.set(child, { line: lineNo, state: 'children', parents: [group] });
      }
    }
  });
  for (const [name, p] of pending) {
    if (declared.has(name)) continue;
    if (p.state === 'vars') throw inventoryIssue(file, p.line, 1, `section [${name}:vars] is for a group that is not defined anywhere`, `add a [${name}] section, or list ${name} under some [group:children]`);
    throw inventoryIssue(file, p.line, 1, `[${p.parents.at(-1)}:children] names the group "${name}", which is not defined anywhere`, `add a [${name}] section with its hosts`);
  }
}
