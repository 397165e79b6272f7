// `vm-provision fleet …`: a thin shell over src/fleet (resolveFleet, fleetApply); errors map to the fleet's exit codes.
import { relative } from 'node:path';
import { Command, Option } from 'commander';
import { parseBatchOption } from '../fleet/batches.ts';
import { fleetApply } from '../fleet/engine.ts';
import { collectorGate, gateCollector, NODE_SLOTS_SCRIPT } from '../fleet/gate.ts';
import { createSshExecutor, queryCollector, type SshExecutor } from '../fleet/ssh/executor.ts';
import { fleetStatus, statusExitCode, statusTable } from '../fleet/status.ts';
import { FleetError, FleetInvalid, fleetExitCodeForError, toFleetError, usageError } from '../fleet/errors.ts';
import { FLEET_EXIT } from '../fleet/exit-codes.ts';
import type { PoolSource } from '../fleet/inventory/pool.ts';
import type { FleetEvent } from '../fleet/events.ts';
import type { FleetSpec } from '../fleet/schema.ts';
import { acquireFleetLock } from '../fleet/lock.ts';
import { formatRecap } from '../fleet/recap.ts';
import { hostsRows, hostsTable, jsonFleetRenderer, planLines, plainFleetRenderer } from '../fleet/render.ts';
import { diffLines } from '../fleet/view.ts';
import { stepsFor } from '../engine/plan-steps.ts';
import { runFleetWithListr } from './render-fleet-listr.ts';
import { planView, resolveFleet, type ResolveOptions } from '../fleet/resolve.ts';
import { fileRecorder, fleetStateDir, findRunRecord, RERUN_CHOICES, rerunHosts, type RerunWhich } from '../fleet/run-record.ts';
import { parseThresholdOption } from '../fleet/thresholds.ts';

const out = (l: string) => process.stdout.write(`${l}\n`);
const err = (l: string) => process.stderr.write(`${l}\n`);

interface SelectFlags { limit?: string; batch?: string; json?: boolean }
interface ApplyFlags extends SelectFlags {
  check?: boolean; diff?: boolean; concurrency?: string; maxFail?: string; maxUnreachable?: string; hostTimeout?: string;
  detailedExitcodes?: boolean; rerun?: string[]; progress?: boolean; verbose?: boolean; installNode?: boolean; gate?: boolean;
}

/** A pool: source's condor_status: here when this machine has it, else over SSH on the collector's host. */
async function queryPool(argv: string[], pool: PoolSource, f: { file: string; fleet: FleetSpec }): Promise<string> {
  return queryCollector(f, pool.collector, argv);
}

function intOption(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min) throw usageError(`${name} ${text}: expected a whole number ≥ ${min}`);
  return Number(text);
}

function resolveOptions(f: ApplyFlags): ResolveOptions {
  try {
    return {
      ...(f.limit !== undefined ? { limit: f.limit } : {}),
      ...(f.batch !== undefined ? { batches: parseBatchOption(f.batch) } : {}),
      ...(f.maxFail !== undefined ? { maxFail: parseThresholdOption('--max-fail', f.maxFail) } : {}),
      ...(f.maxUnreachable !== undefined ? { maxUnreachable: parseThresholdOption('--max-unreachable', f.maxUnreachable) } : {}),
      ...(f.concurrency !== undefined ? { concurrency: intOption('--concurrency', f.concurrency, 1)! } : {}),
      ...(f.hostTimeout !== undefined ? { hostTimeout: intOption('--host-timeout', f.hostTimeout, 30)! } : {}),
      io: { queryPool },
    };
  } catch (e) {
    throw e instanceof FleetError ? e : usageError((e as Error).message);
  }
}

