// `npm test` fails, saying why, when the real-node suites did not run; its last line counts those that ran.
import { describe, expect, it } from 'vitest';
import { judgeRun, type Report } from '../../test/testbed/judge.ts';
import type { TestbedStatus } from '../../test/testbed/global-setup.ts';
import { hostPackageManager } from '../../test/testbed/prereqs.ts';

const ROOT = '/repo';
const ok: TestbedStatus = { reason: '', kvm: 'placeholder', kvmNote: 'placeholder /dev/kvm: no hardware virtualization here; VMs cannot start, the rest is real', hostTools: [], setupSeconds: 1 };
const file = (rel: string, ...tests: Array<[suite: string, status: string]>) => ({
  name: `${ROOT}/${rel}`, assertionResults: tests.map(([suite, status], i) => ({ ancestorTitles: [suite], title: `t${i}`, status })),
});
const report = (...files: ReturnType<typeof file>[]): Report => ({ numPassedTests: 3, numFailedTests: 0, numPendingTests: 0, testResults: files });
const unit = file('test/unit/a.test.ts', ['unit', 'passed']);

describe('judgeRun', () => {
  it('the testbed could not be prepared: fails with the reason and the unit-only command, whatever vitest said', () => {
    const v = judgeRun(ROOT, report(unit, file('test/e2e/a.test.ts', ['apply', 'skipped'])), { ...ok, reason: 'the testbed needs root' }, 0, false);
    expect(v.code).toBe(1);
    expect(v.line).toBe('end-to-end tests did not run: the testbed needs root; `npm run test:unit` runs the unit tests alone');
  });

  it('no real-node suite collected: fails', () => {
    expect(judgeRun(ROOT, report(unit), ok, 0, false)).toMatchObject({ code: 1, line: expect.stringMatching(/^end-to-end tests did not run: no real-node suite/) });
  });

  it('one suite skipped while others ran: fails naming it', () => {
    const v = judgeRun(ROOT, report(unit, file('test/e2e/a.test.ts', ['apply', 'passed'], ['xen', 'skipped'])), ok, 0, false);
    expect(v.code).toBe(1);
    expect(v.line).toContain('1 real-node suite(s) skipped (test/e2e/a.test.ts › xen)');
  });

  it('all ran: the last line counts the suites and says what /dev/kvm was; vitest\'s exit code is kept', () => {
    const r = report(unit, file('test/e2e/a.test.ts', ['apply', 'passed'], ['apply', 'passed']), file('test/testbed/t.test.ts', ['bare', 'failed']));
    const v = judgeRun(ROOT, r, ok, 1, false);
    expect(v.ran).toEqual(['test/e2e/a.test.ts › apply', 'test/testbed/t.test.ts › bare']);
    expect(v.code).toBe(1);
    expect(v.line).toBe(`FAILED: 2 real-node suite(s) ran; 3 tests passed, 0 failed, 0 skipped; ${ok.kvmNote}`);
    expect(v.failed).toEqual(['test/testbed/t.test.ts › bare › t0: ']);
  });

  it('failed tests are named with the first line of their error, so the tail of a CI log says which', () => {
    const r = report(unit, file('test/e2e/a.test.ts', ['apply', 'passed']));
    r.testResults[1]!.assertionResults.push({ ancestorTitles: ['apply'], title: 'restart', status: 'failed', failureMessages: ['\nError: timed out waiting for job 3.0 to run\n    at waitFor (a.ts:1)'] });
    expect(judgeRun(ROOT, r, ok, 1, false).failed).toEqual(['test/e2e/a.test.ts › apply › restart: Error: timed out waiting for job 3.0 to run']);
  });

  it('a filtered run (files named) does not require every suite', () => {
    expect(judgeRun(ROOT, report(unit), ok, 0, true)).toMatchObject({ code: 0, line: expect.stringMatching(/^PASSED: 0 real-node suite\(s\) ran \(filtered run\)/) });
  });
});

describe('hostPackageManager', () => {
  it('Debian and Ubuntu (directly or through ID_LIKE) use apt-get; others are not known', () => {
    expect(hostPackageManager({ ID: 'debian' })).toBe('apt-get');
    expect(hostPackageManager({ ID: 'linuxmint', ID_LIKE: 'ubuntu debian' })).toBe('apt-get');
    expect(hostPackageManager({ ID: 'fedora' })).toBeUndefined();
    expect(hostPackageManager({ ID: 'rocky', ID_LIKE: 'rhel centos fedora' })).toBeUndefined();
  });
});
