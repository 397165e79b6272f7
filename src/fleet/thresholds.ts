// maxFail / maxUnreachable: resolved to host counts over all selected hosts; a run stops when one is exceeded.
import type { Threshold } from './schema.ts';

export interface ResolvedThreshold { spec: Threshold; limit: number }

/** N stays N; "P%" is P% of `total`, rounded down (so "5%" of 10 hosts is 0: the first failure stops). */
export function resolveThreshold(spec: Threshold, total: number): ResolvedThreshold {
  const limit = typeof spec === 'number' ? spec : Math.floor((Number(spec.slice(0, -1)) * total) / 100);
  return { spec, limit };
}

export function parseThresholdOption(name: string, text: string): Threshold {
  const s = text.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const m = /^(\d{1,3})%$/.exec(s);
  if (m && Number(m[1]) <= 100) return s as `${number}%`;
  throw new Error(`${name} ${text}: expected a number of hosts or a percentage from 0% to 100%`);
}

export function describeThreshold(name: string, t: { spec: number | string; limit: number }, total: number): string {
  const of = typeof t.spec === 'string' ? `${t.spec} of ${total} = ` : '';
  const one = t.limit === 1;
  return `${name} ${of}${t.limit}: stop when more than ${t.limit} host${one ? '' : 's'} ${name === 'max-fail' ? (one ? 'fails' : 'fail') : one ? 'is unreachable' : 'are unreachable'}`;
}

export type StopReason = 'canary' | 'max-fail' | 'max-unreachable' | 'gate' | 'systemic' | 'interrupted';

export interface RolloutState {
  /** Hosts that ended failed / unreachable so far, over all batches. */
  failed: number;
  unreachable: number;
  maxFail: ResolvedThreshold;
  maxUnreachable: ResolvedThreshold;
  /** The current batch is the canary (the first of several): it tolerates no failed and no unreachable host. */
  canary: { active: boolean; failed: number; unreachable: number };
  /** --check: nothing changes anywhere, so the thresholds and the canary rule do not stop it. */
  check: boolean;
  interrupted: boolean;
  /** A result that says every other host would fail the same way (agent exit 64: controller and agent disagree). */
  systemic?: string;
  gateFailed?: string;
}

const hostsWord = (n: number) => `${n} host${n === 1 ? '' : 's'}`;

export interface StopDecision { reason: StopReason; message: string }

/** Whether to start no further host. Exceeded, not reached: the limit itself is still tolerated. */
export function shouldStop(s: RolloutState): StopDecision | undefined {
  if (s.interrupted) return { reason: 'interrupted', message: 'interrupted: no new host is started; hosts in flight finish' };
  if (s.systemic) return { reason: 'systemic', message: s.systemic };
  if (s.gateFailed) return { reason: 'gate', message: s.gateFailed };
  if (s.check) return undefined;
  if (s.canary.active && (s.canary.failed > 0 || s.canary.unreachable > 0)) {
    const what = [s.canary.failed && `${s.canary.failed} failed`, s.canary.unreachable && `${s.canary.unreachable} unreachable`].filter(Boolean).join(', ');
    return { reason: 'canary', message: `the canary batch did not pass (${what}): the canary tolerates no failure` };
  }
  if (s.failed > s.maxFail.limit) {
    return { reason: 'max-fail', message: `${hostsWord(s.failed)} failed, more than max-fail ${s.maxFail.limit}${typeof s.maxFail.spec === 'string' ? ` (${s.maxFail.spec})` : ''}` };
  }
  if (s.unreachable > s.maxUnreachable.limit) {
    return { reason: 'max-unreachable', message: `${hostsWord(s.unreachable)} unreachable, more than max-unreachable ${s.maxUnreachable.limit}${typeof s.maxUnreachable.spec === 'string' ? ` (${s.maxUnreachable.spec})` : ''}` };
  }
  return undefined;
}
