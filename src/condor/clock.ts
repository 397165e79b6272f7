// The node's clock against the collector's. The collector stamps each ad it receives with LastHeardFrom by its own
// clock; a startd sends one at least every UPDATE_INTERVAL (300 s) and an ad not renewed within CLASSAD_LIFETIME
// (900 s) is dropped. So a LastHeardFrom in this node's future, or older than an ad can live, means the two clocks
// disagree. vm-provision compares the startd's DaemonStartTime with the time it restarted it, and HTCondor compares
// clocks across the pool (security sessions, tokens, ad lifetimes): a clock far off breaks both.
import type { Host } from '../host/host.ts';

/** More than this apart (s) is "far off": well past an ad's lifetime, so never a slow update. */
export const CLOCK_SKEW_LIMIT = 3600;
/** An ad can be this old (s) by the collector's clock and still be listed: CLASSAD_LIFETIME plus one UPDATE_INTERVAL. */
const AD_AGE = 900 + 300;

export interface ClockSkew { skew: number; nodeTime: number; collectorTime: number }

/** Seconds this node's clock is ahead (> 0) or behind (< 0) of the collector's, when far off; else undefined. */
export function clockSkew(now: number, lastHeardFrom: number[]): ClockSkew | undefined {
  const heard = lastHeardFrom.filter((t) => Number.isFinite(t) && t > 0);
  if (!heard.length) return undefined;
  const latest = Math.max(...heard);
  // Ahead: the newest ad looks older than any ad can be; behind: it was heard "in the future".
  const ahead = now - latest - AD_AGE;
  const behind = latest - now;
  if (ahead > CLOCK_SKEW_LIMIT) return { skew: now - latest, nodeTime: now, collectorTime: latest };
  if (behind > CLOCK_SKEW_LIMIT) return { skew: now - latest, nodeTime: now, collectorTime: latest };
  return undefined;
}

export function describeSkew(s: ClockSkew): string {
  const a = Math.abs(s.skew);
  const amount = a >= 2 * 365 * 86400 ? `${(a / (365.25 * 86400)).toFixed(1)} years`
    : a >= 2 * 86400 ? `${Math.round(a / 86400)} days` : a >= 7200 ? `${Math.round(a / 3600)} hours` : `${Math.round(a / 60)} minutes`;
  const iso = (t: number) => new Date(t * 1000).toISOString();
  return `this node's clock (${iso(s.nodeTime)}) is about ${amount} ${s.skew > 0 ? 'ahead of' : 'behind'} the collector's (it last heard from this node at ${iso(s.collectorTime)}, by its clock)`;
}

/** LastHeardFrom of this machine's ads at the collector; empty when the collector cannot be asked. */
export async function lastHeardFrom(host: Host, machine: string): Promise<number[]> {
  const r = await host.exec('condor_status', ['-af', 'LastHeardFrom', '-constraint', `Machine == "${machine.replace(/["\\]/g, '')}"`], { timeoutMs: 30_000 });
  if (r.exitCode !== 0) return [];
  return r.stdout.split('\n').map((l) => l.trim()).filter((l) => /^\d+$/.test(l)).map(Number);
}

export const CLOCK_HINT = 'set the clock (timedatectl set-ntp true, or chronyc makestep with chrony), check it with date -u, then run vm-provision again';
