// The collector as an inventory source: the condor_status argv, and its -af Machine output read into hosts.
import { hostNameProblem } from '../schema.ts';

export interface PoolSource { collector: string; constraint?: string }

export function poolQueryArgv(pool: PoolSource): string[] {
  return ['condor_status', '-pool', pool.collector, '-startd', ...(pool.constraint ? ['-constraint', pool.constraint] : []), '-af', 'Machine'];
}

/** One host per Machine, in the collector's order; slots of one machine repeat its name. */
export function parseMachines(stdout: string): { hosts: string[]; rejected: string[] } {
  const hosts: string[] = [];
  const rejected: string[] = [];
  const seen = new Set<string>();
  for (const raw of stdout.split(/\r?\n/)) {
    const name = raw.trim();
    // -af prints "undefined" for an ad without the attribute.
    if (!name || name === 'undefined' || seen.has(name)) continue;
    seen.add(name);
    if (hostNameProblem(name)) rejected.push(name); else hosts.push(name);
  }
  return { hosts, rejected };
}
