// The verify step: poll until the restarted startd advertises the VM universe; on failure say why and roll back.
// verify sleeps 1 s between polls (real timers); to stay fast the fake answers with the final ad on the first or
// second poll, and the failure tests move only Date (vi.useFakeTimers({ toFake: ['Date'] })) from the handler.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { verify } from '../../src/steps/verify.ts';
import { restart } from '../../src/steps/restart.ts';
import { condorConfig } from '../../src/steps/condor-config.ts';
import { logLineTime } from '../../src/condor/gahp-reasons.ts';
import { JOURNAL_FILE } from '../../src/engine/journal.ts';
import { isVmpError, type VmpError } from '../../src/errors/vmp-error.ts';
import { FakeHost, output } from '../helpers/fake-host.ts';
import { sha256 } from '../../src/steps/config-ownership.ts';
import { DROP_IN, HOST, UNITS, VMGAHP_LOG, factsFixture, fakeNode, makeContext, profileFrom } from '../helpers/facts-fixture.ts';

const OFF = ['condor_off', '-startd'];
const ON = ['condor_on', '-startd'];
const profile = profileFrom(undefined, [['timeout: 900', 'timeout: 10']]);
const ad = (hasVm: boolean, start: number) => (hasVm ? `slot1@${HOST}\ttrue\tkvm\t1024\t${start}\n` : `slot1@${HOST}\tfalse\tundefined\tundefined\t${start}\n`);
const pendingRestart = { reason: 'config changed', since: '2026-11-23T21:27:00.000Z' };
const STARTD_MEMORY = ['condor_config_val', '-startd', '-v', 'VM_MEMORY'];

async function failure(p: Promise<unknown>): Promise<VmpError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  if (!isVmpError(e)) throw new Error(`expected a VmpError, got ${String(e)}`);
  return e;
}

afterEach(() => { vi.useRealTimers(); });