function rerunSelection(values: string[] | undefined): ResolveOptions['only'] {
  if (!values) return undefined;
  const [which, run, ...extra] = values;
  if (!RERUN_CHOICES.includes(which as RerunWhich) || extra.length) {
    throw usageError(`--rerun ${values.join(' ')}: expected --rerun failed|unreachable|all [RUN]`, 'RUN is a run id from the recap, or a record path; default: the latest run of this fleet');
  }
  return async (fleetName: string) => {
    const dir = fleetStateDir(fleetName);
    const rec = await findRunRecord(dir, run);
    if (!rec) throw usageError(`--rerun: no run record ${run ? `"${run}"` : 'yet'} for fleet ${fleetName}`, `records are kept in ${dir}`);
    const hosts = rerunHosts(rec.lines, which as RerunWhich);
    if (hosts.length === 0) throw usageError(`--rerun ${which}: run ${rec.path} has no ${which === 'all' ? 'unconverged' : which} host`);
    return hosts;
  };
}

async function guarded(json: boolean | undefined, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    const ve = toFleetError(e);
    const code = fleetExitCodeForError(ve);
    if (json) out(JSON.stringify({ type: 'error', ...ve.toJSON(), ...(e instanceof FleetInvalid ? { issues: e.issues } : {}), exitCode: code }));
    else err(e instanceof FleetInvalid ? ve.message : `vm-provision fleet: ${ve.describe()}`);
    return code;
  }
}

async function runHosts(file: string, f: SelectFlags): Promise<number> {
  const plan = await resolveFleet(file, resolveOptions(f));
  if (f.json) {
    out(JSON.stringify({ type: 'hosts', plan: planView(plan, false), warnings: plan.warnings, hosts: hostsRows(plan) }));
  } else {
    planLines(planView(plan, false), plan.warnings).forEach(out);
    hostsTable(plan, (p) => relative(process.cwd(), p) || p).forEach(out);
  }
  return FLEET_EXIT.OK;
}

async function runApply(file: string, f: ApplyFlags, command: string): Promise<number> {
  const stop = new AbortController();
  const kill = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) { err('interrupted: no new host starts; hosts in flight finish (Ctrl-C again to stop them now)'); stop.abort(); }
    else kill.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    const only = rerunSelection(f.rerun);
    let planForRecap: Parameters<typeof formatRecap>[0] | undefined;
    const useListr = !f.json && f.progress !== false && process.stdout.isTTY === true;
    const go = (onEvent: (e: FleetEvent) => void) => fleetApply({
      fleetFile: file, ...resolveOptions(f), ...(only ? { only } : {}), check: !!f.check, ...(f.diff ? { diff: true } : {}),
      // Without a collector the gate asks each node: its first look rides on the agent's session.
      executor: (p) => createSshExecutor(p, {
        ...(f.installNode ? { installNode: true } : {}),
        ...(f.gate !== false && p.fleet.rollout.gate.enabled && !gateCollector(p) ? { afterAgent: NODE_SLOTS_SCRIPT } : {}),
      }),
      ...(f.gate === false ? {} : {
        gateFor: (p, ex) => (p.fleet.rollout.gate.enabled ? collectorGate(p, {
          queryCollector: (argv) => queryCollector(p, gateCollector(p)!, argv),
          onNode: async (h, script) => (ex as SshExecutor).prefetched(h, script) ?? (ex as SshExecutor).exec(h, script, { timeoutSeconds: 60 }),
          sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
        }) : undefined),
      }),
      onPlan: (p) => { planForRecap = p; },
      onEvent,
      stop: stop.signal, kill: kill.signal, detailedExitcodes: !!f.detailedExitcodes,
      lock: async (p) => acquireFleetLock(fleetStateDir(p.fleet.metadata.name), p.fleet.metadata.name),
      recorder: (p) => fileRecorder(fleetStateDir(p.fleet.metadata.name), !!f.check),
    });
    const report = useListr
      ? await runFleetWithListr(go, {
        out,
        header: (e) => [...planLines(e.plan, e.warnings), `run ${e.run}`],
        stepsOf: (name) => {
          const h = planForRecap?.hosts.find((x) => x.name === name);
          return h ? stepsFor(h.profile.profile).map((x) => ({ id: x.id, title: x.title })) : [];
        },
        ...(f.diff ? { onView: (v) => diffLines(v).forEach(out) } : {}),
      })
      : await go(f.json ? jsonFleetRenderer(out) : plainFleetRenderer(out, { diff: !!f.diff }));
    if (!f.json && planForRecap) formatRecap(planForRecap, report, { command, verbose: !!f.verbose }).forEach(out);
    return report.exitCode;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

