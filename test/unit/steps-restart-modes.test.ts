// The restart and verify steps in each mode against the fake startd (captured slot ads, a job that ends when the
// test says): argv, journal (pending drain with its request id), waiting with progress, cancel on timeout, the
// next run continuing or cancelling a killed run's drain, and the staged Xen branches.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { restart } from '../../src/steps/restart.ts';
import { polling, verify } from '../../src/steps/verify.ts';
import { preflight } from '../../src/steps/preflight.ts';
import { JOURNAL_FILE } from '../../src/engine/journal.ts';
import { isVmpError, type VmpError } from '../../src/errors/vmp-error.ts';
import { detectXenRole } from '../../src/xen/dom0.ts';
import { FakeHost, FakeStartd, output } from '../helpers/fake-host.ts';
import { DROP_IN, HOST, exampleText, factsFixture, makeContext, profileFrom } from '../helpers/facts-fixture.ts';

const JOB_START = 1796139129;
const MEMORY = ['condor_config_val', '-startd', '-v', 'VM_MEMORY'];
const withRestart = (restart: string) => profileFrom(undefined, [['restart: startd', `restart: ${restart}`], ['timeout: 900', 'timeout: 10']]);

/** A node with the captured busy slot ads (job 1.0 on slot1_1 since JOB_START), `running` seconds into the job. */
function busyNode(running: number, fixture = 'condor_status-l-busy.stdout') {
  const host = new FakeHost({ now: JOB_START + running }).dir('/var/lib').file(DROP_IN, 'new\n');
  const startd = new FakeStartd(host, output(fixture), { machine: HOST });
  // The restarted startd advertises the VM universe (the real one runs the gahp test at start).
  const advertise = () => { for (const ad of startd.ads) ad.set('HasVM', 'true').set('VM_Type', '"kvm"').set('VM_Memory', '1024'); };
  host.on(MEMORY, { stdout: 'VM_MEMORY = 1024\n # at: /etc/condor/config.d/50-vm-universe.config, line 8\n # raw: VM_MEMORY = 1024\n\n' });
  return { host, startd, advertise };
}

/** Each condor_status moves the node clock and Date by `step` seconds (verify's deadlines use Date). */
function ticking(host: FakeHost, startd: FakeStartd, step: number, onTick: () => void = () => undefined) {
  const inner = startd;
  host.on((c) => c.cmd === 'condor_status' && c.args[0] === '-af:t', (c) => {
    host.advance(step);
    vi.setSystemTime(Date.now() + step * 1000);
    onTick();
    return (inner as unknown as { status(a: string[]): { stdout: string } }).status(c.args);
  });
}

async function failure(p: Promise<unknown>): Promise<VmpError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  if (!isVmpError(e)) throw new Error(`expected a VmpError, got ${String(e)}`);
  return e;
}

const saved = { ...polling };
beforeEach(() => { Object.assign(polling, { idleMs: 0, busyMinMs: 0, busyMaxMs: 0 }); });
afterEach(() => { vi.useRealTimers(); Object.assign(polling, saved); });

describe('graceful', () => {
  it('names the running job in the plan, restarts with condor_off -startd + condor_on -startd, and the job is vacated', async () => {
    const { host, startd } = busyNode(7980);
    const plan = await restart.run(makeContext({ host, check: true, state: { restartReason: 'config would change' } }));
    expect(plan.summary).toBe('would restart the startd gracefully (condor_off -startd, then condor_on -startd): config would change; MaxJobRetirementTime is 0 s here — 1 running job would be vacated (slot1_1 vmpuser job 1.0 2h13m)');
    expect(plan.cost).toMatchObject({ mode: 'graceful', jobsVacated: true, runningJobs: [{ slot: 'slot1_1', owner: 'vmpuser', jobId: '1.0', runningSeconds: 7980 }] });
    expect(host.mutations()).toEqual([]);
    const r = await restart.run(makeContext({ host, state: { restartReason: 'config changed' } }));
    expect(r.status).toBe('changed');
    expect([...host.callsOf('condor_off'), ...host.callsOf('condor_on')].map((c) => c.argv)).toEqual([['condor_off', '-startd'], ['condor_on', '-startd']]);
    expect(startd.vacated).toEqual(['1.0']);
  });
});

