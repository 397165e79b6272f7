// Fleet-file issues in the profile's format (FILE:LINE:COL: path: message + hint), from zod and from YAML.
import type { z } from 'zod';
import { formatIssue, type Locator, type ProfileIssue } from '../profile/index.ts';

export type FleetIssue = ProfileIssue;
export { formatIssue };

type Issue = z.core.$ZodIssue;
type Segment = string | number;

const EXPECTED: Record<string, string> = {
  number: 'a number', int: 'a whole number', string: 'a string', boolean: 'true or false', object: 'a mapping', array: 'a list',
};

/** Edit distance (Levenshtein with adjacent swaps), for "did you mean". */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const dist = editDistance(word.toLowerCase(), c.toLowerCase());
    if (!best || dist < best.d) best = { c, d: dist };
  }
  if (!best || best.c === word) return undefined;
  return best.d <= Math.min(2, Math.floor(Math.max(word.length, best.c.length) / 3)) ? best.c : undefined;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)}`;
  return `${typeof value} ${String(value)}`;
}

function valueAt(data: unknown, path: readonly Segment[]): unknown {
  let current = data;
  for (const s of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[String(s)];
  }
  return current;
}

/** Keys a strict object at `path` allows, read from the data's sibling schema via zod's JSON Schema view. */
export type KeysAt = (path: readonly Segment[]) => string[];

export function zodToIssues(issues: readonly Issue[], ctx: { file: string; data: unknown; locator: Locator; keysAt: KeysAt }): FleetIssue[] {
  const make = (path: readonly Segment[], message: string, hint?: string, atKey = false): FleetIssue => {
    const at = atKey ? ctx.locator.keyPositionOf(path) : ctx.locator.positionOf(path);
    return { file: ctx.file, line: at.line, col: at.col, path: path.map(String).join('.'), message, ...(hint ? { hint } : {}) };
  };
  const pathOf = (i: Issue): Segment[] => i.path.filter((s): s is Segment => typeof s !== 'symbol');

  const one = (issue: Issue): FleetIssue[] => {
    const path = pathOf(issue);
    const input = valueAt(ctx.data, path);
    const missing = path.length > 0 && input === undefined;
    switch (issue.code) {
      case 'unrecognized_keys':
        return issue.keys.map((key) => {
          const allowed = ctx.keysAt(path);
          const meant = closest(key, allowed);
          const hint = meant ? `did you mean ${meant}?` : allowed.length ? `allowed here: ${allowed.join(', ')}` : undefined;
          return make([...path, key], `unrecognized key "${key}"`, hint, true);
        });
      case 'invalid_type':
        if (missing) return [make(path, `missing required key "${String(path[path.length - 1])}"`)];
        return [make(path, `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describe(input)}`,
          typeof input === 'string' && /^\d+$/.test(input) && issue.expected === 'number' ? `write the number without quotes: ${input}` : undefined)];
      case 'invalid_value': {
        if (missing) return [make(path, `missing required key "${String(path[path.length - 1])}"`)];
        const wanted = issue.values.length === 1 ? JSON.stringify(issue.values[0]) : `one of ${issue.values.map(String).join(', ')}`;
        const meant = typeof input === 'string' ? closest(input, issue.values.filter((v): v is string => typeof v === 'string')) : undefined;
        return [make(path, `must be ${wanted} (got ${describe(input)})`, meant ? `did you mean ${meant}?` : undefined)];
      }
      case 'too_small':
      case 'too_big': {
        const small = issue.code === 'too_small';
        const limit = small ? issue.minimum : issue.maximum;
        const word = small ? 'at least' : 'at most';
        if (issue.origin === 'array') return [make(path, `must list ${word} ${limit} item${Number(limit) === 1 ? '' : 's'}`)];
        if (issue.origin === 'string') return [make(path, small && limit === 1 ? 'must not be empty' : `must be ${word} ${limit} characters long`)];
        return [make(path, `must be ${word} ${limit} (got ${String(input)})`)];
      }
      case 'invalid_union': {
        // Batch sizes and thresholds: a number or a percentage; say so in one message.
        if (typeof input === 'string') {
          const custom = issue.errors.flat().find((e) => e.code === 'custom');
          if (custom) return one({ ...custom, path: [...issue.path, ...custom.path] } as Issue);
        }
        if (typeof input === 'number' || typeof input === 'string') return [make(path, `must be a whole number or a percentage like "25%" (got ${describe(input)})`)];
        const deepest = issue.errors.map((errs) => errs.map((e) => ({ ...e, path: [...issue.path, ...e.path] }) as Issue))
          .sort((a, b) => Math.max(0, ...b.map((e) => e.path.length)) - Math.max(0, ...a.map((e) => e.path.length)))[0];
        return deepest && deepest.length ? deepest.flatMap(one) : [make(path, `must be a number, a percentage or a list of them (got ${describe(input)})`)];
      }
      case 'custom':
        return [make(path, issue.message, typeof issue.params?.hint === 'string' ? issue.params.hint : undefined)];
      default:
        return [make(path, issue.message)];
    }
  };
  return issues.flatMap(one);
}
