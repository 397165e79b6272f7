// Parses and validates a fleet file. Pure: the caller reads the file.
import { isMap, LineCounter, parseAllDocuments } from 'yaml';
import { createLocator, type Locator } from '../profile/index.ts';
import { fleetKeysAt } from './json-schema.ts';
import { zodToIssues, type FleetIssue } from './issues.ts';
import { FleetSchema, type FleetSpec } from './schema.ts';

export type FleetLoadResult =
  | { ok: true; fleet: FleetSpec; file: string; locator: Locator }
  | { ok: false; issues: FleetIssue[] };

const EXPECTED = 'a mapping with apiVersion, kind, metadata, inventory and profiles';

function sorted(issues: FleetIssue[]): FleetIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = JSON.stringify([i.line, i.col, i.path, i.message]);
    return seen.has(key) ? false : (seen.add(key), true);
  }).sort((a, b) => a.line - b.line || a.col - b.col);
}

export function loadFleet(file: string, text: string): FleetLoadResult {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  const at1 = { line: 1, col: 1 };
  if (docs.length === 0) return { ok: false, issues: [{ file, ...at1, path: '', message: `the fleet file is empty: expected ${EXPECTED}` }] };
  const issues: FleetIssue[] = [];
  for (const doc of docs) {
    for (const e of doc.errors) {
      const pos = lineCounter.linePos(e.pos[0]);
      issues.push({ file, ...pos, path: '', message: e.code === 'DUPLICATE_KEY' ? `duplicate key: ${e.message}` : `invalid YAML: ${e.message}`,
        ...(e.code === 'TAB_AS_INDENT' ? { hint: 'indent with spaces; YAML does not allow tabs' } : {}) });
    }
  }
  if (docs.length > 1) {
    issues.push({ file, ...lineCounter.linePos(docs[1]!.range[0]), path: '', message: `found ${docs.length} YAML documents; a fleet file holds exactly one`,
      hint: 'remove the "---" line and everything after it' });
  }
  if (issues.length) return { ok: false, issues: sorted(issues) };
  const doc = docs[0]!;
  if (!isMap(doc.contents)) {
    return { ok: false, issues: [{ file, ...at1, path: '', message: doc.contents === null ? `the fleet file is empty: expected ${EXPECTED}` : `the top level must be ${EXPECTED}` }] };
  }
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (e) {
    return { ok: false, issues: [{ file, ...at1, path: '', message: `cannot read the YAML: ${(e as Error).message}` }] };
  }
  const locator = createLocator(doc, lineCounter);
  const parsed = FleetSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) {
    const kind = (data as { kind?: unknown }).kind;
    const found = zodToIssues(parsed.error.issues, { file, data, locator, keysAt: fleetKeysAt });
    if (kind === 'HostProfile') found.unshift({ file, ...locator.positionOf(['kind']), path: 'kind', message: 'this is a host profile, not a fleet file', hint: 'run `vm-provision apply` with a host profile; `vm-provision fleet` takes a file with kind: Fleet' });
    return { ok: false, issues: sorted(found) };
  }
  return { ok: true, fleet: parsed.data, file, locator };
}