async function runStatus(file: string, f: SelectFlags): Promise<number> {
  const plan = await resolveFleet(file, resolveOptions(f));
  const ex = createSshExecutor(plan, { ship: false });
  const collector = gateCollector(plan);
  try {
    const rows = await fleetStatus(plan, {
      connect: async (h) => { const u = await ex.connect(h); return u ? { ...(u.unreachable ? { unreachable: u.unreachable } : {}), ...(u.cause ? { cause: u.cause } : {}) } : undefined; },
      onNode: (h, script) => ex.exec(h, script, { timeoutSeconds: 60 }),
      queryCollector: (argv) => queryCollector(plan, collector!, argv),
    }, collector);
    if (f.json) rows.forEach((r) => out(JSON.stringify({ type: 'host-status', ...r })));
    else statusTable(rows).forEach(out);
    return statusExitCode(rows);
  } finally {
    await ex.close?.();
  }
}

const selectOptions = (c: Command) => c
  .option('--limit <pattern>', "only these hosts: names, groups, globs; a:b or a,b unions, a:!b exclusion, a:&b intersection")
  .option('--batch <sizes>', 'batch sizes like Ansible serial: N, P%, or a list such as 1,5,25% (the last repeats)')
  .option('--json', 'one JSON object per line');

const applyOptions = (c: Command) => selectOptions(c)
  .option('--concurrency <n>', 'hosts in flight at once within a batch')
  .option('--max-fail <n|p%>', 'stop when more than this many hosts failed (over all hosts attempted so far)')
  .option('--max-unreachable <n|p%>', 'stop when more than this many hosts were unreachable')
  .option('--host-timeout <seconds>', 'deadline for one host, enforced on the node')
  .option('--detailed-exitcodes', 'bits: 2 changed, 4 failed, 8 unreachable, 16 stopped early')
  .addOption(new Option('--rerun <which...>', 'run again the hosts of a run: failed | unreachable | all [RUN] (default: the latest run)'))
  .option('--diff', 'show file diffs')
  .option('--install-node', 'install Node.js with the node\'s package manager where it is missing or older than 20')
  .option('--no-gate', 'skip the collector check after each batch')
  .option('-v, --verbose', 'list every host in the recap')
  .option('--no-progress', 'plain lines even on a terminal');

/** Registers `vm-provision fleet hosts|apply|plan|status`. */
export function registerFleetCommand(program: Command): void {
  const fleet = program.command('fleet').description('roll a fleet of execute nodes over SSH, batch by batch (see the fleet file format in README)');

  selectOptions(fleet.command('hosts').argument('<fleet>', 'fleet file (YAML)')
    .description('the resolved hosts, their profile and batch, without connecting'))
    .action(async (file: string, f: SelectFlags) => { process.exitCode = await guarded(f.json, () => runHosts(file, f)); });

  applyOptions(fleet.command('apply').argument('<fleet>', 'fleet file (YAML)').description('converge every host of the fleet, batch by batch')
    .option('--check', 'change nothing anywhere; say what would change on each host'))
    .action(async (file: string, f: ApplyFlags) => {
      process.exitCode = await guarded(f.json, () => runApply(file, f, `vm-provision fleet apply ${file}`));
    });

  applyOptions(fleet.command('plan').argument('<fleet>', 'fleet file (YAML)').description('= fleet apply --check: what would change on each host'))
    .action(async (file: string, f: ApplyFlags) => {
      process.exitCode = await guarded(f.json, () => runApply(file, { ...f, check: true }, `vm-provision fleet plan ${file}`));
    });

  selectOptions(fleet.command('status').argument('<fleet>', 'fleet file (YAML)')
    .description('read-only: per host, VM universe advertised, restart owed, profile converged to'))
    .action(async (file: string, f: SelectFlags) => {
      process.exitCode = await guarded(f.json, () => runStatus(file, f));
    });
}
