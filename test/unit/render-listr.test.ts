// The terminal renderer (listr2), rendered into a stream: a changed step looks unlike an ok one, and a failed step's
// cause is not said on its line (the error block after the list says it, once).
import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { runWithListr, stepView } from '../../src/cli/render-listr.ts';
import type { RunEvent, RunReport } from '../../src/engine/events.ts';

type StepEvent = Extract<RunEvent, { type: 'step' }>;
const CAUSE = "libvirt not reachable: Failed to connect socket to '/var/run/libvirt/libvirt-sock': Connection refused";
const step = (step: string, status: StepEvent['status'], summary: string, extra: Partial<StepEvent> = {}): StepEvent =>
  ({ type: 'step', step, title: step, status, summary, changes: [], warnings: [], ms: 1, ...extra });

const EVENTS: StepEvent[] = [
  step('preflight', 'ok', 'HTCondor 23.9.6, /dev/kvm present'),
  step('condor-config', 'changed', 'created /etc/condor/config.d/50-vm-universe.config'),
  step('restart', 'changed', 'condor_restart -startd: config changed'),
  step('verify', 'failed', CAUSE, { error: { code: 'VERIFY', message: CAUSE, hint: 'systemctl unmask libvirtd' } }),
];

/** Renders a run through runWithListr into a fake terminal; returns the last frame. */
async function render(events: StepEvent[]): Promise<string> {
  let buf = '';
  const stream = new Writable({ write(c, _e, cb) { buf += String(c); cb(); } }) as unknown as NodeJS.WriteStream;
  Object.assign(stream, { isTTY: true, columns: 200, rows: 50 });
  await runWithListr(async (onEvent) => {
    onEvent({ type: 'start', host: 'n', profile: '/p.yaml', check: false, steps: events.map((e) => ({ id: e.step, title: e.step })) });
    for (const e of events) onEvent(e);
    return { host: 'n', profile: '/p.yaml', check: false, steps: [], counts: { ok: 1, changed: 2, failed: 1, skipped: 0, pending: 0 }, changed: true, failed: true, ms: 5 } satisfies RunReport;
  }, { stream });
  // eslint-disable-next-line no-control-regex
  const frames = buf.replace(/\x1b\[\?25[lh]/g, '').split(/\x1b\[G/);
  // eslint-disable-next-line no-control-regex
  return frames.at(-1)!.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').trimEnd();
}

describe('terminal renderer', () => {
  it('ok ✔, changed ✚ with the word, failed ✖ without repeating the cause', async () => {
    const frame = await render(EVENTS);
    expect(frame.split('\n')).toEqual([
      '✔ preflight: HTCondor 23.9.6, /dev/kvm present',
      '✚ changed condor-config: created /etc/condor/config.d/50-vm-universe.config',
      '✚ changed restart: condor_restart -startd: config changed',
      '✖ verify: failed (why: below)',
    ]);
    expect(frame).not.toContain('Connection refused');
  });

  it('a skipped step shows why it did not run; a pending one says pending', async () => {
    const frame = await render([step('restart', 'pending', 'deferred: run vm-provision again after booting into Xen'), step('verify', 'skipped', 'not run: step restart failed')]);
    expect(frame.split('\n')).toEqual(['◷ pending restart: deferred: run vm-provision again after booting into Xen', '↓ verify: not run: step restart failed']);
  });

  it('stepView: a failure without an error block keeps its reason on the line; warnings stay on their step', () => {
    expect(stepView(step('verify', 'failed', 'HasVM false after 900 s'))).toEqual({ title: 'verify: failed: HasVM false after 900 s', outcome: 'failed' });
    expect(stepView(step('services', 'ok', 'libvirtd running', { warnings: ['libvirtd.socket disabled'] })).title).toBe('✔ services: libvirtd running (warning: libvirtd.socket disabled)');
    expect(stepView(step('packages', 'changed', 'installed x'), { green: (s) => `G(${s})`, yellow: (s) => `Y(${s})`, cyan: (s) => s, dim: (s) => s }).title).toBe('Y(✚ changed) packages: installed x');
  });
});
