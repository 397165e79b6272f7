import type { z } from 'zod';
import { enumValueHint, quotedNumberHint, suggestKey, unknownKeyHint, yamlBooleanHint } from './hints.ts';
import { dottedPath, type PathSegment, type ProfileIssue } from './issues.ts';
import type { Locator } from './positions.ts';
import { isIntegerAt } from './schema-walk.ts';

// Turns zod's issues into ProfileIssues with our wording, a position in the YAML and a hint.

type Issue = z.core.$ZodIssue;

const EXPECTED: Record<string, string> = {
  int: 'a whole number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
};

function describeValue(value: unknown): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 37)}...` : value;
    return `the string ${JSON.stringify(shown)}`;
  }
  return `${typeof value} ${String(value)}`;
}

function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let current = data;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[String(segment)];
  }
  return current;
}

function boundMessage(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig, input: unknown): string {
  const small = issue.code === 'too_small';
  const limit = small ? (issue as z.core.$ZodIssueTooSmall).minimum : (issue as z.core.$ZodIssueTooBig).maximum;
  const inclusive = issue.inclusive !== false;
  const word = small ? (inclusive ? 'at least' : 'more than') : inclusive ? 'at most' : 'less than';
  switch (issue.origin) {
    case 'string':
      return `must be ${word} ${limit} characters long (got ${typeof input === 'string' ? input.length : '?'})`;
    case 'array':
      return `must list ${word} ${limit} item${Number(limit) === 1 ? '' : 's'}`;
    default:
      return `must be ${word} ${limit} (got ${String(input)})`;
  }
}

export interface TranslateContext {
  file: string;
  schema: z.core.$ZodType;
  data: unknown;
  locator: Locator;
}

export function toProfileIssues(issues: readonly Issue[], ctx: TranslateContext): ProfileIssue[] {
  const make = (path: readonly PathSegment[], message: string, hint: string | undefined, atKey = false): ProfileIssue => {
    const { line, col } = atKey ? ctx.locator.keyPositionOf(path) : ctx.locator.positionOf(path);
    return { file: ctx.file, line, col, path: dottedPath(path), message, ...(hint ? { hint } : {}) };
  };

  const pathOf = (issue: Issue): PathSegment[] => issue.path.filter((s): s is PathSegment => typeof s !== 'symbol');
  // A misspelt key also makes the real one "missing"; the did-you-mean on the typo says it all.
  const typoFor = new Set<string>();
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    for (const key of issue.keys) {
      const meant = suggestKey(ctx.schema, pathOf(issue), key);
      if (meant) typoFor.add(dottedPath([...pathOf(issue), meant]));
    }
  }

  return issues.flatMap((issue): ProfileIssue[] => {
    const path = pathOf(issue);
    const input = valueAt(ctx.data, path);
    const missing = path.length > 0 && input === undefined;
    if (missing && typoFor.has(dottedPath(path))) return [];

    switch (issue.code) {
      case 'unrecognized_keys':
        return issue.keys.map((key) =>
          make([...path, key], `unrecognized key "${key}"`, unknownKeyHint(ctx.schema, path, key), true),
        );
      case 'invalid_type': {
        if (missing) return [make(path, `missing required key "${String(path[path.length - 1])}"`, undefined)];
        const kind = issue.expected === 'number' && isIntegerAt(ctx.schema, path) ? 'int' : issue.expected;
        const expected = EXPECTED[kind] ?? kind;
        const hint =
          issue.expected === 'boolean'
            ? yamlBooleanHint(ctx.locator.nodeAt(path))
            : issue.expected === 'number' || issue.expected === 'int'
              ? quotedNumberHint(input)
              : undefined;
        return [make(path, `expected ${expected}, got ${describeValue(input)}`, hint)];
      }
      case 'invalid_value': {
        if (missing) return [make(path, `missing required key "${String(path[path.length - 1])}"`, undefined)];
        const wanted =
          issue.values.length === 1
            ? JSON.stringify(issue.values[0])
            : `one of ${issue.values.map(String).join(', ')}`;
        return [make(path, `must be ${wanted} (got ${describeValue(input)})`, enumValueHint(input, issue.values))];
      }
      case 'too_small':
      case 'too_big':
        return [make(path, boundMessage(issue, input), undefined)];
      case 'invalid_format':
        return [make(path, `${issue.message} (got ${describeValue(input)})`, undefined)];
      case 'custom': {
        const hint = typeof issue.params?.hint === 'string' ? issue.params.hint : undefined;
        return [make(path, issue.message, hint)];
      }
      default:
        return [make(path, issue.message, undefined)];
    }
  });
}