describe('peaceful', () => {
  it('condor_restart -peaceful -startd; verify waits for the job with progress, then for HasVM; the job completes', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { host, startd, advertise } = busyNode(60);
    startd.ends.set('slot1_1@' + HOST, JOB_START + 90);
    startd.restartDelay = 10;
    ticking(host, startd, 5, () => { if (startd.events.some((e) => e.what.startsWith('restart'))) advertise(); });
    const ctx = makeContext({ host, profile: withRestart('{mode: peaceful, timeout: 600}'), state: { restartReason: 'config changed', configChanged: true, configPath: DROP_IN, configBefore: 'old\n' } });
    const r = await restart.run(ctx);
    expect(r.changes).toEqual(['condor_restart -peaceful -startd']);
    expect(r.summary).toContain('peaceful: waits for 1 running job (longest running 1m05s)');
    expect(r.summary).toContain('(verify waits up to 600 s for them)');
    const v = await verify.run(ctx);
    expect(v.status).toBe('ok');
    expect(v.summary).toMatch(/waiting for the peaceful restart/);
    expect(startd.completed).toEqual(['1.0']);
    expect(startd.vacated).toEqual([]);
    expect(ctx.messages[0]).toMatch(/^waiting for 1 job to finish \(slot1_1 vmpuser job 1\.0 1m\d\ds\), \d+ s so far$/);
    expect(ctx.messages.some((m) => m.startsWith('no job running, waiting for the startd to restart'))).toBe(true);
    expect(host.callsOf('condor_restart')).toHaveLength(1);
    expect(JSON.parse(host.content(JOURNAL_FILE)!).pendingRestart).toBeUndefined();
  });

  it('timeout: fails naming the job and the time waited; no second restart; config rolled back (the startd never left it)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { host, startd } = busyNode(60);
    ticking(host, startd, 4);
    const ctx = makeContext({ host, profile: withRestart('{mode: peaceful, timeout: 20}'), state: { restartReason: 'config changed', configChanged: true, configPath: DROP_IN, configBefore: 'old\n' } });
    await restart.run(ctx);
    const e = await failure(verify.run(ctx));
    expect(e.code).toBe('RESTART');
    expect(e.message).toMatch(/^the startd did not restart within condor\.restart\.timeout 20 s \(waited 2\ds\): 1 job still running \(slot1_1 vmpuser job 1\.0 1m\d\ds\)/);
    expect(e.message).toContain('a peaceful restart cannot be called off');
    expect(e.message).toContain(`the previous config was put back in ${DROP_IN} (the running startd never left it: no restart)`);
    expect(host.content(DROP_IN)).toBe('old\n');
    expect(host.callsOf('condor_restart')).toHaveLength(1);
    expect(startd.vacated).toEqual([]);
  });
});

