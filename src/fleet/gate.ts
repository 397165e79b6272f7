// The collector gate: after a batch, the pool's side must show every converged host with HasVM and its VM_Type.
import type { BatchGate } from './engine.ts';
import type { FleetHost, FleetPlan } from './resolve.ts';

export interface SlotAd { machine: string; name: string; hasVM: string; vmType: string }

/** `condor_status -af Machine Name HasVM VM_Type` lines (-af prints "undefined" for a missing attribute). */
export function parseSlotAds(stdout: string): SlotAd[] {
  return stdout.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f.length >= 4 && f[0])
    .map(([machine, name, hasVM, vmType]) => ({ machine: machine!, name: name!, hasVM: hasVM!, vmType: vmType! }));
}

/** A ClassAd string literal. */
const adString = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** Whether a Machine name is this host: its name, its address, or either as the short form of the other. */
export function machineIs(h: Pick<FleetHost, 'name' | 'address'>, machine: string): boolean {
  const m = machine.toLowerCase();
  return [h.name, h.address].map((x) => x.toLowerCase()).some((x) => x === m || m.startsWith(`${x}.`) || x.startsWith(`${m}.`));
}

/** One query at a central collector for a whole batch. */
export function collectorQueryArgv(collector: string, hosts: readonly Pick<FleetHost, 'name' | 'address'>[]): string[] {
  const names = [...new Set(hosts.flatMap((h) => [h.name, h.address]))];
  const constraint = names.map((n) => `Machine == ${adString(n)} || regexp(${adString(`^${n.replace(/[.[\]()*+?^$|\\{}]/g, '\\$&')}\\.`)}, Machine)`).join(' || ');
  return ['condor_status', '-pool', collector, '-startd', '-constraint', constraint, '-af', 'Machine', 'Name', 'HasVM', 'VM_Type'];
}

/** On the node: its own slots as its pool's collector sees them (FULL_HOSTNAME is the Machine HTCondor advertises). */
export const NODE_SLOTS_SCRIPT = [
  'h=$(condor_config_val FULL_HOSTNAME 2>/dev/null) || h=$(hostname -f)',
  'condor_status -startd -constraint "Machine == \\"$h\\"" -af Machine Name HasVM VM_Type',
].join('\n');

export interface HostVerdict { ok: boolean; why?: string }

/** ownOnly: the ads came from the node's own query (already only its Machine), whatever its name in the inventory. */
export function judgeSlots(h: FleetHost, ads: readonly SlotAd[], ownOnly = false): HostVerdict {
  const want = h.profile.profile.hypervisor;
  const mine = ownOnly ? [...ads] : ads.filter((a) => machineIs(h, a.machine));
  if (mine.length === 0) return { ok: false, why: `${h.name}: no slot at the collector` };
  const bad = mine.filter((a) => a.hasVM !== 'true' || a.vmType !== want);
  if (bad.length) return { ok: false, why: `${h.name}: ${bad[0]!.name} HasVM=${bad[0]!.hasVM} VM_Type=${bad[0]!.vmType} (want true ${want})` };
  return { ok: true };
}

export interface GateIo {
  /** Runs argv against the central collector (here, or over SSH on its host); returns stdout or throws. */
  queryCollector(argv: string[]): Promise<string>;
  /** Runs a script on the host over its connection. */
  onNode(h: FleetHost, script: string): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  sleep(ms: number): Promise<void>;
}

/** The collector the gate asks: rollout.gate.collector, else the first pool source's collector, else none (per node). */
export function gateCollector(plan: Pick<FleetPlan, 'fleet'>): string | undefined {
  return plan.fleet.rollout.gate?.collector ?? plan.fleet.inventory.find((s) => s.pool)?.pool?.collector;
}

export function collectorGate(plan: FleetPlan, io: GateIo, o: { pollMs?: number } = {}): BatchGate {
  const collector = gateCollector(plan);
  const timeoutMs = (plan.fleet.rollout.gate?.timeout ?? 120) * 1000;
  const pollMs = o.pollMs ?? 5000;
  return async ({ hosts, results }) => {
    const converged = new Set(results.filter((r) => r.outcome === 'ok' || r.outcome === 'changed').map((r) => r.host));
    let left = hosts.filter((h) => converged.has(h.name));
    if (!left.length) return { ok: true, message: 'no converged host to check' };
    const t0 = Date.now();
    const checked = left.length;
    let why: string[] = [];
    for (let attempt = 0; ; attempt++) {
      why = [];
      if (collector) {
        const ads = parseSlotAds(await io.queryCollector(collectorQueryArgv(collector, left)));
        left = left.filter((h) => { const v = judgeSlots(h, ads); if (!v.ok) why.push(v.why!); return !v.ok; });
      } else {
        const verdicts = await Promise.all(left.map(async (h) => {
          const r = await io.onNode(h, NODE_SLOTS_SCRIPT);
          return r.exitCode === 0 ? judgeSlots(h, parseSlotAds(r.stdout), true) : { ok: false, why: `${h.name}: condor_status failed (exit ${r.exitCode}): ${r.stderr.trim().split('\n').at(-1) ?? ''}` };
        }));
        left = left.filter((_h, i) => { const v = verdicts[i]!; if (!v.ok) why.push(v.why!); return !v.ok; });
      }
      if (!left.length) return { ok: true, message: `${checked}/${checked} advertise HasVM${collector ? ` at ${collector}` : ''}` };
      // A startd restarted a moment ago advertises within seconds: ask again soon, then every pollMs.
      const wait = Math.min(pollMs, 1000 * 2 ** attempt);
      if (Date.now() - t0 + wait > timeoutMs) break;
      await io.sleep(wait);
    }
    return { ok: false, message: `${left.length}/${checked} not advertising the VM universe${collector ? ` at ${collector}` : ''}: ${why.slice(0, 3).join('; ')}`, hosts: left.map((h) => h.name) };
  };
}
