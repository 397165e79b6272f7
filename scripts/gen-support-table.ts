// Regenerates the support table from the knob table (src/condor/knobs.ts): the README block between
// <!-- support-table:start --> and <!-- support-table:end -->, and docs/supported-versions.md.
//   npx tsx scripts/gen-support-table.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { supportTableMarkdown, supportedVersionsDoc } from '../src/condor/support.ts';

export const START = '<!-- support-table:start -->';
export const END = '<!-- support-table:end -->';

/** The README with the block between the markers replaced (markers must be there, once each). */
export function withSupportTable(readme: string, table: string): string {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a || readme.indexOf(START, a + 1) >= 0) throw new Error(`README.md needs one ${START} … ${END} block`);
  return `${readme.slice(0, a + START.length)}\n${table}\n${readme.slice(b)}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const readmePath = fileURLToPath(new URL('../README.md', import.meta.url));
  const docPath = fileURLToPath(new URL('../docs/supported-versions.md', import.meta.url));
  writeFileSync(readmePath, withSupportTable(readFileSync(readmePath, 'utf8'), supportTableMarkdown()));
  writeFileSync(docPath, supportedVersionsDoc());
  console.log(`wrote ${readmePath} (support table) and ${docPath}`);
}
