// Shared by the fleet unit tests: fixture paths, inventories from text, a plan from hosts, a fake executor.
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { parseAnsibleIni } from '../../../src/fleet/inventory/ansible-ini.ts';
import { parseAnsibleYaml } from '../../../src/fleet/inventory/ansible-yaml.ts';
import { connectionVars } from '../../../src/fleet/inventory/connection.ts';
import { Inventory } from '../../../src/fleet/inventory/model.ts';
import { splitIntoBatches } from '../../../src/fleet/batches.ts';
import { resolveThreshold } from '../../../src/fleet/thresholds.ts';
import type { FleetHost, FleetPlan } from '../../../src/fleet/resolve.ts';
import type { BatchSize, Threshold } from '../../../src/fleet/schema.ts';
import type { HostExecutor, HostJob } from '../../../src/fleet/engine.ts';
import type { HostResult } from '../../../src/fleet/events.ts';

export const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
export const readFixture = (name: string) => readFileSync(fixture(name), 'utf8');

export function inventoryFrom(file: string, text: string): Inventory {
  const inv = new Inventory();
  if (file.endsWith('.ini')) parseAnsibleIni(file, text, inv); else parseAnsibleYaml(file, text, inv);
  inv.reconcile();
  return inv;
}

/** Our inventory in `ansible-inventory --list`'s shape, with only the variables the fleet uses. */
export function asAnsibleList(inv: Inventory): Record<string, unknown> {
  const hostvars: Record<string, Record<string, unknown>> = {};
  for (const h of inv.allHosts()) {
    const { vars, where } = inv.varsOf(h);
    const c = connectionVars(h, vars, where, { file: '', line: 0, col: 0 });
    hostvars[h] = {
      ...(c.address !== undefined ? { ansible_host: c.address } : {}),
      ...(c.port !== undefined ? { ansible_port: c.port } : {}),
      ...(c.user !== undefined ? { ansible_user: c.user } : {}),
      ...(c.identityFile !== undefined ? { ansible_ssh_private_key_file: c.identityFile } : {}),
      ...(c.become !== undefined ? { ansible_become: c.become } : {}),
    };
  }
  const out: Record<string, unknown> = { _meta: { hostvars } };
  for (const g of inv.groups.values()) {
    if (!g.hosts.length && !g.children.length) continue;
    out[g.name] = { ...(g.children.length ? { children: g.children } : {}), ...(g.hosts.length ? { hosts: g.hosts } : {}) };
  }
  return out;
}

export function host(name: string, extra: Partial<FleetHost> = {}): FleetHost {
  return {
    name, address: name, become: false, groups: [],
    profile: { index: 0, match: 'all', file: '/p/kvm-node.yaml', profile: { metadata: { name: 'kvm-node' } } as FleetHost['profile']['profile'] },
    ...extra,
  };
}

export function planOf(names: string[], o: { batches?: BatchSize[]; concurrency?: number; maxFail?: Threshold; maxUnreachable?: Threshold; hostTimeout?: number } = {}): FleetPlan {
  const hosts = names.map((n) => host(n));
  return {
    file: '/f/fleet.yaml',
    fleet: { metadata: { name: 'test' } } as FleetPlan['fleet'],
    hosts,
    batches: splitIntoBatches(hosts, o.batches ?? [1, '100%']),
    batchSpec: o.batches ?? [1, '100%'],
    maxFail: resolveThreshold(o.maxFail ?? 0, hosts.length),
    maxUnreachable: resolveThreshold(o.maxUnreachable ?? 0, hosts.length),
    concurrency: o.concurrency ?? 2,
    hostTimeout: o.hostTimeout ?? 60,
    warnings: [],
  };
}

type Outcome = Awaited<ReturnType<HostExecutor['runHost']>>;

/** A fake executor: per host an outcome (default changed), an optional delay; records starts and concurrency. */
export function fakeExecutor(script: Record<string, Partial<Outcome> & { delayMs?: number; hang?: boolean }> = {}) {
  const started: string[] = [];
  const jobs: HostJob[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const executor: HostExecutor = {
    async runHost(job) {
      started.push(job.host.name);
      jobs.push(job);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const s = script[job.host.name] ?? {};
      try {
        await new Promise<void>((resolve) => {
          if (s.hang) { job.signal.addEventListener('abort', () => resolve(), { once: true }); return; }
          const t = setTimeout(resolve, s.delayMs ?? 1);
          job.signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
        });
        if (job.signal.aborted) return { outcome: 'failed', failure: 'interrupted', cause: 'stopped by a second Ctrl-C', durationMs: 0 };
        job.onStep({ type: 'step', step: 'preflight', status: 'ok', summary: 'fine' });
        const { delayMs: _d, hang: _h, ...rest } = s;
        return { outcome: 'changed', durationMs: 5, ...rest } as Outcome;
      } finally {
        inFlight--;
      }
    },
  };
  return { executor, started, jobs, get maxInFlight() { return maxInFlight; } };
}

export type { HostResult };
