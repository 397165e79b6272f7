// Damerau (optimal string alignment): a swap of neighbours is one edit, so short typos like knid still match.
import editDistance from 'damerau-levenshtein';
import { isScalar, type Node } from 'yaml';
import type { z } from 'zod';
import type { PathSegment } from './issues.ts';
import { objectKeysAt, objectsWithKey } from './schema-walk.ts';

/** The closest candidate to `word`, if it is close enough to be a likely typo. */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase()).steps;
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  if (!best) return undefined;
  const allowed = Math.min(2, Math.floor(Math.max(word.length, best.candidate.length) / 3));
  return best.distance <= allowed && word !== best.candidate ? best.candidate : undefined;
}

/** The allowed key that an unknown `key` under `parent` is probably a typo of. */
export function suggestKey(schema: z.core.$ZodType, parent: readonly PathSegment[], key: string): string | undefined {
  return closestMatch(key, objectKeysAt(schema, parent));
}

export function unknownKeyHint(schema: z.core.$ZodType, parent: readonly PathSegment[], key: string): string | undefined {
  const match = suggestKey(schema, parent, key);
  if (match) return `did you mean ${match}?`;
  const homes = objectsWithKey(schema, key);
  if (homes.length > 0) {
    const where = homes.map((h) => (h === '' ? 'the top level' : h)).join(' or ');
    return `${key} belongs under ${where}`;
  }
  return undefined;
}

const YAML11_BOOLEAN = /^(y|n|yes|no|on|off)$/i;

/** YAML 1.1 booleans are plain strings in YAML 1.2, which is what we parse. */
export function yamlBooleanHint(node: Node | undefined): string | undefined {
  if (!isScalar(node) || node.type !== 'PLAIN' || typeof node.value !== 'string') return undefined;
  const text = node.source ?? node.value;
  return YAML11_BOOLEAN.test(text) ? `YAML 1.2 reads \`${text}\` as a string: write true or false` : undefined;
}

export function quotedNumberHint(input: unknown): string | undefined {
  return typeof input === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(input)
    ? `write the number without quotes: ${input.trim()}`
    : undefined;
}

export function enumValueHint(input: unknown, values: readonly unknown[]): string | undefined {
  if (typeof input !== 'string') return undefined;
  const match = closestMatch(input, values.filter((v): v is string => typeof v === 'string'));
  return match ? `did you mean ${match}?` : undefined;
}

const YAML_ERROR_HINTS: Record<string, string> = {
  TAB_AS_INDENT: 'indent with spaces; YAML does not allow tabs',
  BAD_INDENT: 'keys of one mapping must line up in the same column',
  DUPLICATE_KEY: 'remove one of them, or merge their contents',
  MULTILINE_IMPLICIT_KEY: 'a key and its colon must be on one line; check the indentation above',
  BLOCK_AS_IMPLICIT_KEY: 'check the indentation: a nested mapping must start on its own line',
  MISSING_CHAR: 'a quote, [ or { is not closed',
};

export function yamlErrorHint(code: string, message: string): string | undefined {
  if (/^Flow (sequence|map)/.test(message)) return 'close the [ or { on the same line, or indent the lines inside it';
  return YAML_ERROR_HINTS[code];
}
