// The condor-config step against a simulated node: condor_config_val answers from the fake's config files.
import { describe, expect, it } from 'vitest';
import { condorConfig } from '../../src/steps/condor-config.ts';
import { renderConfig } from '../../src/condor/render.ts';
import { JOURNAL_FILE } from '../../src/engine/journal.ts';
import { isVmpError, type VmpError } from '../../src/errors/vmp-error.ts';
import type { Profile } from '../../src/profile/index.ts';
import { CONFIG_DIRS, DROP_IN, MAIN_CONFIG, exampleText, factsFixture, fakeNode, makeContext, profileFrom } from '../helpers/facts-fixture.ts';
import { condorConfigVal } from '../helpers/fake-host.ts';
import { sha256 } from '../../src/steps/config-ownership.ts';
import { laterDefinitions } from '../../src/condor/find-definitions.ts';
import { fsWriteError } from '../../src/host/fs-errors.ts';
import { notFromOurFile, withoutComposing } from '../../src/condor/override-check.ts';

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

  it('/etc/condor read-only: FILESYSTEM naming EROFS; the file as it was, no restart owed, no backup of it kept', async () => {
    const { host } = fakeNode({ files: { [DROP_IN]: OLD } });
    const write = host.writeFileAtomic.bind(host);
    host.writeFileAtomic = async (path, content, opts) => {
      if (path.startsWith('/etc/condor/')) throw fsWriteError(Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' }), path);
      return write(path, content, opts);
    };
    const ctx = makeContext({ host });
    const e = await failure(condorConfig.run(ctx));
    expect(e.code).toBe('FILESYSTEM');
    expect(e.message).toBe(`cannot write ${DROP_IN}: /etc/condor/config.d is on a read-only file system (EROFS); ${DROP_IN} was left as it was, no restart owed`);
    expect(e.hint).toMatch(/^remount it read-write/);
    expect(host.content(DROP_IN)).toBe(OLD);
    expect(JSON.parse(host.content(JOURNAL_FILE)!).pendingRestart).toBeUndefined();
    expect((await host.listDir(BACKUPS)) ?? []).toEqual([]);
    expect(host.exists(STAGED)).toBe(false);
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
    // Copies of the config (staged, backup) are root-only: a 0600 config never becomes world-readable through them.
    expect(host.writes().filter((w) => w.path === STAGED || w.path === backup).map((w) => w.mode)).toEqual([0o600, 0o600]);

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

  // Was a bug: the after-write check named the pseudo-source "<Default>" and left a restart owed. The file must be
  // written for this to be tested: the pre-write checks pass, then condor_config_val after the write names <Default>
  // (here: a value equal to the default written by us but reported with other raw text).
  it('after putting the file back, the error does not tell the admin to edit "<Default>" and no restart stays owed', async () => {
    const { host } = fakeNode({ files: { [DROP_IN]: OLD } });
    const real = condorConfigVal({ mainConfig: MAIN_CONFIG, startd: () => ({ exitCode: 1, stderr: "Can't find address for startd 'default' in local pool\n" }) });
    // After our write, HTCondor reports VM_GAHP_LOG from <Default> with another raw value.
    host.onCommand('condor_config_val', (c, h) => {
      const r = real(c, h) as { stdout?: string };
      if (c.args[0] === '-subsystem' && h.content(DROP_IN) === rendered()) {
        return { ...r, stdout: r.stdout!.replace(/VM_GAHP_LOG = (.*)\n # at: .*\n # raw: .*\n/, 'VM_GAHP_LOG = $1\n # at: <Default>\n # raw: VM_GAHP_LOG = $(LOG)/OtherLog\n') };
      }
      return r;
    });
    const e = await failure(condorConfig.run(makeContext({ host })));
    expect(e.code).toBe('CONFIG_OVERRIDDEN');
    expect(host.writes().some((w) => w.path === DROP_IN && w.content === rendered())).toBe(true);
    expect(host.content(DROP_IN)).toBe(OLD);
    expect(e.hint).not.toContain('<Default>');
    expect(JSON.parse(host.content(JOURNAL_FILE) ?? '{}').pendingRestart).toBeUndefined();
  });

  // Issue 9 item 6: the header embeds the HTCondor version and the profile name.
  it('a header-only difference (HTCondor 23.9.6 -> 23.9.7, profile renamed) is no change: no write, no restart owed', async () => {
    const older = rendered().replace('HTCondor 23.9.6', 'HTCondor 23.9.7').replace(/profile "[^"]+"/, 'profile "old-name"');
    expect(older).not.toBe(rendered());
    const { host } = fakeNode({ files: { [DROP_IN]: older } });
    const ctx = makeContext({ host });
    const r = await condorConfig.run(ctx);
    expect(r.status).toBe('ok');
    expect(r.summary).toContain('only comments differ');
    expect(host.mutations()).toEqual([]);
    expect(ctx.state.restartReason).toBeUndefined();
  });

  // Issue 9 item 2: a file vm-provision did not write is never replaced.
  it('refuses to replace the admin\'s LOCAL_CONFIG_FILE (or any file it did not write), before any write', async () => {
    const local = '/etc/condor/condor_config.local';
    const { host } = fakeNode({ files: { [local]: 'CONDOR_HOST = cm.example.org\nSEC_DEFAULT_AUTHENTICATION = REQUIRED\n' } });
    const profile = profileFrom(undefined, [['configFile: auto', `configFile: ${local}`]]);
    const facts = factsFixture({ condor: { localConfigFiles: [local] } });
    const e = await failure(condorConfig.run(makeContext({ host, profile, facts })));
    expect(e.code).toBe('CONFIG');
    expect(e.message).toContain(`refusing to replace ${local}: it is the node's LOCAL_CONFIG_FILE`);
    expect(host.mutations()).toEqual([]);
    const { host: h2 } = fakeNode({ files: { [DROP_IN]: '# the admin\'s own VM settings\nVM_TYPE = kvm\n' } });
    const e2 = await failure(condorConfig.run(makeContext({ host: h2 })));
    expect(e2.message).toContain('an existing file vm-provision did not write');
    expect(h2.mutations()).toEqual([]);
  });

  it('a file vm-provision wrote is recognised by the journal\'s hash even without the header', async () => {
    const text = 'VM_TYPE = kvm\nVM_MEMORY = 512\n';
    const { host } = fakeNode({ files: { [DROP_IN]: text } });
    const r = await condorConfig.run(makeContext({ host, journal: { lastConfig: { path: DROP_IN, writtenAt: 'x', sha256: sha256(text) } } }));
    expect(r.status).toBe('changed');
  });

  // Issue 9 item 7.
  it('a later STARTD_ATTRS = $(STARTD_ATTRS) X composes with ours: not an override', async () => {
    const { host } = fakeNode({ files: { '/etc/condor/config.d/99-site.config': 'STARTD_ATTRS = $(STARTD_ATTRS) SiteAttr\n' } });
    const knobs: Array<[string, string]> = [['STARTD_ATTRS', '$(STARTD_ATTRS) XenInitrd']];
    const later = await laterDefinitions(host, { localConfigDirs: CONFIG_DIRS, localConfigFiles: [] }, DROP_IN, ['STARTD_ATTRS']);
    expect(later).toHaveLength(1);
    expect(withoutComposing(later, later)).toEqual([]);
    // after the write, HTCondor's value keeps our entry: still ours
    expect(notFromOurFile(DROP_IN, knobs, new Map([['STARTD_ATTRS', { name: 'STARTD_ATTRS', defined: true, value: 'XenInitrd SiteAttr', file: '/etc/condor/config.d/99-site.config', line: 1 }]]))).toEqual([]);
    expect(withoutComposing([{ knob: 'STARTD_ATTRS', file: '/x', line: 1, value: 'Other' }], [])).toHaveLength(1);
  });

  it.each([
    ['STARTD.VM_MEMORY', 'STARTD.VM_MEMORY = 4096\n'],
    ['startd.VM_MEMORY', 'startd.VM_MEMORY = 4096\n'],
    ['an @= block', 'VM_MEMORY @=end\n4096\n@end\n'],
    ['an include line', 'include : /etc/condor/site/vm.conf\n'],
  ])('a later %s is found before any write', async (_what, text) => {
    const { host } = fakeNode({ files: { '/etc/condor/config.d/99-site.config': text, '/etc/condor/site/vm.conf': 'VM_MEMORY = 4096\n' } });
    const e = await failure(condorConfig.run(makeContext({ host })));
    expect(e.code).toBe('CONFIG_OVERRIDDEN');
    expect(e.message).toMatch(/^VM_MEMORY is also set in \/etc\/condor\/(config\.d\/99-site\.config|site\/vm\.conf)/);
    expect(host.writes()).toEqual([]);
  });

  it('_CONDOR_VM_MEMORY in condor_master\'s environment (the running startd took it from there) is refused', async () => {
    const { host } = fakeNode({ masterEnv: { _CONDOR_VM_MEMORY: '4096' } });
    const e = await failure(condorConfig.run(makeContext({ host })));
    expect(e.code).toBe('CONFIG_OVERRIDDEN');
    expect(e.message).toContain("VM_MEMORY is also set in condor_master's environment (_CONDOR_VM_MEMORY) (= 4096)");
    expect(e.hint).toContain('remove _CONDOR_VM_MEMORY');
    expect(host.writes()).toEqual([]);
  });
});