describe('drain', () => {
  it('condor_drain against MyAddress with the reason; the request id is journalled before verify waits; completion restarts', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { host, startd, advertise } = busyNode(60);
    startd.set('MaxJobRetirementTime', '1200');
    startd.ends.set('slot1_1@' + HOST, JOB_START + 90);
    ticking(host, startd, 5, () => { if (startd.events.some((e) => e.what.startsWith('restart'))) advertise(); });
    const ctx = makeContext({ host, profile: withRestart('{mode: drain, timeout: 600}'), state: { restartReason: 'config changed' } });
    const r = await restart.run(ctx);
    expect(host.callsOf('condor_drain').map((c) => c.argv)).toEqual([['condor_drain', '-verbose', '-graceful', '-reason', 'vm-provision: enable VM universe', '-restart-on-completion', startd.address]]);
    expect(r.summary).toContain('jobs are spared only if they end within 600 s of their start');
    const journal = JSON.parse(host.content(JOURNAL_FILE)!);
    expect(journal.pendingDrain).toMatchObject({ requestId: '1', target: startd.address, reason: 'config changed' });
    expect(ctx.state.drain).toEqual({ requestId: '1', target: startd.address });
    expect((await verify.run(ctx)).status).toBe('ok');
    expect(startd.completed).toEqual(['1.0']);
    expect(startd.events.map((e) => e.what)).toEqual(['drain 1 graceful', 'restart (drain)']);
    expect(JSON.parse(host.content(JOURNAL_FILE)!)).toEqual({});
  });

  it('with MaxJobRetirementTime 0 the plan warns and the drain vacates the job', async () => {
    const { host, startd } = busyNode(60);
    const plan = await restart.run(makeContext({ host, check: true, profile: withRestart('{mode: drain}'), state: { restartReason: 'config would change' } }));
    expect(plan.summary).toContain('drain: MaxJobRetirementTime is 0 s here — 1 running job would be vacated (slot1_1 vmpuser job 1.0 1m); use peaceful to let them finish');
    expect(host.callsOf('condor_drain')).toEqual([]);
    await restart.run(makeContext({ host, profile: withRestart('{mode: drain}'), state: { restartReason: 'config changed' } }));
    expect(startd.vacated).toEqual(['1.0']);
  });

  it('timeout: condor_drain -cancel with the request id, the job keeps running, the config is rolled back, no restart', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { host, startd } = busyNode(60);
    startd.set('MaxJobRetirementTime', '86400');
    ticking(host, startd, 4);
    const ctx = makeContext({ host, profile: withRestart('{mode: drain, timeout: 15}'), state: { restartReason: 'config changed', configChanged: true, configPath: DROP_IN, configBefore: null } });
    await restart.run(ctx);
    const e = await failure(verify.run(ctx));
    expect(e.message).toMatch(/did not restart within condor\.restart\.timeout 15 s \(waited 1\ds\): 1 job still running \(slot1_1 vmpuser job 1\.0 1m\d\ds\); the drain was cancelled \(request id 1\): the node accepts jobs again/);
    expect(host.ran(['condor_drain', '-cancel', '-request-id', '1', startd.address])).toBe(true);
    expect(startd.isDraining()).toBe(false);
    expect(startd.running()).toHaveLength(1);
    expect(startd.vacated).toEqual([]);
    expect(host.exists(DROP_IN)).toBe(false);
    expect(host.callsOf('condor_restart')).toEqual([]);
    expect(JSON.parse(host.content(JOURNAL_FILE)!)).toEqual({});
  });

  it('onFailure keep on timeout: the drain is still cancelled, the config kept, the restart stays owed', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { host, startd } = busyNode(60);
    startd.set('MaxJobRetirementTime', '86400');
    ticking(host, startd, 4);
    const profile = profileFrom(undefined, [['restart: startd', 'restart: {mode: drain, timeout: 15}'], ['onFailure: rollback', 'onFailure: keep']]);
    const ctx = makeContext({ host, profile, state: { restartReason: 'config changed', configChanged: true, configPath: DROP_IN, configBefore: 'old\n' } });
    await restart.run(ctx);
    const e = await failure(verify.run(ctx));
    expect(e.message).toContain('the new config was kept (verify.onFailure: keep): the restart stays owed');
    expect(host.content(DROP_IN)).toBe('new\n');
    expect(startd.isDraining()).toBe(false);
    expect(JSON.parse(host.content(JOURNAL_FILE)!).pendingRestart.reason).toBe('config changed');
  });

  it('a drain cancelled by someone else is not waited for until the timeout', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { host, startd } = busyNode(60);
    startd.set('MaxJobRetirementTime', '86400');
    let polls = 0;
    ticking(host, startd, 2, () => { if (++polls === 2) void host.exec('condor_drain', ['-cancel', '-request-id', '1', startd.address]); });
    const ctx = makeContext({ host, profile: withRestart('{mode: drain, timeout: 3600}'), state: { restartReason: 'config changed' } });
    await restart.run(ctx);
    const e = await failure(verify.run(ctx));
    expect(e.message).toContain('the drain (request id 1) ended without restarting the startd');
    expect(polls).toBeLessThan(10);
  });

  it('refused while someone else\'s drain is on (condor_defrag), with the cancel command; planned with a warning', async () => {
    const host = new FakeHost({ now: JOB_START + 60 }).dir('/var/lib');
    const startd = new FakeStartd(host, output('condor_status-l-draining.stdout').replaceAll('"vm-provision: enable VM universe"', '"defrag"'), { machine: HOST });
    const plan = await restart.run(makeContext({ host, check: true, profile: withRestart('{mode: drain}'), state: { restartReason: 'config would change' } }));
    expect(plan.warnings?.join(' ')).toContain('the startd is already draining (DrainReason "defrag", request id 1)');
    const e = await failure(restart.run(makeContext({ host, profile: withRestart('{mode: drain}'), state: { restartReason: 'config changed' } })));
    expect(e.code).toBe('RESTART');
    expect(e.hint).toContain(`condor_drain -cancel -request-id 1 '${startd.address}'`);
    expect(host.callsOf('condor_drain')).toEqual([]);
  });

  it('preflight refuses drain on HTCondor 8.9.11 before any change, suggesting peaceful', async () => {
    const host = new FakeHost().dir('/var/lib').absent(DROP_IN);
    const facts = factsFixture({ condor: { version: { major: 8, minor: 9, patch: 11, text: '8.9.11' } } });
    const e = await failure(preflight.run(makeContext({ host, facts, profile: withRestart('{mode: drain}') })));
    expect(e.message).toContain('mode drain needs condor_drain -restart-on-completion (HTCondor 8.9.13 / 9.0 and later); this node runs HTCondor 8.9.11');
    expect(e.hint).toContain('mode: peaceful');
    expect(host.mutations()).toEqual([]);
  });
});

