// How `npm test` judges a run: the real-node suites ran, or the run fails with the reason as its last line.
import { relative } from 'node:path';
import type { TestbedStatus } from './global-setup.ts';

export interface Assertion { ancestorTitles: string[]; title: string; status: string; failureMessages?: string[] }
export interface FileResult { name: string; assertionResults: Assertion[] }
export interface Report { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests?: number; testResults: FileResult[] }
export interface Verdict { ran: string[]; line: string; code: number; failed: string[] }

export const UNIT_ONLY = '`npm run test:unit` runs the unit tests alone';

/** vitestCode: vitest's exit code; filtered: the runner named files or options, so not every suite is expected. */
export function judgeRun(root: string, report: Report, status: TestbedStatus | undefined, vitestCode: number, filtered: boolean): Verdict {
  const failed = failedTests(root, report);
  if (status?.reason) return { ran: [], failed, line: `end-to-end tests did not run: ${status.reason}; ${UNIT_ONLY}`, code: 1 };
  // A real-node suite is a top-level describe of a file under test/e2e or test/testbed.
  const suites = new Map<string, boolean>();
  for (const f of report.testResults.filter((r) => /\/test\/(e2e|testbed)\//.test(r.name))) {
    for (const a of f.assertionResults) {
      const key = `${relative(root, f.name)} › ${a.ancestorTitles[0] ?? a.title}`;
      suites.set(key, (suites.get(key) ?? false) || a.status === 'passed' || a.status === 'failed');
    }
  }
  const ran = [...suites].filter(([, r]) => r).map(([k]) => k);
  const notRun = [...suites].filter(([, r]) => !r).map(([k]) => k);
  if (!filtered && ran.length === 0) return { ran, failed, line: `end-to-end tests did not run: no real-node suite was collected; ${UNIT_ONLY}`, code: 1 };
  if (!filtered && notRun.length) {
    return { ran, failed, line: `end-to-end tests did not all run: ${notRun.length} real-node suite(s) skipped (${notRun.join('; ')}); ${UNIT_ONLY}`, code: 1 };
  }
  const totals = `${report.numPassedTests} tests passed, ${report.numFailedTests} failed, ${report.numPendingTests + (report.numTodoTests ?? 0)} skipped`;
  const kvm = status && ran.length ? `; ${status.kvmNote}` : '';
  return { ran, failed, line: `${vitestCode === 0 ? 'PASSED' : 'FAILED'}: ${ran.length} real-node suite(s) ran${filtered ? ' (filtered run)' : ''}; ${totals}${kvm}`, code: vitestCode };
}

/** One line per failed test — file › titles: the first line of its error — so the tail of a CI log names them. */
export function failedTests(root: string, report: Report): string[] {
  const out: string[] = [];
  for (const f of report.testResults) {
    for (const a of f.assertionResults.filter((x) => x.status === 'failed')) {
      const first = (a.failureMessages?.[0] ?? '').split('\n').find((l) => l.trim()) ?? '';
      out.push(`${relative(root, f.name)} › ${[...a.ancestorTitles, a.title].join(' › ')}: ${first.trim().slice(0, 300)}`);
    }
  }
  return out;
}
