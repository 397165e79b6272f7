// `fleet status`: read-only, per host — does the pool see the VM universe, is a restart owed, which profile it converged to.
import type { FleetHost, FleetPlan } from './resolve.ts';
import { collectorQueryArgv, judgeSlots, NODE_SLOTS_SCRIPT, parseSlotAds, type SlotAd } from './gate.ts';
import type { UnreachableKind } from './events.ts';
import type { Finding } from '../doctor/finding.ts';
import { rootOf } from '../doctor/causes.ts';

export const JOURNAL = '/var/lib/vm-provision/journal.json';

export interface HostStatus {
  host: string;
  address: string;
  reachable: boolean;
  unreachable?: UnreachableKind;
  cause?: string;
  /** HasVM with the profile's VM_Type at the collector (or the node's own pool). undefined: could not ask. */
  vm?: boolean;
  vmDetail?: string;
  restartOwed?: boolean;
  restartReason?: string;
  /** metadata.name of the profile the node's config was written from (its header), and whether a restart verified it. */
  profile?: string;
  verified?: boolean;
  expectedProfile: string;
  converged: boolean;
  /** The node's own `vm-provision doctor` (the build shipped by a rollout): its first cause and next action. */
  doctor?: { healthy: boolean; problem?: string; next?: string };
}

const FLEET_DIR = '/var/lib/vm-provision/fleet';

/** Reads the journal and the header of the config it names; the node's slots too when no collector is known; and
 * the verdict of doctor (read-only) from the newest build a rollout shipped, when the node has one and a `node`. */
export function statusScript(withSlots: boolean, fleetDir = FLEET_DIR): string {
  return [
    `j=${JOURNAL}`,
    'echo VMP-STATUS',
    'if [ -f "$j" ]; then printf "journal=%s\\n" "$(tr -d "\\n" < "$j")"; fi',
    'f=$(sed -n \'s/.*"path": *"\\([^"]*\\)".*/\\1/p\' "$j" 2>/dev/null | head -n 1)',
    'if [ -n "$f" ] && [ -f "$f" ]; then printf "header=%s\\n" "$(head -n 1 "$f")"; fi',
    `b=$(ls -t ${fleetDir}/vm-provision-*.mjs 2>/dev/null | head -n 1)`,
    'if [ -n "$b" ] && command -v node >/dev/null 2>&1; then printf "doctor=%s\\n" "$(timeout 45 node "$b" doctor --json 2>/dev/null | tail -n 1)"; fi',
    ...(withSlots ? ['echo slots:', NODE_SLOTS_SCRIPT] : []),
    'exit 0',
  ].join('\n');
}

/** doctor --json's one line → its verdict: the first root cause (problems said once, see src/doctor/causes.ts). */
export function parseDoctor(line: string | undefined): HostStatus['doctor'] {
  if (!line) return undefined;
  let d: { type?: string; healthy?: boolean; findings?: Finding[] };
  try { d = JSON.parse(line) as typeof d; } catch { return undefined; }
  if (d.type !== 'doctor' || typeof d.healthy !== 'boolean' || !Array.isArray(d.findings)) return undefined;
  const cause = d.findings.find((f) => f.status === 'problem' && rootOf(d.findings!, f) === f);
  return { healthy: d.healthy, ...(cause ? { problem: `${cause.check}: ${cause.summary}` } : {}), ...(cause?.action ? { next: cause.action } : {}) };
}

interface Journal { pendingRestart?: { reason?: string }; lastConfig?: { path?: string; verified?: boolean } }

