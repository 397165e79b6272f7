import { describe, expect, it } from 'vitest';
import { AgentOutput } from '../../../src/fleet/agent-output.ts';
import { fleetExitCode } from '../../../src/fleet/exit-codes.ts';
import { emptyTotals } from '../../../src/fleet/events.ts';
import { formatRecap } from '../../../src/fleet/recap.ts';
import { fleetStateDir, parseRunRecord, rerunHosts, type RecordLine } from '../../../src/fleet/run-record.ts';
import { runRollout } from '../../../src/fleet/engine.ts';
import { fakeExecutor, planOf } from './helpers.ts';

describe('exit codes', () => {
  const totals = (o: Partial<ReturnType<typeof emptyTotals>>) => ({ ...emptyTotals(), ...o });
  it('0 ok, 1 failed, 2 unreachable only, 3 stopped early, 130 interrupted', () => {
    expect(fleetExitCode({ counts: totals({ ok: 3, changed: 2, pending: 1 }), stopped: false, interrupted: false }, false)).toBe(0);
    expect(fleetExitCode({ counts: totals({ failed: 1, unreachable: 1 }), stopped: false, interrupted: false }, false)).toBe(1);
    expect(fleetExitCode({ counts: totals({ unreachable: 2 }), stopped: false, interrupted: false }, false)).toBe(2);
    expect(fleetExitCode({ counts: totals({ failed: 3, 'not-run': 4 }), stopped: true, interrupted: false }, false)).toBe(3);
    expect(fleetExitCode({ counts: totals({ 'not-run': 4 }), stopped: true, interrupted: true }, true)).toBe(130);
  });
  it('--detailed-exitcodes: Puppet 0/2/4/6 plus 8 unreachable and 16 stopped early', () => {
    expect(fleetExitCode({ counts: totals({ ok: 1 }), stopped: false, interrupted: false }, true)).toBe(0);
    expect(fleetExitCode({ counts: totals({ changed: 1 }), stopped: false, interrupted: false }, true)).toBe(2);
    expect(fleetExitCode({ counts: totals({ pending: 1 }), stopped: false, interrupted: false }, true)).toBe(0);
    expect(fleetExitCode({ counts: totals({ changed: 1, failed: 1 }), stopped: false, interrupted: false }, true)).toBe(6);
    expect(fleetExitCode({ counts: totals({ changed: 1, unreachable: 1 }), stopped: false, interrupted: false }, true)).toBe(10);
    expect(fleetExitCode({ counts: totals({ failed: 1, 'not-run': 1 }), stopped: true, interrupted: false }, true)).toBe(20);
  });
});

describe('recap', () => {
  it('one line per host that is not ok, with step, cause and hint; totals; the --rerun line', async () => {
    const plan = planOf(['wn01', 'wn02', 'wn03', 'wn04', 'wn05', 'wn06'], { batches: [1, 2], maxFail: 0, maxUnreachable: 1, concurrency: 1 });
    const fake = fakeExecutor({
      wn02: { outcome: 'unreachable', unreachable: 'timeout', cause: 'ssh: connect to host wn02 port 22: Connection timed out', hint: 'is it up?' },
      wn03: { outcome: 'failed', failure: 'remote', failedStep: 'restart', cause: 'condor_restart -startd failed (exit 1)', hint: 'read /var/log/condor/MasterLog' },
    });
    const report = await runRollout({ plan, executor: fake.executor, check: false, run: '20250301T101500Z-7f3a', now: (() => { let t = 0; return () => (t += 1000); })() });
    expect(formatRecap(plan, report, { command: 'vm-provision fleet apply pool.yaml' })).toEqual([
      expect.stringMatching(/^RECAP {2}run 20250301T101500Z-7f3a · 6 hosts · 4 batches · \d+s$/),
      'wn02  UNREACHABLE  [timeout] ssh: connect to host wn02 port 22: Connection timed out',
      '                   hint: is it up?',
      'wn03  FAILED       step restart: condor_restart -startd failed (exit 1)',
      '                   hint: read /var/log/condor/MasterLog',
      'not run (3): wn04, wn05, wn06',
      'ok=0 changed=1 pending=0 failed=1 unreachable=1 not-run=3  (max-fail 0, max-unreachable 1; stopped: 1 host failed, more than max-fail 0)',
      'to retry: vm-provision fleet apply pool.yaml --rerun all 20250301T101500Z-7f3a',
    ]);
  });
});

