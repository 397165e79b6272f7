// `npm test`: the unit tests and the real-node suites — or a failure saying why the real-node suites did not run.
// Skipping them is the runner's explicit choice (VMP_SKIP_E2E=1), never the default. The last line says what ran.
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { STATUS_ENV, type TestbedStatus } from '../test/testbed/global-setup.ts';
import { judgeRun, type Report } from '../test/testbed/judge.ts';

const ROOT = resolve(import.meta.dirname, '..');
const SKIP_ENV = 'VMP_SKIP_E2E';
const VITEST = join(ROOT, 'node_modules/.bin/vitest');

const args = process.argv.slice(2);
const finish = (line: string, code: number): never => { process.stdout.write(`\n${line}\n`); process.exit(code); };

if (process.env[SKIP_ENV] === '1') {
  const r = await execa(VITEST, ['run', '--project', 'unit', ...args], { stdio: 'inherit', reject: false });
  finish(`end-to-end tests skipped because ${SKIP_ENV}=1 was set: 0 real-node suites ran; unit tests ${r.exitCode === 0 ? 'passed' : 'FAILED'}`, r.exitCode ?? 1);
}

const dir = mkdtempSync(join(tmpdir(), 'vmp-test-'));
const statusFile = join(dir, 'testbed.json');
const reportFile = join(dir, 'report.json');
const run = await execa(VITEST, ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${reportFile}`, ...args], {
  stdio: 'inherit', reject: false, env: { [STATUS_ENV]: statusFile },
});
const code = run.exitCode ?? 1;
const status = existsSync(statusFile) ? JSON.parse(readFileSync(statusFile, 'utf8')) as TestbedStatus : undefined;
const report = existsSync(reportFile) ? JSON.parse(readFileSync(reportFile, 'utf8')) as Report : undefined;
rmSync(dir, { recursive: true, force: true });

if (!report) finish(`vitest wrote no report (exit ${code}): see the output above`, code || 1);

const verdict = judgeRun(ROOT, report!, status, code, args.length > 0);
process.stdout.write(`\nreal-node suites that ran:\n${verdict.ran.map((s) => `  ${s}`).join('\n') || '  (none)'}\n`);
if (verdict.failed.length) process.stdout.write(`\nfailed tests:\n${verdict.failed.map((s) => `  ${s}`).join('\n')}\n`);
finish(verdict.line, verdict.code);
