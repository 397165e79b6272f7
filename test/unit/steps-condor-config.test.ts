// The condor-config step against a simulated node: condor_config_val answers from the fake's config files.
import { describe, expect, it } from 'vitest';
import { condorConfig } from '../../src/steps/condor-config.ts';
import { renderConfig } from '../../src/condor/render.ts';
import { JOURNAL_FILE } from '../../src/engine/journal.ts';
import { isVmpError, type VmpError } from '../../src/errors/vmp-error.ts';
import type { Profile } from '../../src/profile/index.ts';
import { DROP_IN, exampleText, factsFixture, fakeNode, makeContext, profileFrom } from '../helpers/facts-fixture.ts';

const BACKUPS = '/var/lib/vm-provision/backups';
const STAGED = '/var/lib/vm-provision/staged/50-vm-universe.config';
const rendered = (profile: Profile = profileFrom()) => renderConfig({ profile, version: factsFixture().condor.version!, os: 'linux', found: {} }).content;
const OLD = rendered(profileFrom(undefined, [['memory: 1024', 'memory: 512']]));

async function failure(p: Promise<unknown>): Promise<VmpError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  if (!isVmpError(e)) throw new Error(`expected a VmpError, got ${String(e)}`);
  return e;
}

describe('condor-config step', () => {
  it('file absent + --check: pending with a diff, and nothing written', async () => {
    const { host } = fakeNode();
    const ctx = makeContext({ host, check: true });
    const r = await condorConfig.run(ctx);
    expect(r.status).toBe('pending');
    expect(r.changes).toEqual([`create ${DROP_IN}`]);
    expect(r.diff).toContain('--- /dev/null');
    expect(r.diff).toContain(`+++ ${DROP_IN}`);
    expect(r.diff).toContain('+VM_MEMORY      = 1024');
    expect(ctx.state).toMatchObject({ configPath: DROP_IN, configChanged: true, restartReason: 'config would change' });
    expect(ctx.state.configBefore).toBeUndefined();
    expect(host.mutations()).toEqual([]);
    expect(host.exists(DROP_IN)).toBe(false);
    // where each knob comes from as the startd reads its config, and what the running startd took (its environment)
    expect(host.commandLines()).toEqual([
      'condor_config_val -subsystem startd -v VM_TYPE VM_GAHP_SERVER VM_GAHP_LOG VM_MEMORY VM_MAX_NUMBER VM_NETWORKING',
      'condor_config_val -startd -v VM_TYPE VM_MEMORY VM_GAHP_SERVER VM_GAHP_LOG VM_MAX_NUMBER VM_NETWORKING',
    ]);
  });

  it('file already as rendered: ok, no write, no restart owed', async () => {
    const { host } = fakeNode({ files: { [DROP_IN]: rendered() } });
    const ctx = makeContext({ host });
    const r = await condorConfig.run(ctx);
    expect(r.status).toBe('ok');
    expect(host.mutations()).toEqual([]);
    expect(ctx.state.restartReason).toBeUndefined();
    expect(ctx.state.configChanged).toBe(false);
  });

  it('a knob overridden in a file read after ours: CONFIG_OVERRIDDEN naming that file and line, nothing written', async () => {
    const { host } = fakeNode({ files: { '/etc/condor/config.d/99-site.config': '# site policy\nVM_MEMORY = 4096\n' } });
    const e = await failure(condorConfig.run(makeContext({ host })));
    expect(e.code).toBe('CONFIG_OVERRIDDEN');
    expect(e.message).toContain('VM_MEMORY is also set in /etc/condor/config.d/99-site.config, line 2 (= 4096)');
    expect(e.message).toContain(`reads after ${DROP_IN}`);
    expect(e.context).toMatchObject({ file: '/etc/condor/config.d/99-site.config', line: 2 });
    expect(e.hint).toContain('remove VM_MEMORY from /etc/condor/config.d/99-site.config');
    expect(host.mutations()).toEqual([]);
  });

  it('the same knob in a file read before ours is not an override', async () => {
    const { host } = fakeNode({ files: { '/etc/condor/config.d/10-early.config': 'VM_MEMORY = 4096\n', '/usr/share/condor/config.d/99-pkg.config': 'VM_TYPE = xen\n' } });
    const r = await condorConfig.run(makeContext({ host, check: true }));
    expect(r.status).toBe('pending');
  });

  it('apply: staged and checked, journal before the file, backup of the old content, final content as rendered', async () => {
    const { host } = fakeNode({ files: { [DROP_IN]: OLD } });
    const ctx = makeContext({ host });
    const r = await condorConfig.run(ctx);
    const content = rendered();
    expect(r.status).toBe('changed');
    expect(r.changes).toEqual([`update ${DROP_IN}`]);
    expect(r.diff).toContain('-VM_MEMORY      = 512');
    expect(r.diff).toContain('+VM_MEMORY      = 1024');
    expect(host.content(DROP_IN)).toBe(content);
    expect(host.info(DROP_IN)?.mode).toBe(0o644);

    const writes = host.writes().map((w) => w.path);
    const backup = writes.find((p) => p.startsWith(`${BACKUPS}/50-vm-universe.config.`));
    expect(backup).toBeDefined();
    expect(writes).toEqual([STAGED, JOURNAL_FILE, backup, DROP_IN, JOURNAL_FILE]);
    expect(host.content(backup!)).toBe(OLD);
    expect(host.writes()[0]!.content).toBe(content);

    // the journal that owes the restart lands before the file that needs it
    const journalAt = host.indexOf((o) => o.op === 'write' && o.path === JOURNAL_FILE && o.content.includes('pendingRestart'));
    const fileAt = host.indexOf((o) => o.op === 'write' && o.path === DROP_IN);
    expect(journalAt).toBeGreaterThanOrEqual(0);
    expect(journalAt).toBeLessThan(fileAt);

    // the staged file was read on its own (CONDOR_CONFIG), then the real config after the write
    const ccv = host.callsOf('condor_config_val');
    expect(ccv.map((c) => c.opts.env)).toEqual([undefined, undefined, { CONDOR_CONFIG: STAGED }, undefined]);
    expect(host.indexOf((o) => o.op === 'exec' && o.env?.CONDOR_CONFIG === STAGED)).toBeLessThan(fileAt);

    expect(host.exists(STAGED)).toBe(false);
    expect(ctx.state).toMatchObject({ configChanged: true, configBefore: OLD, configPath: DROP_IN, restartReason: 'config changed' });
    expect(JSON.parse(host.content(JOURNAL_FILE)!)).toMatchObject({
      pendingRestart: { reason: 'config changed' }, lastConfig: { path: DROP_IN, backup },
    });
  });

  it('apply on a node without the file: created, no backup, configBefore null', async () => {
    const { host } = fakeNode();
    const ctx = makeContext({ host });
    const r = await condorConfig.run(ctx);
    expect(r).toMatchObject({ status: 'changed', changes: [`create ${DROP_IN}`], summary: `created ${DROP_IN}` });
    expect(ctx.state.configBefore).toBeNull();
    expect(host.writes().some((w) => w.path.startsWith(BACKUPS))).toBe(false);
    expect(host.content(DROP_IN)).toBe(rendered());
  });

  it('keeps the ten newest backups', async () => {
    const old = Array.from({ length: 10 }, (_, i) => `${BACKUPS}/50-vm-universe.config.2026-01-${String(i + 1).padStart(2, '0')}T00-00-00-000Z`);
    const { host } = fakeNode({ files: { [DROP_IN]: OLD, ...Object.fromEntries(old.map((p) => [p, 'x'])), [`${BACKUPS}/other.config.2020`]: 'y' } });
    await condorConfig.run(makeContext({ host }));
    expect(host.removes().map((r) => r.path)).toEqual([old[0], STAGED]);
    expect(await host.listDir(BACKUPS)).toHaveLength(11);
  });

  it('a file HTCondor does not read: CONFIG, nothing run', async () => {
    const { host } = fakeNode();
    const profile = profileFrom(undefined, [['configFile: auto', 'configFile: /etc/condor/vm.config']]);
    const e = await failure(condorConfig.run(makeContext({ host, profile })));
    expect(e.code).toBe('CONFIG');
    expect(e.message).toContain('HTCondor does not read /etc/condor/vm.config');
    expect(host.calls).toEqual([]);
  });

  it('a LOCAL_CONFIG_FILE target is accepted', async () => {
    const { host } = fakeNode();
    const profile = profileFrom(undefined, [['configFile: auto', 'configFile: /etc/condor/condor_config.local']]);
    const facts = factsFixture({ condor: { localConfigFiles: ['/etc/condor/condor_config.local'] } });
    const r = await condorConfig.run(makeContext({ host, profile, facts, check: true }));
    expect(r).toMatchObject({ status: 'pending', changes: ['create /etc/condor/condor_config.local'] });
  });

  it('no LOCAL_CONFIG_DIR with configFile auto: CONFIG', async () => {
    const { host } = fakeNode();
    const e = await failure(condorConfig.run(makeContext({ host, facts: factsFixture({ condor: { localConfigDirs: [] } }) })));
    expect(e.code).toBe('CONFIG');
    expect(e.message).toContain('no LOCAL_CONFIG_DIR');
  });

  it('an override condor_config_val cannot show (its value is the built-in default) is found in the later file before any write', async () => {
    // VM_NETWORKING = false equals HTCondor's default, so condor_config_val names <Default>, not 99-site.config.
    const { host } = fakeNode({ files: { '/etc/condor/config.d/99-site.config': 'VM_NETWORKING = false\n' } });
    const bridge = profileFrom(exampleText('kvm-node-bridge.yaml'));
    const e = await failure(condorConfig.run(makeContext({ host, profile: bridge })));
    expect(e.code).toBe('CONFIG_OVERRIDDEN');
    expect(e.message).toContain(`VM_NETWORKING is also set in /etc/condor/config.d/99-site.config, line 1 (= false), which HTCondor reads after ${DROP_IN}`);
    expect(host.exists(DROP_IN)).toBe(false);
    expect(host.writes()).toEqual([]);
  });

  // Was a bug: the after-write check named the pseudo-source "<Default>" and left a restart owed.
  it('after putting the file back, the error does not tell the admin to edit "<Default>" and no restart stays owed', async () => {
    const { host } = fakeNode({ files: { '/etc/condor/config.d/99-site.config': 'VM_NETWORKING = false\n' } });
    const e = await failure(condorConfig.run(makeContext({ host, profile: profileFrom(exampleText('kvm-node-bridge.yaml')) })));
    expect(e.hint).not.toContain('<Default>');
    expect(JSON.parse(host.content(JOURNAL_FILE) ?? '{}').pendingRestart).toBeUndefined();
  });
});
