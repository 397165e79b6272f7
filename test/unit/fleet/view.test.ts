// The fleet's terminal view: event → row mapping as pure logic, then listr2 drawing it into a fake terminal.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runFleetWithListr } from '../../../src/cli/render-fleet-listr.ts';
import type { FleetReport } from '../../../src/fleet/engine.ts';
import { emptyTotals, type AgentStepLine, type FleetEvent, type HostResult, type PlanView } from '../../../src/fleet/events.ts';
import { plainFleetRenderer } from '../../../src/fleet/render.ts';
import { batchTitle, currentStep, diffLines, hostRowEnd, hostRowTitle, initialView, reduceView } from '../../../src/fleet/view.ts';

const STEPS = ['preflight', 'packages', 'services', 'condor-config', 'restart', 'verify'].map((id) => ({ id, title: id }));
const PLAN: PlanView = {
  fleet: 'pool', file: '/f.yaml', hosts: 3, concurrency: 2, hostTimeout: 600, check: false,
  batches: [{ index: 1, hosts: ['wn1'], canary: true }, { index: 2, hosts: ['wn2', 'wn3'], canary: false }],
  maxFail: { spec: 0, limit: 0 }, maxUnreachable: { spec: 0, limit: 0 },
};
const step = (s: string, status: AgentStepLine['status'], extra: Partial<AgentStepLine> = {}): AgentStepLine => ({ type: 'step', step: s, status, summary: `${s} ${status}`, ...extra });
const result = (host: string, batch: number, r: Partial<HostResult>): HostResult => ({ host, address: host, batch, outcome: 'ok', profile: '/p.yaml', durationMs: 1234, ...r });
const ev = {
  batch: (batch: number, hosts: string[]): FleetEvent => ({ type: 'batch-start', run: 'r', batch, hosts, canary: batch === 1 }),
  start: (host: string, batch: number): FleetEvent => ({ type: 'host-start', run: 'r', host, batch }),
  step: (host: string, batch: number, s: AgentStepLine): FleetEvent => ({ type: 'host-step', run: 'r', host, batch, step: s }),
  done: (host: string, batch: number, r: Partial<HostResult>): FleetEvent => ({ type: 'host-done', run: 'r', host, batch, result: result(host, batch, r) }),
  gate: (batch: number, ok: boolean, message: string): FleetEvent => ({ type: 'batch-gate', run: 'r', batch, ok, message }),
};

describe('fleet view (pure)', () => {
  it('a row per host under its batch; a running host shows the step it is on, not the last one reported', () => {
    const v = initialView(PLAN, () => STEPS);
    expect(v.batches.map((b) => [b.batch, b.hosts])).toEqual([[1, ['wn1']], [2, ['wn2', 'wn3']]]);
    const wn1 = v.rows.get('wn1')!;
    expect(hostRowTitle(wn1)).toBe('wn1  waiting');
    expect(reduceView(v, ev.start('wn1', 1))).toEqual(['wn1']);
    expect(hostRowTitle(wn1)).toBe('wn1  connecting, then preflight');
    reduceView(v, ev.step('wn1', 1, step('preflight', 'ok')));
    reduceView(v, ev.step('wn1', 1, step('packages', 'ok')));
    expect(currentStep(wn1)).toEqual({ index: 2, step: STEPS[2] });
    expect(hostRowTitle(wn1)).toBe('wn1  step 3/6 services');
    reduceView(v, ev.step('wn1', 1, step('services', 'ok')));
    reduceView(v, ev.step('wn1', 1, step('condor-config', 'changed')));
    expect(hostRowTitle(wn1)).toBe('wn1  step 5/6 restart  (changed condor-config)');
    reduceView(v, ev.step('wn1', 1, step('restart', 'changed')));
    reduceView(v, ev.step('wn1', 1, step('verify', 'ok')));
    expect(hostRowTitle(wn1)).toBe('wn1  finishing  (changed condor-config, restart)');
    expect(hostRowEnd(wn1)).toBeUndefined();
    reduceView(v, ev.done('wn1', 1, { outcome: 'changed' }));
    expect(hostRowTitle(wn1)).toBe('✚ wn1  changed: condor-config, restart (1.2 s)');
    expect(hostRowEnd(wn1)).toBe('done');
  });

  it('failed and unreachable rows end ✖ with their cause; not-run rows are skipped; the batch title counts and shows the gate', () => {
    const v = initialView(PLAN, () => STEPS);
    reduceView(v, ev.batch(2, ['wn2', 'wn3']));
    reduceView(v, ev.start('wn2', 2));
    reduceView(v, ev.step('wn2', 2, step('preflight', 'ok')));
    reduceView(v, ev.step('wn2', 2, step('packages', 'failed')));
    const b2 = v.batches[1]!;
    expect(hostRowTitle(v.rows.get('wn2')!)).toBe('wn2  step 3/6 services  (packages failed)');
    expect(batchTitle(v, b2)).toBe('batch 2: 2 hosts, 0/2 done');
    reduceView(v, ev.done('wn2', 2, { outcome: 'failed', failure: 'remote', failedStep: 'packages', cause: 'apt-get: 404 Not Found' }));
    reduceView(v, ev.done('wn3', 2, { outcome: 'unreachable', unreachable: 'refused', cause: 'ssh: connect to host wn3 port 22: Connection refused' }));
    expect(hostRowTitle(v.rows.get('wn2')!)).toBe('wn2  failed at packages: apt-get: 404 Not Found (1.2 s)');
    expect(hostRowTitle(v.rows.get('wn3')!)).toBe('wn3  unreachable (refused): ssh: connect to host wn3 port 22: Connection refused');
    expect([hostRowEnd(v.rows.get('wn2')!), hostRowEnd(v.rows.get('wn3')!)]).toEqual(['failed', 'failed']);
    reduceView(v, ev.done('wn1', 1, { outcome: 'not-run', durationMs: 0 }));
    expect(hostRowEnd(v.rows.get('wn1')!)).toBe('skipped');
    expect(hostRowTitle(v.rows.get('wn1')!)).toBe('wn1  not run');
    reduceView(v, ev.gate(2, false, '1/1 not advertising the VM universe'));
    expect(batchTitle(v, b2)).toBe('batch 2: 2 hosts; gate FAILED: 1/1 not advertising the VM universe');
    expect(batchTitle(v, v.batches[0]!)).toBe('batch 1 (canary): 1 host');
  });

  it('--diff: the diffs the agent reported, per host', () => {
    const v = initialView(PLAN, () => STEPS);
    reduceView(v, ev.step('wn1', 1, step('condor-config', 'changed', { diff: '--- a\n+++ b\n-VM_MEMORY = 1024\n+VM_MEMORY = 2048\n' })));
    reduceView(v, ev.step('wn2', 2, step('condor-config', 'ok', { diff: '' })));
    expect(diffLines(v)).toEqual(['--- wn1: condor-config', '--- a', '+++ b', '-VM_MEMORY = 1024', '+VM_MEMORY = 2048']);
  });
});

