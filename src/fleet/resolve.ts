// Fleet file → the plan: every profile validated, inventories read, hosts selected, matched to profiles, batched.
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { loadProfile, type Profile } from '../profile/index.ts';
import { DEFAULT_BATCHES, splitIntoBatches } from './batches.ts';
import { FleetError, FleetInvalid, usageError } from './errors.ts';
import { FLEET_EXIT } from './exit-codes.ts';
import type { PlanView } from './events.ts';
import type { FleetIssue } from './issues.ts';
import { looksLikeYamlInventory, parseAnsibleYaml } from './inventory/ansible-yaml.ts';
import { parseAnsibleIni } from './inventory/ansible-ini.ts';
import { connectionVars } from './inventory/connection.ts';
import { InventoryError } from './inventory/errors.ts';
import { Inventory } from './inventory/model.ts';
import { parseMachines, poolQueryArgv, type PoolSource } from './inventory/pool.ts';
import { loadFleet } from './load.ts';
import { matchTerm, PatternError, selectHosts } from './patterns.ts';
import type { BatchSize, FleetSpec, Threshold } from './schema.ts';
import { resolveThreshold, type ResolvedThreshold } from './thresholds.ts';

export interface ProfileRef {
  index: number;
  match: string;
  file: string;
  profile: Profile;
}

export interface FleetHost {
  name: string;
  /** What ssh connects to: ansible_host, else the name. */
  address: string;
  port?: number;
  user?: string;
  identityFile?: string;
  become: boolean;
  groups: string[];
  profile: ProfileRef;
}

export interface FleetPlan {
  file: string;
  fleet: FleetSpec;
  hosts: FleetHost[];
  batches: FleetHost[][];
  batchSpec: BatchSize[];
  maxFail: ResolvedThreshold;
  maxUnreachable: ResolvedThreshold;
  concurrency: number;
  hostTimeout: number;
  warnings: string[];
}

export interface ResolveIo {
  readFile(path: string): Promise<string>;
  /** Runs the collector query (argv) and returns its stdout; a failure throws. */
  queryPool(argv: string[], pool: PoolSource, fleet: { file: string; fleet: FleetSpec }): Promise<string>;
}

export interface ResolveOptions {
  limit?: string;
  /** Hosts of an earlier run (--rerun), given the fleet's name: intersected with the selection. */
  only?: readonly string[] | ((fleetName: string) => Promise<readonly string[]>);
  batches?: BatchSize[];
  concurrency?: number;
  maxFail?: Threshold;
  maxUnreachable?: Threshold;
  hostTimeout?: number;
  io?: Partial<ResolveIo>;
}

const defaultIo: ResolveIo = {
  readFile: (p) => readFile(p, 'utf8'),
  queryPool: async () => {
    throw new FleetError(FLEET_EXIT.UNAVAILABLE, 'COMMAND', 'no collector query runner was given');
  },
};

async function readOrIssue(io: ResolveIo, path: string, what: string, at: FleetIssue): Promise<string> {
  try {
    return await io.readFile(path);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new FleetInvalid([{ ...at, message: `cannot read ${what} ${path}: ${why}`, hint: 'paths in a fleet file are relative to the fleet file' }]);
  }
}