export function parseStatus(h: FleetHost, stdout: string, collectorAds?: SlotAd[]): Omit<HostStatus, 'reachable'> {
  const lines = stdout.split('\n');
  const get = (k: string) => lines.find((l) => l.startsWith(`${k}=`))?.slice(k.length + 1);
  let journal: Journal = {};
  try { journal = JSON.parse(get('journal') ?? '{}') as Journal; } catch { journal = {}; }
  const header = get('header') ?? '';
  const profile = /host profile "([^"]+)"/.exec(header)?.[1];
  const i = lines.indexOf('slots:');
  const ads = collectorAds ?? (i >= 0 ? parseSlotAds(lines.slice(i + 1).join('\n')) : undefined);
  const v = ads ? judgeSlots(h, ads, !collectorAds) : undefined;
  const expectedProfile = h.profile.profile.metadata.name;
  const restartOwed = !!journal.pendingRestart;
  const doctor = parseDoctor(get('doctor'));
  return {
    host: h.name, address: h.address,
    ...(v ? { vm: v.ok, vmDetail: v.ok ? `HasVM, VM_Type ${h.profile.profile.hypervisor}` : v.why!.replace(`${h.name}: `, '') } : {}),
    restartOwed, ...(journal.pendingRestart?.reason ? { restartReason: journal.pendingRestart.reason } : {}),
    ...(profile ? { profile } : {}), ...(journal.lastConfig?.verified !== undefined ? { verified: journal.lastConfig.verified } : {}),
    expectedProfile,
    converged: !!v?.ok && !restartOwed && profile === expectedProfile,
    ...(doctor ? { doctor } : {}),
  };
}

export interface StatusIo {
  connect(h: FleetHost): Promise<{ unreachable?: UnreachableKind; cause?: string } | undefined>;
  onNode(h: FleetHost, script: string): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  queryCollector?(argv: string[]): Promise<string>;
}

export async function fleetStatus(plan: FleetPlan, io: StatusIo, collector: string | undefined, concurrency = plan.concurrency): Promise<HostStatus[]> {
  let ads: SlotAd[] | undefined;
  let adsError: string | undefined;
  if (collector && io.queryCollector) {
    try { ads = parseSlotAds(await io.queryCollector(collectorQueryArgv(collector, plan.hosts))); } catch (e) { adsError = (e as Error).message; }
  }
  const out: HostStatus[] = new Array(plan.hosts.length);
  let next = 0;
  const worker = async () => {
    while (next < plan.hosts.length) {
      const i = next++;
      const h = plan.hosts[i]!;
      const u = await io.connect(h);
      if (u) { out[i] = { host: h.name, address: h.address, reachable: false, ...u, expectedProfile: h.profile.profile.metadata.name, converged: false }; continue; }
      const r = await io.onNode(h, statusScript(!collector));
      out[i] = { reachable: true, ...parseStatus(h, r.stdout, ads), ...(adsError ? { vmDetail: `collector: ${adsError}` } : {}) };
      if (r.exitCode !== 0 && !r.stdout.includes('VMP-STATUS')) out[i]!.cause = r.stderr.trim().split('\n').at(-1) ?? `exit ${r.exitCode}`;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, plan.hosts.length)) }, worker));
  return out;
}

export function statusTable(rows: readonly HostStatus[]): string[] {
  const cells = rows.map((r) => [
    r.host,
    !r.reachable ? `UNREACHABLE [${r.unreachable ?? 'other'}] ${r.cause ?? ''}`.trim() : r.vm === undefined ? '?' : r.vm ? 'yes' : `no (${r.vmDetail ?? ''})`,
    r.reachable ? (r.restartOwed ? `yes${r.restartReason ? ` (${r.restartReason})` : ''}` : 'no') : '-',
    r.reachable ? (r.profile ? `${r.profile}${r.verified === false ? ' (not verified)' : ''}` : 'none') : '-',
    r.expectedProfile,
    r.converged ? 'yes' : 'no',
  ]);
  const header = ['host', 'vm universe', 'restart owed', 'profile', 'wanted', 'converged'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i]!))).join('  ');
  const n = rows.filter((r) => r.converged).length;
  const u = rows.filter((r) => !r.reachable).length;
  // Under the table, why each unhealthy node does not run VM jobs, in doctor's words: cause once, then what to do.
  const why = rows.filter((r) => r.doctor && !r.doctor.healthy && r.doctor.problem)
    .flatMap((r) => [`${r.host}: ${r.doctor!.problem}`, ...(r.doctor!.next ? [`  next: ${r.doctor!.next}`] : [])]);
  return [line(header), ...cells.map(line), ...(why.length ? ['', ...why, ''] : []), `converged=${n} not-converged=${rows.length - n - u} unreachable=${u}`];
}

/** 0 every host converged; 1 some reachable host is not; 2 none failed that way but some are unreachable. */
export function statusExitCode(rows: readonly HostStatus[]): number {
  if (rows.some((r) => r.reachable && !r.converged)) return 1;
  if (rows.some((r) => !r.reachable)) return 2;
  return 0;
}