describe('verify step', () => {
  it('ignores the old startd\'s ad, accepts the fresh one with HasVM, and clears the owed restart', async () => {
    const restartedAt = 1795470000;
    const host = new FakeHost({ now: restartedAt }).dir('/var/lib')
      .onCommand('condor_status', [{ stdout: ad(true, restartedAt - 600) }, { stdout: ad(true, restartedAt + 1) }])
      .on(STARTD_MEMORY, { stdout: 'VM_MEMORY = 1024\n # at: /etc/condor/config.d/50-vm-universe.config, line 8\n # raw: VM_MEMORY = 1024\n\n' });
    const ctx = makeContext({ host, profile, journal: { pendingRestart }, state: { restartReason: 'config changed', restartedAt } });
    const r = await verify.run(ctx);
    expect(r.status).toBe('ok');
    expect(r.summary).toContain(`slot1@${HOST}: HasVM=true, VM_Type=kvm, VM_Memory=1024`);
    expect(host.callsOf('condor_status')).toHaveLength(2);
    expect(JSON.parse(host.content(JOURNAL_FILE)!)).toEqual({});
    expect(ctx.messages).toEqual(['waiting for the restarted startd to advertise its slots']);
  });

  it('fresh ad without HasVM + the captured VMGahpLog line: VERIFY "libvirt not reachable", previous config and a second restart', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const line = output('VMGahpLog-libvirtd-masked.log');
    const restartAt = logLineTime(line)! - 10;
    const OLD = '# the admin\'s previous VM config\nVM_TYPE = kvm\nVM_MEMORY = 512\n';
    const host = new FakeHost({ now: restartAt }).dir('/var/lib')
      .file(DROP_IN, 'new content\n')
      .file(VMGAHP_LOG, `11/20/26 08:00:00 ERROR: an old problem\n${line}`)
      .on(OFF, {}).on(ON, {})
      .onCommand('condor_status', () => { vi.setSystemTime(Date.now() + 4000); return { stdout: ad(false, restartAt + 1) }; });
    const ctx = makeContext({ host, profile, state: { restartReason: 'config changed', configChanged: true, configPath: DROP_IN, configBefore: OLD } });

    expect((await restart.run(ctx)).status).toBe('changed');
    expect(ctx.state.restartedAt).toBe(restartAt);
    const e = await failure(verify.run(ctx));
    expect(e.code).toBe('VERIFY');
    expect(e.message).toContain("the VM universe did not come up: libvirt not reachable: Failed to connect socket to '/var/run/libvirt/libvirt-sock': Connection refused");
    expect(e.message).toContain(`the previous config was put back in ${DROP_IN} and the startd restarted with it`);
    expect(e.hint).toContain('systemctl unmask libvirtd');
    expect(e.hint).toContain(line.trim());
    expect(host.content(DROP_IN)).toBe(OLD);
    expect(host.callsOf('condor_off')).toHaveLength(2);
    // the restore is written before the second restart
    expect(host.indexOf((o) => o.op === 'write' && o.path === DROP_IN)).toBeLessThan(host.indexOf((o) => o.op === 'exec' && o.argv[0] === 'condor_off' && o.seq > host.callsOf('condor_off')[0]!.seq));
    expect(JSON.parse(host.content(JOURNAL_FILE)!).pendingRestart).toBeUndefined();
  });

  it('rollback while the master holds the startd in its backoff: the file is put back, no restart is added', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const OLD = 'VM_TYPE = kvm\nVM_MEMORY = 512\n';
    // The restarted startd failed its gahp test and exited; the master restarts it after its backoff.
    const line = '12/01/26 16:00:30 restarting /usr/sbin/condor_startd in 41 seconds';
    const restartAt = logLineTime(line)! - 2;
    const host = new FakeHost({ now: restartAt }).dir('/var/lib').file(DROP_IN, 'new\n')
      .file('/var/log/condor/MasterLog', `12/01/26 16:00:29 The STARTD (pid 4242) exited with status 4\n${line}\n`)
      .onCommand('condor_status', () => { vi.setSystemTime(Date.now() + 4000); host.advance(4); return { stdout: ad(false, restartAt + 1) }; });
    const ctx = makeContext({ host, profile, state: { restartReason: 'config changed', restartedAt: restartAt, configPath: DROP_IN, configBefore: OLD } });
    const e = await failure(verify.run(ctx));
    expect(e.message).toContain(`the previous config was put back in ${DROP_IN}; the master starts the startd with it in `);
    expect(e.message).toContain('(HTCondor backs off frequent restarts: no restart added)');
    expect(host.content(DROP_IN)).toBe(OLD);
    expect(host.callsOf('condor_off')).toEqual([]);
    expect(JSON.parse(host.content(JOURNAL_FILE)!).pendingRestart).toBeUndefined();
  });

  it('rollback once the master has started the startd again (backoff over): the rollback restarts it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const restartAt = 1795470000;
    const host = new FakeHost({ now: restartAt }).dir('/var/lib').file(DROP_IN, 'new\n').on(OFF, {}).on(ON, {})
      .file('/var/log/condor/MasterLog', '12/01/26 16:00:30 restarting /usr/sbin/condor_startd in 11 seconds\n12/01/26 16:00:41 Started DaemonCore process "/usr/sbin/condor_startd", pid and pgroup = 4243\n')
      .onCommand('condor_status', () => { vi.setSystemTime(Date.now() + 4000); return { stdout: ad(false, restartAt + 1) }; });
    const ctx = makeContext({ host, profile, state: { restartReason: 'config changed', restartedAt: restartAt, configPath: DROP_IN, configBefore: 'old\n' } });
    const e = await failure(verify.run(ctx));
    expect(e.message).toContain('and the startd restarted with it');
    expect(host.callsOf('condor_off')).toHaveLength(1);
  });

  it('rollback of a file that did not exist removes it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const host = new FakeHost().dir('/var/lib').file(DROP_IN, 'new\n')
      .on(OFF, {}).on(ON, {})
      .onCommand('condor_status', () => { vi.setSystemTime(Date.now() + 4000); return { stdout: ad(false, host.clock + 1) }; });
    const ctx = makeContext({ host, profile, state: { restartReason: 'config changed', restartedAt: host.clock, configPath: DROP_IN, configBefore: null } });
    const e = await failure(verify.run(ctx));
    expect(e.message).toContain('HasVM=false');
    expect(e.hint).toBe('see StartLog and VMGahpLog in /var/log/condor');
    expect(host.exists(DROP_IN)).toBe(false);
    expect(host.callsOf('condor_off')).toHaveLength(1);
  });

  it('onFailure keep: the new config stays, no restart; no fresh ad within the timeout is named as such', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const keep = profileFrom(undefined, [['timeout: 900', 'timeout: 10'], ['onFailure: rollback', 'onFailure: keep']]);
    const host = new FakeHost().dir('/var/lib').file(DROP_IN, 'new\n')
      .onCommand('condor_status', () => { vi.setSystemTime(Date.now() + 11_000); return { stdout: ad(true, host.clock - 600) }; });
    const ctx = makeContext({ host, profile: keep, state: { restartReason: 'config changed', restartedAt: host.clock, configPath: DROP_IN, configBefore: 'old\n' } });
    const e = await failure(verify.run(ctx));
    expect(e.message).toContain('no slot ad from the restarted startd within 10 s');
    expect(e.message).toContain('the new config was kept (verify.onFailure: keep)');
    expect(host.content(DROP_IN)).toBe('new\n');
    expect(host.callsOf('condor_off')).toEqual([]);
  });

  it('the collector this node runs itself is down: VERIFY names it and condor_on -collector, config kept', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const host = new FakeHost().dir('/var/lib').file(DROP_IN, 'new\n')
      .on(OFF, {}).on(ON, {})
      .on(['condor_config_val', 'DAEMON_LIST'], { stdout: 'MASTER, COLLECTOR, NEGOTIATOR, SCHEDD, STARTD\n' })
      .on(['ps', '-e', '-o', 'comm='], { stdout: 'condor_master\ncondor_procd\ncondor_shared_p\ncondor_negotiat\ncondor_schedd\ncondor_startd\n' })
      .onCommand('condor_status', () => { vi.setSystemTime(Date.now() + 4000); return { exitCode: 1, stderr: 'Error: communication error\nCEDAR:6001:Failed to connect to <127.0.0.1:9618>\n' }; });
    const ctx = makeContext({ host, profile, state: { restartReason: 'config changed', configChanged: true, restartedAt: host.clock, configPath: DROP_IN, configBefore: 'old\n' } });
    const e = await failure(verify.run(ctx));
    expect(e.code).toBe('VERIFY');
    expect(e.message).toContain('the collector runs on this node (DAEMON_LIST has COLLECTOR) and condor_collector is not running');
    expect(e.hint).toMatch(/^start it: condor_on -collector/);
    expect(host.content(DROP_IN)).toBe('new\n');
  });

  it('the whole chain on a simulated node with libvirtd masked: config, restart, VERIFY from the gahp log, rollback', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { host, node } = fakeNode({ units: UNITS.debianMasked() });
    host.onCommand('condor_status', () => {
      vi.setSystemTime(Date.now() + 4000);
      const a = node.advertised;
      return { stdout: `slot1@${HOST}\t${a.hasVm}\t${a.vmType ?? 'undefined'}\t${a.vmMemory ?? 'undefined'}\t${node.startdStart}\n` };
    });
    const ctx = makeContext({ host, profile, facts: factsFixture({ libvirt: { units: UNITS.debianMasked() } }) });
    expect((await condorConfig.run(ctx)).status).toBe('changed');
    expect((await restart.run(ctx)).status).toBe('changed');
    const e = await failure(verify.run(ctx));
    expect(e.message).toMatch(/did not come up: libvirt not reachable: .*Connection refused/);
    expect(host.exists(DROP_IN)).toBe(false);
    expect(node.restarts).toBe(2);
  });

  // Issue 9 item 4: run 1 wrote the config and its condor_restart failed; run 2 restarts for the owed restart and
  // its verify fails. The journal's backup is what gets put back (it said "nothing to roll back").
  it('rollback across runs: the previous file comes from the journal\'s backup; the file and the restarts show it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const NEW = '# Written by vm-provision from host profile "kvm-node"\nVM_TYPE = kvm\nVM_MEMORY = 1024\n';
    const OLD = '# Written by vm-provision from host profile "kvm-node"\nVM_TYPE = kvm\nVM_MEMORY = 512\n';
    const BACKUP = '/var/lib/vm-provision/backups/50-vm-universe.config.2026-11-23T21-27-00-000Z';
    const host = new FakeHost().dir('/var/lib').file(DROP_IN, NEW).file(BACKUP, OLD)
      .on(OFF, {}).on(ON, {})
      .onCommand('condor_status', () => { vi.setSystemTime(Date.now() + 4000); return { stdout: ad(false, host.clock + 1) }; });
    const lastConfig = { path: DROP_IN, backup: BACKUP, writtenAt: '2026-11-23T21:27:00.000Z', sha256: sha256(NEW), verified: false };
    const ctx = makeContext({ host, profile, journal: { pendingRestart, lastConfig }, state: { restartReason: 'a previous run left a restart pending (config changed)', restartedAt: host.clock } });
    const e = await failure(verify.run(ctx));
    expect(e.message).toContain(`the previous config was put back in ${DROP_IN}`);
    expect(host.content(DROP_IN)).toBe(OLD);
    expect(host.commandLines().filter((l) => l === 'condor_off -startd')).toHaveLength(1);
    expect(host.indexOf((o) => o.op === 'write' && o.path === DROP_IN)).toBeLessThan(host.indexOf((o) => o.op === 'exec' && o.argv[0] === 'condor_off'));
    expect(JSON.parse(host.content(JOURNAL_FILE)!)).toEqual({});
  });

  // A run killed after its restart, before verify: the next run finds the startd restarted with the file (no
  // restart needed) — the write is verified then, so a later failure never rolls back a config that worked.
  it('no restart this run and the startd advertises the VM universe: an unverified write of an earlier run is marked verified', async () => {
    const lastConfig = { path: DROP_IN, backup: '/b', writtenAt: '2026-11-23T21:27:00.000Z', sha256: 'x', verified: false };
    const host = new FakeHost().dir('/var/lib');
    const slots = [{ name: `slot1@${HOST}`, hasVm: true, vmType: 'kvm', vmMemory: 1024, daemonStartTime: host.clock - 30 }];
    const ctx = makeContext({ host, profile, journal: { lastConfig }, state: { slots } });
    expect((await verify.run(ctx)).status).toBe('ok');
    expect(JSON.parse(host.content(JOURNAL_FILE)!)).toEqual({ lastConfig: { ...lastConfig, verified: true } });
    // Not advertising: nothing is marked.
    const host2 = new FakeHost().dir('/var/lib');
    const ctx2 = makeContext({ host: host2, profile, journal: { lastConfig }, state: { slots: [{ ...slots[0]!, hasVm: false }] } });
    await verify.run(ctx2);
    expect(host2.exists(JOURNAL_FILE)).toBe(false);
  });

  it('no rollback of a config a startd was already verified with, nor of a file changed since it was written', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const NEW = 'VM_TYPE = kvm\nVM_MEMORY = 1024\n';
    const mk = (lastConfig: object, content = NEW) => {
      const host = new FakeHost().dir('/var/lib').file(DROP_IN, content).file('/b', 'old\n')
        .on(OFF, {}).on(ON, {})
        .onCommand('condor_status', () => { vi.setSystemTime(Date.now() + 4000); return { stdout: ad(false, host.clock + 1) }; });
      return { host, ctx: makeContext({ host, profile, journal: { lastConfig: { path: DROP_IN, backup: '/b', writtenAt: 'x', sha256: sha256(NEW), ...lastConfig } }, state: { restartReason: 'the startd advertises HasVM=false', restartedAt: host.clock } }) };
    };
    for (const { host, ctx } of [mk({ verified: true }), mk({ verified: false }, 'VM_TYPE = kvm\nVM_MEMORY = 2048\n')]) {
      const e = await failure(verify.run(ctx));
      expect(e.message).toContain('nothing to roll back');
      expect(host.content(DROP_IN)).not.toBe('old\n');
      expect(host.callsOf('condor_off')).toEqual([]);
    }
  });

  // Issue 9 item 5: a collector that cannot be asked (no READ permission, down, slow) is not a failed config.
  it('condor_status cannot ask the collector: VERIFY says so, and the new config is kept (no rollback, no restart)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const host = new FakeHost().dir('/var/lib').file(DROP_IN, 'new\n')
      .on(OFF, {}).on(ON, {})
      .on(['condor_config_val', 'DAEMON_LIST'], { stdout: 'MASTER, STARTD\n' })
      .on(['ps', '-e', '-o', 'comm='], { stdout: 'condor_master\ncondor_startd\n' })
      .onCommand('condor_status', () => { vi.setSystemTime(Date.now() + 4000); return { exitCode: 1, stderr: 'Error: communication error\nSECMAN:2010:Received "DENIED" from server for user unauthenticated@unmapped using no authentication method, which may imply host-based security.\n' }; });
    const ctx = makeContext({ host, profile, state: { restartReason: 'config changed', configChanged: true, restartedAt: host.clock, configPath: DROP_IN, configBefore: 'old\n' } });
    const e = await failure(verify.run(ctx));
    expect(e.code).toBe('VERIFY');
    expect(e.message).toContain('could not ask the collector');
    expect(e.message).toContain('DENIED');
    expect(e.message).toContain('not rolled back');
    expect(host.content(DROP_IN)).toBe('new\n');
    expect(host.callsOf('condor_off')).toEqual([]);
  });

  it('--check: pending when a restart would happen, no exec', async () => {
    const host = new FakeHost();
    const r = await verify.run(makeContext({ host, profile, check: true, state: { restartReason: 'config would change' } }));
    expect(r.status).toBe('pending');
    expect(host.calls).toEqual([]);
  });

  it('no restart and the slots already match: ok without polling', async () => {
    const host = new FakeHost();
    const r = await verify.run(makeContext({ host, profile, state: { slots: [{ name: `slot1@${HOST}`, hasVm: true, vmType: 'kvm', vmMemory: 1024, daemonStartTime: 1 }] } }));
    expect(r.status).toBe('ok');
    expect(host.calls).toEqual([]);
  });

  it('restart owed but not done (condor.restart none): skipped', async () => {
    const host = new FakeHost();
    const r = await verify.run(makeContext({ host, profile, state: { restartReason: 'config changed' } }));
    expect(r.status).toBe('skipped');
    expect(host.calls).toEqual([]);
  });
});
