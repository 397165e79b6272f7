// Ansible's YAML inventory: groups with hosts:, vars:, children:, read as YAML 1.1 like Ansible does (yes = true).
import { isMap, isScalar, LineCounter, parseDocument, type Node, type Pair } from 'yaml';
import { inventoryIssue } from './errors.ts';
import { HostPatternError, parseHostPattern } from './host-pattern.ts';
import type { Inventory, SourceRef } from './model.ts';

const GROUP_KEYS = ['hosts', 'vars', 'children'];

export function parseAnsibleYaml(file: string, text: string, inv: Inventory): void {
  const lc = new LineCounter();
  const doc = parseDocument(text, { version: '1.1', lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const at = (node: unknown): SourceRef => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    const pos = range ? lc.linePos(range[0]) : { line: 1, col: 1 };
    return { file, line: pos.line, col: pos.col };
  };
  const fail = (node: unknown, message: string, hint?: string): never => {
    const w = at(node);
    throw inventoryIssue(file, w.line, w.col, message, hint);
  };
  const firstError = doc.errors[0];
  if (firstError) {
    const pos = lc.linePos(firstError.pos[0]);
    throw inventoryIssue(file, pos.line, pos.col, `invalid YAML: ${firstError.message}`);
  }
  if (doc.contents === null) return;
  if (!isMap(doc.contents)) fail(doc.contents, 'an Ansible YAML inventory is a mapping of group names (usually all:)');
  const keyOf = (pair: Pair): string => (isScalar(pair.key) ? String(pair.key.value) : fail(pair.key, 'a key here must be a plain name'));

  const varsOf = (node: unknown, what: string): Array<{ key: string; value: unknown; where: SourceRef }> => {
    if (node === null || (isScalar(node) && node.value === null)) return [];
    if (!isMap(node)) return fail(node, `${what} must be a mapping of variable names to values`);
    return node.items.map((p) => ({ key: keyOf(p), value: isScalar(p.value) ? p.value.toJSON() : (p.value as Node | null)?.toJSON() ?? null, where: at(p.key) }));
  };

  const parseGroup = (name: string, node: unknown, keyNode: unknown): void => {
    inv.addGroup(name);
    if (node === null || (isScalar(node) && node.value === null)) return;
    if (!isMap(node)) fail(node ?? keyNode, `group "${name}" must be a mapping with hosts:, vars: or children:`);
    const map = node as { items: Pair[] };
    for (const pair of map.items) {
      const key = keyOf(pair);
      if (!GROUP_KEYS.includes(key)) {
        fail(pair.key, `unexpected key "${key}" in group "${name}"`, `a group has only hosts:, vars: and children: (Ansible skips "${key}" with a warning)`);
      }
      const value = pair.value;
      if (key === 'vars') {
        for (const v of varsOf(value, `vars of group "${name}"`)) inv.setGroupVar(name, v.key, v.value, v.where);
      } else if (key === 'children') {
        if (value === null || (isScalar(value) && value.value === null)) continue;
        if (!isMap(value)) fail(value, `children of group "${name}" must be a mapping of group names`);
        for (const child of (value as { items: Pair[] }).items) {
          const childName = keyOf(child);
          inv.addChild(name, childName);
          parseGroup(childName, child.value, child.key);
        }
      } else {
        if (value === null || (isScalar(value) && value.value === null)) continue;
        if (!isMap(value)) fail(value, `hosts of group "${name}" must be a mapping (host: or host: {vars}), not a list`, 'write each host as a key ending in ":"');
        for (const h of (value as { items: Pair[] }).items) {
          const pattern = keyOf(h);
          let parsed: { names: string[]; port?: number };
          try { parsed = parseHostPattern(pattern); } catch (e) {
            if (e instanceof HostPatternError) return fail(h.key, e.message);
            throw e;
          }
          const where = at(h.key);
          const vars: Record<string, unknown> = {};
          const varsWhere: Record<string, SourceRef> = {};
          for (const v of varsOf(h.value, `vars of host "${pattern}"`)) { vars[v.key] = v.value; varsWhere[v.key] = v.where; }
          if (parsed.port !== undefined) { vars.ansible_port = parsed.port; varsWhere.ansible_port = where; }
          for (const n of parsed.names) inv.addHost(name, n, vars, where, varsWhere);
        }
      }
    }
  };
  for (const pair of (doc.contents as { items: Pair[] }).items) parseGroup(keyOf(pair), pair.value, pair.key);
}

/** INI or YAML? Ansible tries its plugins in turn; we look at the text (a YAML inventory starts with a mapping key). */
export function looksLikeYamlInventory(file: string, text: string): boolean {
  if (/\.(ya?ml)$/i.test(file)) return true;
  if (/\.ini$/i.test(file)) return false;
  const first = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l && !l.startsWith('#') && !l.startsWith(';'));
  return first !== undefined && (first === '---' || /^[^\s[=]+:\s*(#.*)?$/.test(first));
}