describe('plain lines', () => {
  it('--diff adds the agent\'s diff under the changed step, tagged with the host; without it, only the step line', () => {
    const e = ev.step('wn1', 1, step('condor-config', 'changed', { diff: '-VM_MEMORY = 1024\n+VM_MEMORY = 2048\n' }));
    const withDiff: string[] = [];
    plainFleetRenderer((l) => withDiff.push(l), { diff: true })(e);
    expect(withDiff).toEqual(['  wn1  [changed] condor-config: condor-config changed', '  wn1  -VM_MEMORY = 1024', '  wn1  +VM_MEMORY = 2048']);
    const without: string[] = [];
    plainFleetRenderer((l) => without.push(l))(e);
    expect(without).toEqual(['  wn1  [changed] condor-config: condor-config changed']);
  });
});

describe('fleet view drawn by listr2', () => {
  it('batch rows with their hosts under them, each ending as the view says', async () => {
    let buf = '';
    const stream = new Writable({ write(c, _e, cb) { buf += String(c); cb(); } }) as unknown as NodeJS.WriteStream;
    Object.assign(stream, { isTTY: true, columns: 200, rows: 50 });
    const header: string[] = [];
    const report = await runFleetWithListr(async (onEvent) => {
      onEvent({ type: 'run-start', run: 'r', plan: PLAN, warnings: [] });
      onEvent(ev.batch(1, ['wn1']));
      onEvent(ev.start('wn1', 1));
      onEvent(ev.step('wn1', 1, step('preflight', 'ok')));
      onEvent(ev.done('wn1', 1, { outcome: 'ok' }));
      onEvent(ev.gate(1, true, '1/1 advertise HasVM'));
      onEvent(ev.batch(2, ['wn2', 'wn3']));
      onEvent(ev.start('wn2', 2));
      onEvent(ev.done('wn2', 2, { outcome: 'failed', failedStep: 'verify', cause: 'HasVM is false' }));
      onEvent(ev.done('wn3', 2, { outcome: 'not-run', durationMs: 0 }));
      return { run: 'r', results: [], counts: emptyTotals(), stopped: true, interrupted: false, durationMs: 1, exitCode: 4 } satisfies FleetReport;
    }, { stepsOf: () => STEPS, out: (l) => header.push(l), header: (e) => [`fleet ${e.plan.fleet}`], stream });
    expect(report.exitCode).toBe(4);
    expect(header).toEqual(['fleet pool']);
    // eslint-disable-next-line no-control-regex
    const frame = buf.replace(/\x1b\[\?25[lh]/g, '').split(/\x1b\[G/).at(-1)!.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').trimEnd();
    const lines = frame.split('\n').map((l) => l.trimEnd());
    expect(lines[0]).toMatch(/batch 1 \(canary\): 1 host; gate passed: 1\/1 advertise HasVM$/);
    expect(lines[1]).toMatch(/^\s+✔ wn1 {2}ok \(1\.2 s\)$/);
    expect(lines[2]).toMatch(/batch 2: 2 hosts$/);
    expect(lines[3]).toMatch(/^\s+✖ wn2 {2}failed at verify: HasVM is false \(1\.2 s\)$/);
    expect(lines[4]).toMatch(/^\s+↓ wn3 {2}not run$/);
  });
});