describe('a drain left by a killed run (journal)', () => {
  const pending = (target: string) => ({ pendingRestart: { reason: 'config changed', since: new Date((JOB_START + 30) * 1000).toISOString() }, pendingDrain: { requestId: '1', target, since: new Date((JOB_START + 30) * 1000).toISOString(), reason: 'config changed' } });

  it('still on and the mode is still drain: continued (no second condor_drain), verify waits for it', async () => {
    const { host, startd } = busyNode(60);
    startd.set('MaxJobRetirementTime', '86400');
    await host.exec('condor_drain', ['-verbose', '-graceful', '-restart-on-completion', startd.address]);
    host.clearLog();
    const ctx = makeContext({ host, profile: withRestart('{mode: drain}'), journal: pending(startd.address) });
    const r = await restart.run(ctx);
    expect(r.status).toBe('changed');
    expect(r.summary).toContain('continuing the drain a previous run started at');
    expect(host.callsOf('condor_drain')).toEqual([]);
    expect(ctx.state.drain).toEqual({ requestId: '1', target: startd.address });
    expect(ctx.state.restartedAt).toBe(JOB_START + 30);
  });

  it('still on but the mode is now peaceful: cancelled, then the peaceful restart', async () => {
    const { host, startd } = busyNode(60);
    startd.set('MaxJobRetirementTime', '86400');
    await host.exec('condor_drain', ['-verbose', '-graceful', '-restart-on-completion', startd.address]);
    host.clearLog();
    host.on(['condor_config_val', '-startd', '-v', 'VM_TYPE', 'VM_MEMORY'], { stdout: 'VM_TYPE = kvm\n # at: x, line 1\n # raw: VM_TYPE = kvm\n\nVM_MEMORY = 512\n # at: x, line 2\n # raw: VM_MEMORY = 512\n\n' });
    const ctx = makeContext({ host, profile: withRestart('{mode: peaceful}'), journal: pending(startd.address) });
    const r = await restart.run(ctx);
    expect(r.summary).toContain('a previous run left a restart pending (config changed');
    expect(r.summary).toContain('cancelled the drain a previous run started (request id 1): condor.restart.mode is now peaceful');
    expect(host.commandLines().filter((l) => !l.startsWith('condor_status') && !l.startsWith('condor_config_val'))).toEqual([
      `condor_drain -cancel -request-id 1 ${startd.address}`, 'condor_restart -peaceful -startd',
    ]);
    expect(JSON.parse(host.content(JOURNAL_FILE)!).pendingDrain).toBeUndefined();
  });

  it('the startd restarted since: the drain completed; cleared, nothing run', async () => {
    const { host, startd } = busyNode(60, 'condor_status-l-idle.stdout');
    startd.set('DaemonStartTime', String(JOB_START + 100)).set('HasVM', 'true').set('VM_Type', '"kvm"');
    host.on(['condor_config_val', '-startd', '-v', 'VM_TYPE', 'VM_MEMORY'], { stdout: 'VM_TYPE = kvm\n # at: x, line 1\n # raw: VM_TYPE = kvm\n\nVM_MEMORY = 1024\n # at: x, line 2\n # raw: VM_MEMORY = 1024\n\n' });
    const ctx = makeContext({ host, profile: withRestart('{mode: drain}'), journal: pending(startd.address) });
    const r = await restart.run(ctx);
    expect(r.status).toBe('ok');
    expect(r.summary).toContain('(request id 1) completed and the startd restarted at');
    expect(host.callsOf('condor_drain')).toEqual([]);
    expect(JSON.parse(host.content(JOURNAL_FILE)!)).toEqual({});
  });
});

