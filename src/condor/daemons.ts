// Which HTCondor daemons run on this node, and whether one the master should run is down: condor_restart needs the
// master, and a one-node pool's condor_status needs its own collector.
import type { Host } from '../host/host.ts';

/** ps shows at most 15 characters of a command name (condor_collector → condor_collecto). */
export function isRunning(comms: string[], daemon: string): boolean {
  return comms.some((c) => c === daemon || (c.length === 15 && daemon.startsWith(c)));
}

/** DAEMON_LIST's entries, upper-case (`MASTER, COLLECTOR STARTD` → [MASTER, COLLECTOR, STARTD]). */
export function daemonList(value: string | undefined): string[] {
  return (value ?? '').split(/[\s,]+/).filter(Boolean).map((d) => d.toUpperCase());
}

export async function runningDaemons(host: Host): Promise<string[]> {
  const r = await host.exec('ps', ['-e', '-o', 'comm='], { timeoutMs: 10_000 });
  return r.stdout.split('\n').map((l) => l.trim()).filter((c) => c.startsWith('condor_'));
}

/** Why condor_restart cannot work, when it is because the master is down; undefined when the master runs. */
export async function masterDown(host: Host): Promise<string | undefined> {
  return isRunning(await runningDaemons(host), 'condor_master') ? undefined : 'condor_master is not running';
}

/** The collector this node runs itself (DAEMON_LIST has COLLECTOR) is not running: say so; else undefined. */
export async function localCollectorDown(host: Host): Promise<string | undefined> {
  const [list, running] = await Promise.all([host.exec('condor_config_val', ['DAEMON_LIST'], { timeoutMs: 30_000 }), runningDaemons(host)]);
  if (list.exitCode !== 0 || !daemonList(list.stdout).includes('COLLECTOR')) return undefined;
  if (!isRunning(running, 'condor_master')) return 'condor_master is not running, and with it not the collector this node runs (DAEMON_LIST has COLLECTOR)';
  return isRunning(running, 'condor_collector') ? undefined : 'the collector runs on this node (DAEMON_LIST has COLLECTOR) and condor_collector is not running';
}
