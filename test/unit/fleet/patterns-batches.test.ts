import { describe, expect, it } from 'vitest';
import { fnmatchRegExp, matchTerm, PatternError, selectHosts, splitPattern } from '../../../src/fleet/patterns.ts';
import { batchSize, parseBatchOption, splitIntoBatches } from '../../../src/fleet/batches.ts';
import { parseThresholdOption, resolveThreshold, shouldStop, type RolloutState } from '../../../src/fleet/thresholds.ts';
import { inventoryFrom, readFixture } from './helpers.ts';

describe('--limit patterns against Ansible', () => {
  // fixtures/limit.ansible.json: `ansible -i FILE all --limit PATTERN --list-hosts` (ansible-core 2.14.18).
  const { limits } = JSON.parse(readFixture('limit.ansible.json')) as { limits: Record<string, Record<string, string[]>> };
  for (const [file, byPattern] of Object.entries(limits)) {
    const inv = inventoryFrom(file, readFixture(file));
    for (const [pattern, expected] of Object.entries(byPattern)) {
      it(`${file}: --limit '${pattern}'`, () => {
        expect(selectHosts(inv, pattern).hosts).toEqual(expected);
      });
    }
  }

  it('reports terms that match nothing', () => {
    const inv = inventoryFrom('pool.ini', readFixture('pool.ini'));
    expect(selectHosts(inv, 'staging,nosuch').unmatched).toEqual(['nosuch']);
  });

  it('refuses group slices instead of misreading them', () => {
    const inv = inventoryFrom('pool.ini', readFixture('pool.ini'));
    expect(() => matchTerm(inv, 'workers[0:2]')).toThrow(PatternError);
  });

  it('splits on commas if any, else on colons outside brackets', () => {
    expect(splitPattern('a:b:!c:&d')).toEqual(['a', 'b', '!c', '&d']);
    expect(splitPattern('wn[01:20]:x')).toEqual(['wn[01:20]', 'x']);
    expect(splitPattern('a, b,!c')).toEqual(['a', 'b', '!c']);
  });

  it('globs like Python fnmatch: * ? [seq] [!seq], whole name, case-sensitive', () => {
    expect(fnmatchRegExp('wn*.org').test('wn01.example.org')).toBe(true);
    expect(fnmatchRegExp('wn?').test('wn10')).toBe(false);
    expect(fnmatchRegExp('wn[!0]1').test('wn11')).toBe(true);
    expect(fnmatchRegExp('wn[!0]1').test('wn01')).toBe(false);
    expect(fnmatchRegExp('WN*').test('wn1')).toBe(false);
    expect(fnmatchRegExp('a.b').test('axb')).toBe(false);
  });
});

describe('batches (Ansible serial)', () => {
  const hosts = Array.from({ length: 20 }, (_, i) => `h${i + 1}`);
  const sizes = (spec: Parameters<typeof splitIntoBatches>[1], n = hosts.length) => splitIntoBatches(hosts.slice(0, n), spec).map((b) => b.length);

  it('matches the examples of the Ansible documentation', () => {
    expect(sizes([3])).toEqual([3, 3, 3, 3, 3, 3, 2]);
    expect(sizes(['30%'])).toEqual([6, 6, 6, 2]); // "20 hosts … batches of 6, 6, 6, 2"
    expect(sizes([1, 5, 10])).toEqual([1, 5, 10, 4]);
    expect(sizes([1, 5, '20%'])).toEqual([1, 5, 4, 4, 4, 2]);
  });

  it('takes percentages of all selected hosts, rounded down, at least 1', () => {
    expect(batchSize('1%', 20)).toBe(1);
    expect(batchSize('25%', 18)).toBe(4);
    // Ansible computes int(0.29 * 100) = 28 in floating point; integer arithmetic gives the intended 29.
    expect(batchSize('29%', 100)).toBe(29);
  });

  it('defaults to a canary of one, then the rest', () => {
    expect(sizes(undefined)).toEqual([1, 19]);
    expect(sizes(undefined, 1)).toEqual([1]);
    expect(sizes([], 3)).toEqual([1, 2]);
  });

  it('parses --batch 1,5,25%', () => {
    expect(parseBatchOption('1,5,25%')).toEqual([1, 5, '25%']);
    expect(() => parseBatchOption('0')).toThrow(/not a number ≥ 1/);
    expect(() => parseBatchOption('1,,2')).toThrow(/empty/);
    expect(() => parseBatchOption('101%')).toThrow();
  });
});

describe('thresholds', () => {
  it('resolves N and P% of the total, rounded down', () => {
    expect(resolveThreshold(3, 120)).toEqual({ spec: 3, limit: 3 });
    expect(resolveThreshold('5%', 120)).toEqual({ spec: '5%', limit: 6 });
    expect(resolveThreshold('5%', 10)).toEqual({ spec: '5%', limit: 0 });
    expect(parseThresholdOption('--max-fail', '10%')).toBe('10%');
    expect(parseThresholdOption('--max-fail', '0')).toBe(0);
    expect(() => parseThresholdOption('--max-fail', 'x')).toThrow(/--max-fail x/);
  });

  const base = (o: Partial<RolloutState> = {}): RolloutState => ({
    failed: 0, unreachable: 0, maxFail: resolveThreshold(2, 100), maxUnreachable: resolveThreshold('3%', 100),
    canary: { active: false, failed: 0, unreachable: 0 }, check: false, interrupted: false, ...o,
  });

  it('stops when a limit is exceeded, not when it is reached', () => {
    expect(shouldStop(base({ failed: 2 }))).toBeUndefined();
    expect(shouldStop(base({ failed: 3 }))).toMatchObject({ reason: 'max-fail', message: '3 hosts failed, more than max-fail 2' });
    expect(shouldStop(base({ unreachable: 3 }))).toBeUndefined();
    expect(shouldStop(base({ unreachable: 4 }))).toMatchObject({ reason: 'max-unreachable', message: '4 hosts unreachable, more than max-unreachable 3 (3%)' });
  });

  it('keeps failed and unreachable apart: neither counts toward the other', () => {
    expect(shouldStop(base({ failed: 2, unreachable: 3 }))).toBeUndefined();
  });

  it('the canary batch tolerates no failure and no unreachable host', () => {
    expect(shouldStop(base({ failed: 1, canary: { active: true, failed: 1, unreachable: 0 } }))).toMatchObject({ reason: 'canary' });
    expect(shouldStop(base({ unreachable: 1, canary: { active: true, failed: 0, unreachable: 1 } }))?.message).toMatch(/1 unreachable/);
    expect(shouldStop(base({ failed: 1, canary: { active: false, failed: 0, unreachable: 0 } }))).toBeUndefined();
  });

  it('--check ignores thresholds and the canary rule, not an interrupt, a gate or a systemic error', () => {
    expect(shouldStop(base({ check: true, failed: 50, canary: { active: true, failed: 1, unreachable: 0 } }))).toBeUndefined();
    expect(shouldStop(base({ check: true, interrupted: true }))).toMatchObject({ reason: 'interrupted' });
    expect(shouldStop(base({ check: true, systemic: 'agent exit 64' }))).toMatchObject({ reason: 'systemic' });
    expect(shouldStop(base({ gateFailed: 'batch 2 gate: wn03 not HasVM' }))).toMatchObject({ reason: 'gate' });
  });
});