describe('staged Xen (requireDom0: false off a Dom0): restart and verify are deferred', () => {
  const xenText = exampleText('xen-staged.yaml');
  const staged = () => ({ profile: profileFrom(xenText), facts: factsFixture({ xen: detectXenRole({ procXen: false }) }) });

  it('restart: pending, the owed restart journalled (not in --check), no command', async () => {
    const host = new FakeHost().dir('/var/lib');
    const r = await restart.run(makeContext({ host, ...staged(), state: { restartReason: 'config changed' } }));
    expect(r.status).toBe('pending');
    expect(r.summary).toBe('deferred: run vm-provision again after booting into the Xen hypervisor (restart owed: config changed)');
    expect(JSON.parse(host.content(JOURNAL_FILE)!).pendingRestart.reason).toBe('staged for Xen: config changed');
    expect(host.calls).toEqual([]);
    const check = new FakeHost().dir('/var/lib');
    expect((await restart.run(makeContext({ host: check, ...staged(), check: true, state: { restartReason: 'config would change' } }))).status).toBe('pending');
    expect(check.mutations()).toEqual([]);
  });

  it('restart: an earlier run\'s owed restart is named when nothing changed now', async () => {
    const host = new FakeHost().dir('/var/lib');
    const r = await restart.run(makeContext({ host, ...staged(), journal: { pendingRestart: { reason: 'staged for Xen: config changed', since: 'x' } } }));
    expect(r.summary).toContain('(restart owed: staged for Xen: config changed)');
    expect(host.mutations()).toEqual([]);
  });

  it('verify: pending (deferred), nothing asked', async () => {
    const host = new FakeHost();
    const r = await verify.run(makeContext({ host, ...staged(), state: { restartReason: 'config changed' } }));
    expect(r).toMatchObject({ status: 'pending', summary: 'deferred: run vm-provision again after booting into the Xen hypervisor (then the startd is restarted and VM_Type xen verified)' });
    expect(host.calls).toEqual([]);
  });
});
