import { isMap, isSeq, LineCounter, parseAllDocuments, type Document, type YAMLError, type YAMLWarning } from 'yaml';
import { yamlErrorHint } from './hints.ts';
import { dottedPath, sortAndDedupe, type PathSegment, type ProfileIssue } from './issues.ts';
import { MAX_PROFILE_BYTES } from './limits.ts';
import { createLocator, type Locator, type Position } from './positions.ts';
import { nestingTooDeep, unsafeIntegers } from './yaml-limits.ts';
import { HostProfileSchema, type Profile } from './schema.ts';
import { toProfileIssues } from './zod-issues.ts';

export type LoadResult =
  | { ok: true; profile: Profile; file: string; positionOf(path: (string | number)[]): { line: number; col: number } }
  | { ok: false; issues: ProfileIssue[] };

const EXPECTED_TOP = 'a mapping with apiVersion, kind, metadata, hypervisor and condor';

function fail(issues: ProfileIssue[]): LoadResult {
  return { ok: false, issues: sortAndDedupe(issues) };
}

function documentIssue(file: string, message: string, at: Position = { line: 1, col: 1 }, hint?: string): ProfileIssue {
  return { file, line: at.line, col: at.col, path: '', message, ...(hint ? { hint } : {}) };
}

function yamlIssue(file: string, error: YAMLError, lineCounter: LineCounter, text: string, locator: Locator): ProfileIssue {
  const at = lineCounter.linePos(error.pos[0]);
  const hint = yamlErrorHint(error.code, error.message);
  if (error.code === 'DUPLICATE_KEY') {
    const path: PathSegment[] = locator.pathAtOffset(error.pos[0]);
    const key = path.length > 0 ? String(path[path.length - 1]) : text.slice(error.pos[0], error.pos[1]);
    return { file, ...at, path: dottedPath(path), message: `duplicate key "${key}"`, ...(hint ? { hint } : {}) };
  }
  return { file, ...at, path: '', message: `invalid YAML: ${error.message}`, ...(hint ? { hint } : {}) };
}

function warningIssue(file: string, warning: YAMLWarning, lineCounter: LineCounter, text: string, locator: Locator): ProfileIssue {
  const at = lineCounter.linePos(warning.pos[0]);
  const path = dottedPath(locator.pathAtOffset(warning.pos[0]));
  if (warning.code === 'TAG_RESOLVE_FAILED' || warning.code === 'BAD_COLLECTION_TYPE') {
    const tag = text.slice(warning.pos[0], warning.pos[1]);
    // A node's range starts after its tag: find the path at the value the tag stands before.
    const valueAt = warning.pos[1] + (/^[ \t]*/.exec(text.slice(warning.pos[1], warning.pos[1] + 200))?.[0].length ?? 0);
    return {
      file, ...at, path: dottedPath(locator.pathAtOffset(valueAt)),
      message: `unknown YAML tag ${tag}: a profile holds plain strings, numbers, booleans, lists and mappings`,
      hint: `remove ${tag}`,
    };
  }
  return { file, ...at, path, message: `invalid YAML: ${warning.message}` };
}

function describeTop(doc: Document): string {
  if (isSeq(doc.contents)) return 'a list';
  const value = doc.toJS() as unknown;
  return typeof value === 'string' ? `the text ${JSON.stringify(value.slice(0, 40))}` : `${typeof value} ${String(value)}`;
}

/** Parses and validates a host profile. Pure: the caller reads the file. */
export function loadProfile(file: string, text: string): LoadResult {
  if (Buffer.byteLength(text, 'utf8') > MAX_PROFILE_BYTES) {
    return fail([documentIssue(file, `the profile is larger than ${MAX_PROFILE_BYTES / 1024 / 1024} MiB: a host profile is a few hundred bytes`)]);
  }
  // yaml composes nodes recursively: refuse deep nesting before it can exhaust the stack.
  const deep = nestingTooDeep(text);
  if (deep) return fail([documentIssue(file, deep.message, deep.at)]);

  const lineCounter = new LineCounter();
  // prettyErrors off: we place errors ourselves and want yaml's bare message.
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  if (docs.length === 0) {
    return fail([documentIssue(file, `the profile is empty: expected ${EXPECTED_TOP}`)]);
  }

  const issues: ProfileIssue[] = [];
  for (const doc of docs) {
    const locator = createLocator(doc, lineCounter);
    issues.push(...doc.errors.map((e) => yamlIssue(file, e, lineCounter, text, locator)));
    // Unknown tags (!foo, !!js/function) are only warnings to yaml; a profile has no use for them.
    issues.push(...doc.warnings.map((w) => warningIssue(file, w, lineCounter, text, locator)));
    issues.push(...unsafeIntegers(doc).map((u) => ({ file, ...lineCounter.linePos(u.offset), path: dottedPath(locator.pathAtOffset(u.offset)), message: u.message })));
  }
  if (docs.length > 1) {
    const second = docs[1]!;
    issues.push(
      documentIssue(
        file,
        `found ${docs.length} YAML documents; a profile file holds exactly one`,
        lineCounter.linePos(second.range[0]),
        'remove the "---" line and everything after it, or move the other document to its own file',
      ),
    );
  }
  if (issues.length > 0) return fail(issues);

  const doc = docs[0]!;
  if (doc.contents === null) {
    return fail([documentIssue(file, `the profile is empty: expected ${EXPECTED_TOP}`)]);
  }
  if (!isMap(doc.contents)) {
    return fail([documentIssue(file, `the top level must be ${EXPECTED_TOP}, got ${describeTop(doc)}`)]);
  }

  let data: unknown;
  try {
    data = doc.toJS();
  } catch (error) {
    // e.g. too many alias expansions
    return fail([documentIssue(file, `cannot read the YAML: ${(error as Error).message}`)]);
  }

  const locator = createLocator(doc, lineCounter);
  const parsed = HostProfileSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) {
    return fail(toProfileIssues(parsed.error.issues, { file, schema: HostProfileSchema, data, locator }));
  }
  return { ok: true, profile: parsed.data, file, positionOf: (path) => locator.positionOf(path) };
}