describe('run record', () => {
  const rec: RecordLine[] = parseRunRecord([
    JSON.stringify({ type: 'run', run: 'R', fleet: 'f', file: '/f.yaml', check: false, hosts: ['a', 'b', 'c', 'd', 'e'] }),
    JSON.stringify({ type: 'host', run: 'R', host: 'a', outcome: 'changed' }),
    JSON.stringify({ type: 'host', run: 'R', host: 'b', outcome: 'failed' }),
    JSON.stringify({ type: 'host', run: 'R', host: 'c', outcome: 'unreachable' }),
    JSON.stringify({ type: 'host', run: 'R', host: 'd', outcome: 'not-run' }),
    '{"type":"host","run":"R","host":"e","outc', // cut short by a kill -9
  ].join('\n'));

  it('reads JSON lines, skipping a line cut short', () => {
    expect(rec.map((l) => l.type)).toEqual(['run', 'host', 'host', 'host', 'host']);
  });

  it('rerunHosts: failed, unreachable, or all that did not converge (including hosts never reported)', () => {
    expect(rerunHosts(rec, 'failed')).toEqual(['b']);
    expect(rerunHosts(rec, 'unreachable')).toEqual(['c']);
    expect(rerunHosts(rec, 'all')).toEqual(['b', 'c', 'd', 'e']);
  });

  it('lives under XDG_STATE_HOME or ~/.local/state', () => {
    expect(fleetStateDir('pool', { XDG_STATE_HOME: '/s' }, '/home/u')).toBe('/s/vm-provision/fleet/pool');
    expect(fleetStateDir('pool', {}, '/home/u')).toBe('/home/u/.local/state/vm-provision/fleet/pool');
  });
});

describe('agent output', () => {
  const lines = (...o: object[]) => o.map((x) => JSON.stringify(x)).join('\n') + '\n';

  it('streams step lines across chunk boundaries and decides from the summary', () => {
    const a = new AgentOutput();
    const text = lines(
      { type: 'step', step: 'preflight', status: 'ok', summary: 'HTCondor 23.9.6' },
      { type: 'step', step: 'condor-config', status: 'changed', summary: 'created …' },
      { type: 'summary', counts: { ok: 5, changed: 1 }, changed: true, failed: false, exitCode: 0 },
    );
    const got = [...a.push(text.slice(0, 50)), ...a.push(text.slice(50)), ...a.end()];
    expect(got.map((s) => s.step)).toEqual(['preflight', 'condor-config']);
    expect(a.verdict()).toMatchObject({ outcome: 'changed', steps: { ok: 5, changed: 1, failed: 0 } });
  });

  it('a failed step gives the step, its message and the agent\'s hint', () => {
    const a = new AgentOutput();
    a.push(lines(
      { type: 'step', step: 'verify', status: 'failed', summary: 'no HasVM', error: { message: 'the startd does not advertise HasVM\nmore', hint: 'read VMGahpLog' } },
      { type: 'summary', counts: { failed: 1 }, changed: false, failed: true, exitCode: 1 },
    ));
    expect(a.verdict()).toEqual(expect.objectContaining({ outcome: 'failed', failure: 'remote', failedStep: 'verify', cause: 'the startd does not advertise HasVM', hint: 'read VMGahpLog', agentExitCode: 1 }));
  });

  it('pending (deferred restart), error lines by exit code, and no summary at all', () => {
    const p = new AgentOutput();
    p.push(lines({ type: 'step', step: 'restart', status: 'pending', summary: 'deferred' }, { type: 'summary', counts: { pending: 2 }, changed: true, failed: false }));
    expect(p.verdict()).toMatchObject({ outcome: 'pending', cause: 'restart: deferred' });
    for (const [code, kind] of [[65, 'profile'], [64, 'usage'], [75, 'lock'], [77, 'become']] as const) {
      const e = new AgentOutput();
      e.push(lines({ type: 'error', code: 'X', message: 'm', hint: 'h', exitCode: code }));
      expect(e.verdict()).toMatchObject({ outcome: 'failed', failure: kind, cause: 'm', hint: 'h' });
    }
    const lost = new AgentOutput();
    lost.push('{"type":"step","step":"packages","status":"ok","summary":"x"}\nnode: not found\n');
    expect(lost.complete).toBe(false);
    expect(lost.verdict()).toBeUndefined();
  });
});
