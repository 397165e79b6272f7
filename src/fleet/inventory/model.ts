// An inventory as Ansible models it: groups with hosts, children and vars; the implicit all and ungrouped.

export interface SourceRef { file: string; line: number; col: number }

export interface InventoryGroup {
  name: string;
  /** Hosts declared directly in this group, in declaration order. */
  hosts: string[];
  children: string[];
  parents: string[];
  vars: Record<string, unknown>;
}

export interface InventoryHostDecl {
  name: string;
  vars: Record<string, unknown>;
  where: SourceRef;
  /** Where each host var was set (for errors about a value). */
  varsWhere: Record<string, SourceRef>;
}

export class Inventory {
  readonly groups = new Map<string, InventoryGroup>();
  readonly hosts = new Map<string, InventoryHostDecl>();
  /** Where each group var was set. */
  readonly groupVarsWhere = new Map<string, Record<string, SourceRef>>();

  constructor() {
    this.addChild('all', 'ungrouped');
  }

  addGroup(name: string): InventoryGroup {
    let g = this.groups.get(name);
    if (!g) {
      g = { name, hosts: [], children: [], parents: [], vars: {} };
      this.groups.set(name, g);
    }
    return g;
  }

  addChild(parent: string, child: string): void {
    const p = this.addGroup(parent);
    const c = this.addGroup(child);
    if (!p.children.includes(child)) p.children.push(child);
    if (!c.parents.includes(parent)) c.parents.push(parent);
  }

  /** Declares `name` in `group` (later declarations add vars; later values win, as in Ansible). */
  addHost(group: string, name: string, vars: Record<string, unknown>, where: SourceRef, varsWhere: Record<string, SourceRef> = {}): void {
    const g = this.addGroup(group);
    if (!g.hosts.includes(name)) g.hosts.push(name);
    const known = this.hosts.get(name);
    if (known) {
      Object.assign(known.vars, vars);
      Object.assign(known.varsWhere, varsWhere);
    } else {
      this.hosts.set(name, { name, vars: { ...vars }, where, varsWhere: { ...varsWhere } });
    }
  }

  setGroupVar(group: string, key: string, value: unknown, where: SourceRef): void {
    this.addGroup(group).vars[key] = value;
    const w = this.groupVarsWhere.get(group) ?? {};
    w[key] = where;
    this.groupVarsWhere.set(group, w);
  }

  /** Ansible's reconcile: parentless groups go under all; hosts in no other group are in ungrouped. */
  reconcile(): void {
    for (const g of this.groups.values()) {
      if (g.name !== 'all' && g.parents.length === 0) this.addChild('all', g.name);
    }
    const ungrouped = this.groups.get('ungrouped')!;
    const inSomeGroup = new Set<string>();
    for (const g of this.groups.values()) {
      if (g.name === 'all' || g.name === 'ungrouped') continue;
      for (const h of g.hosts) inSomeGroup.add(h);
    }
    const all = this.groups.get('all')!;
    ungrouped.hosts = [...new Set([...ungrouped.hosts, ...all.hosts])].filter((h) => !inSomeGroup.has(h));
    all.hosts = [];
  }

  /** Longest distance from all (Ansible's Group.depth). */
  depth(name: string, seen: Set<string> = new Set()): number {
    if (name === 'all') return 0;
    const g = this.groups.get(name);
    if (!g || seen.has(name)) return 0;
    seen.add(name);
    const d = Math.max(0, ...g.parents.map((p) => this.depth(p, seen) + 1));
    seen.delete(name);
    return d;
  }

  /** Every group `host` is in, with ancestors, all included. */
  groupsOf(host: string): string[] {
    const out = new Set<string>(['all']);
    const visit = (name: string): void => {
      if (out.has(name) && name !== 'all') return;
      out.add(name);
      for (const p of this.groups.get(name)?.parents ?? []) visit(p);
    };
    for (const g of this.groups.values()) if (g.hosts.includes(host)) visit(g.name);
    return [...out];
  }

  /** The host's vars: group vars by (depth, name), deeper and later-named win, then the host's own. */
  varsOf(host: string): { vars: Record<string, unknown>; where: Record<string, SourceRef> } {
    const groups = this.groupsOf(host)
      .map((name) => ({ name, depth: this.depth(name) }))
      .sort((a, b) => a.depth - b.depth || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const vars: Record<string, unknown> = {};
    const where: Record<string, SourceRef> = {};
    for (const { name } of groups) {
      Object.assign(vars, this.groups.get(name)!.vars);
      Object.assign(where, this.groupVarsWhere.get(name) ?? {});
    }
    const decl = this.hosts.get(host);
    if (decl) {
      Object.assign(vars, decl.vars);
      Object.assign(where, decl.varsWhere);
    }
    return { vars, where };
  }

  /** Hosts of a group and its descendants, breadth first (Ansible's order for a group pattern). */
  hostsOf(group: string): string[] {
    const out: string[] = [];
    const seen = new Set<string>();
    const queue = [group];
    const visited = new Set<string>();
    while (queue.length) {
      const name = queue.shift()!;
      if (visited.has(name)) continue;
      visited.add(name);
      const g = this.groups.get(name);
      if (!g) continue;
      for (const h of g.hosts) if (!seen.has(h)) { seen.add(h); out.push(h); }
      queue.push(...g.children);
    }
    return out;
  }

  /** Every host, in Ansible's order for `all`. */
  allHosts(): string[] {
    return this.hostsOf('all');
  }
}
