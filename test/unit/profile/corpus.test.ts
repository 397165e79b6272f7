import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatIssue, loadProfile } from '../../../src/profile/index.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const brokenDir = `${root}test/fixtures/profiles/broken/`;
const examplesDir = `${root}examples/`;

interface Expected {
  line: number;
  col: number;
  path: string;
  messageIncludes: string;
  hintIncludes?: string;
}

const expected = JSON.parse(readFileSync(`${brokenDir}expected.json`, 'utf8')) as Record<string, Expected>;
const brokenFiles = readdirSync(brokenDir).filter((f) => f.endsWith('.yaml')).sort();
const examples = readdirSync(examplesDir).filter((f) => f.endsWith('.yaml')).sort();

describe('examples', () => {
  it('has examples', () => expect(examples.length).toBeGreaterThanOrEqual(2));

  it.each(examples)('%s loads', (name) => {
    const result = loadProfile(`examples/${name}`, readFileSync(`${examplesDir}${name}`, 'utf8'));
    if (!result.ok) expect.fail(result.issues.map(formatIssue).join('\n'));
    expect(result.profile.apiVersion).toBe('vm-provision/v1');
  });
});

describe('broken profiles', () => {
  it('has a large corpus, each file listed in expected.json', () => {
    expect(brokenFiles.length).toBeGreaterThanOrEqual(20);
    expect(Object.keys(expected).sort()).toEqual(brokenFiles);
  });

  it.each(brokenFiles)('%s is rejected at the right spot', (name) => {
    const want = expected[name]!;
    const result = loadProfile(name, readFileSync(`${brokenDir}${name}`, 'utf8'));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const first = result.issues[0]!;
    const shown = result.issues.map(formatIssue).join('\n');
    expect({ line: first.line, col: first.col, path: first.path }, shown).toEqual({
      line: want.line,
      col: want.col,
      path: want.path,
    });
    expect(first.message, shown).toContain(want.messageIncludes);
    if (want.hintIncludes) expect(first.hint, shown).toContain(want.hintIncludes);
    expect(first.file).toBe(name);
  });
});