export async function resolveFleet(fleetFile: string, opts: ResolveOptions = {}): Promise<FleetPlan> {
  const io: ResolveIo = { ...defaultIo, ...opts.io };
  const file = resolve(fleetFile);
  let text: string;
  try {
    text = await io.readFile(file);
  } catch (e) {
    throw usageError(`cannot read fleet file ${fleetFile}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const loaded = loadFleet(file, text);
  if (!loaded.ok) throw new FleetInvalid(loaded.issues);
  const { fleet, locator } = loaded;
  const base = dirname(file);
  const rel = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const issueAt = (path: (string | number)[]): FleetIssue => ({ file, ...locator.positionOf(path), path: path.join('.'), message: '' });

  // 1. Every referenced profile, before anything else.
  const profiles: ProfileRef[] = [];
  const profileIssues: FleetIssue[] = [];
  for (const [index, rule] of fleet.profiles.entries()) {
    const at = issueAt(['profiles', index, 'profile']);
    const pfile = rel(rule.profile);
    const ptext = await readOrIssue(io, pfile, 'profile', at);
    const p = loadProfile(pfile, ptext);
    if (!p.ok) {
      profileIssues.push({ ...at, message: `profile ${pfile} is invalid (${p.issues.length} problem${p.issues.length === 1 ? '' : 's'} below)`, hint: 'fix the profile; `vm-provision validate PROFILE` checks it alone' }, ...p.issues);
      continue;
    }
    profiles.push({ index, match: rule.match, file: pfile, profile: p.profile });
  }
  if (profileIssues.length) throw new FleetInvalid(profileIssues);

  // 2. Inventories, merged in order into one Ansible-style inventory.
  const inv = new Inventory();
  const warnings: string[] = [];
  for (const [index, source] of fleet.inventory.entries()) {
    try {
      if (source.ansible !== undefined) {
        const ifile = rel(source.ansible);
        const itext = await readOrIssue(io, ifile, 'inventory', issueAt(['inventory', index, 'ansible']));
        if (looksLikeYamlInventory(ifile, itext)) parseAnsibleYaml(ifile, itext, inv);
        else parseAnsibleIni(ifile, itext, inv);
      } else if (source.hosts !== undefined) {
        source.hosts.forEach((h, i) => inv.addHost('ungrouped', h, {}, { file, ...locator.positionOf(['inventory', index, 'hosts', i]) }));
      } else if (source.pool !== undefined) {
        const argv = poolQueryArgv(source.pool);
        const out = await io.queryPool(argv, source.pool, { file, fleet });
        const { hosts, rejected } = parseMachines(out);
        if (rejected.length) warnings.push(`collector ${source.pool.collector}: skipped Machine values that are not host names: ${rejected.join(', ')}`);
        if (hosts.length === 0) warnings.push(`collector ${source.pool.collector}: no execute node matched${source.pool.constraint ? ` ${source.pool.constraint}` : ''}`);
        const where = { file, ...locator.positionOf(['inventory', index, 'pool']) };
        for (const h of hosts) inv.addHost('pool', h, {}, where);
      }
    } catch (e) {
      if (e instanceof InventoryError) throw new FleetInvalid([e.issue]);
      throw e;
    }
  }
  inv.reconcile();

  // 3. Selection: --limit, then --rerun's hosts.
  let names = inv.allHosts();
  if (names.length === 0) throw new FleetInvalid([{ ...issueAt(['inventory']), message: 'the inventory has no hosts' }]);
  if (opts.limit !== undefined) {
    let sel;
    try {
      sel = selectHosts(inv, opts.limit);
    } catch (e) {
      if (e instanceof PatternError) throw usageError(`--limit ${opts.limit}: ${e.message}`);
      throw e;
    }
    if (sel.hosts.length === 0) throw usageError(`--limit ${opts.limit} matches no host of the fleet`, 'names, groups, globs (wn*), unions (a:b or a,b), a:!b and a:&b; `vm-provision fleet hosts FLEET` lists them');
    for (const t of sel.unmatched) warnings.push(`--limit: "${t}" matches no host`);
    names = sel.hosts;
  }
  if (opts.only) {
    const list = typeof opts.only === 'function' ? await opts.only(fleet.metadata.name) : opts.only;
    const only = new Set(list);
    const known = new Set(names);
    for (const h of list) if (!inv.hosts.has(h)) warnings.push(`--rerun: ${h} is no longer in the inventory`);
    names = names.filter((h) => only.has(h));
    if (names.length === 0) throw usageError('--rerun: no host of that run is selected', [...only].some((h) => !known.has(h)) ? 'the hosts are outside --limit or no longer in the inventory' : undefined);
  }

  // 4. Per host: its connection and the first profile rule that matches it.
  const matched = profiles.map((p) => new Set(p.match === 'all' ? inv.allHosts() : matchTerm(inv, p.match)));
  for (const p of profiles) if (matched[p.index]!.size === 0) warnings.push(`profiles[${p.index}] match "${p.match}" matches no host`);
  const hosts: FleetHost[] = [];
  const unmatched: string[] = [];
  for (const name of names) {
    const decl = inv.hosts.get(name)!;
    const { vars, where } = inv.varsOf(name);
    let conn;
    try { conn = connectionVars(name, vars, where, decl.where); } catch (e) {
      if (e instanceof InventoryError) throw new FleetInvalid([e.issue]);
      throw e;
    }
    const profile = profiles.find((p) => matched[p.index]!.has(name));
    if (!profile) { unmatched.push(name); continue; }
    const identity = conn.identityFile ?? (fleet.ssh.identityFile !== undefined ? rel(fleet.ssh.identityFile) : undefined);
    hosts.push({
      name,
      address: conn.address ?? name,
      ...(conn.port ?? fleet.ssh.port) !== undefined ? { port: conn.port ?? fleet.ssh.port } : {},
      ...(conn.user ?? fleet.ssh.user) !== undefined ? { user: conn.user ?? fleet.ssh.user } : {},
      ...(identity !== undefined ? { identityFile: identity } : {}),
      become: conn.become ?? fleet.ssh.become,
      groups: inv.groupsOf(name).filter((g) => g !== 'all'),
      profile,
    });
  }
  if (unmatched.length) {
    throw new FleetInvalid([{
      ...issueAt(['profiles']),
      message: `${unmatched.length} host${unmatched.length === 1 ? ' matches' : 's match'} no profiles rule: ${unmatched.slice(0, 5).join(', ')}${unmatched.length > 5 ? ', …' : ''}`,
      hint: 'add a last rule {match: all, profile: …}, or a rule for their group',
    }]);
  }

  const batchSpec = opts.batches ?? (Array.isArray(fleet.rollout.batches) ? fleet.rollout.batches : [fleet.rollout.batches]);
  return {
    file,
    fleet,
    hosts,
    batches: splitIntoBatches(hosts, batchSpec.length ? batchSpec : DEFAULT_BATCHES),
    batchSpec,
    maxFail: resolveThreshold(opts.maxFail ?? fleet.rollout.maxFail, hosts.length),
    maxUnreachable: resolveThreshold(opts.maxUnreachable ?? fleet.rollout.maxUnreachable, hosts.length),
    concurrency: opts.concurrency ?? fleet.rollout.concurrency,
    hostTimeout: opts.hostTimeout ?? fleet.rollout.hostTimeout,
    warnings,
  };
}

export function planView(plan: FleetPlan, check: boolean): PlanView {
  return {
    fleet: plan.fleet.metadata.name,
    file: plan.file,
    hosts: plan.hosts.length,
    batches: plan.batches.map((b, index) => ({ index: index + 1, hosts: b.map((h) => h.name), canary: index === 0 && plan.batches.length > 1 })),
    concurrency: plan.concurrency,
    hostTimeout: plan.hostTimeout,
    maxFail: plan.maxFail,
    maxUnreachable: plan.maxUnreachable,
    check,
  };
}
