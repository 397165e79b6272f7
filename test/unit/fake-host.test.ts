// The test doubles themselves: the FakeHost fails loudly on anything not provided, records everything, and the
// simulated node answers byte-for-byte like the captured real one.
import { describe, expect, it } from 'vitest';
import { FakeHost, condorConfigVal, output } from '../helpers/fake-host.ts';
import { CONFIG_DIRS, HOST, MAIN_CONFIG, factsFixture, fakeNode, mainConfigText } from '../helpers/facts-fixture.ts';
import { WRITABLE_KNOBS, gatherFacts } from '../../src/facts/gather.ts';
import { SEARCH_PATH, which } from '../../src/host/host.ts';
import { isVmpError } from '../../src/errors/vmp-error.ts';

describe('FakeHost', () => {
  it('throws on an exec it has no handler for, naming the argv, and still records it', async () => {
    const h = new FakeHost();
    await expect(h.exec('systemctl', ['start', 'libvirtd.service'])).rejects.toThrow('no exec handler for: systemctl start libvirtd.service');
    expect(h.commandLines()).toEqual(['systemctl start libvirtd.service']);
  });

  it('matches exact argv, predicates, and answers reply lists in turn (repeating the last)', async () => {
    const h = new FakeHost()
      .on(['id', '-u'], { stdout: '0\n' })
      .onCommand('condor_status', [{ stdout: 'a' }, { stdout: 'b' }])
      .on((c) => c.cmd === 'x' && c.args.includes('--y'), { exitCode: 3, stderr: 'no' });
    expect((await h.exec('id', ['-u'])).stdout).toBe('0\n');
    await expect(h.exec('id', ['-un'])).rejects.toThrow(/id -un/);
    expect((await h.exec('condor_status', [])).stdout).toBe('a');
    expect((await h.exec('condor_status', ['-l'])).stdout).toBe('b');
    expect((await h.exec('condor_status', [])).stdout).toBe('b');
    expect(await h.exec('x', ['--y'])).toMatchObject({ command: ['x', '--y'], exitCode: 3, stderr: 'no', stdout: '' });
  });

  it('lets a later registration override an earlier one', async () => {
    const h = new FakeHost().on(['id', '-u'], { stdout: '0\n' }).on(['id', '-u'], { stdout: '1000\n' });
    expect((await h.exec('id', ['-u'])).stdout).toBe('1000\n');
  });

  it('reads files and info; /dev/kvm is kind other; directories are implied', async () => {
    const h = new FakeHost().file('/etc/condor/config.d/a.config', 'X = 1\n').device('/dev/kvm');
    expect(await h.readFile('/etc/condor/config.d/a.config')).toBe('X = 1\n');
    expect(await h.fileInfo('/dev/kvm')).toMatchObject({ kind: 'other' });
    expect(await h.fileInfo('/etc/condor/config.d')).toMatchObject({ kind: 'dir' });
    expect(await h.listDir('/etc/condor')).toEqual(['config.d']);
    expect(await h.listDir('/etc/condor/config.d')).toEqual(['a.config']);
    expect(await h.readFile('/nope')).toBeUndefined();
    expect(await h.fileInfo('/nope')).toBeUndefined();
    expect(await h.listDir('/nope')).toBeUndefined();
  });

  it('strict reads throw on paths not provided, unless declared absent', async () => {
    const h = new FakeHost({ strictReads: true }).file('/etc/os-release', 'ID=debian\n').absent('/usr/lib/os-release', '/usr/local');
    expect(await h.readFile('/etc/os-release')).toBe('ID=debian\n');
    expect(await h.readFile('/usr/lib/os-release')).toBeUndefined();
    expect(await h.fileInfo('/usr/local/bin/virsh')).toBeUndefined();
    await expect(h.readFile('/proc/meminfo')).rejects.toThrow('readFile of /proc/meminfo');
    await expect(h.fileInfo('/usr/bin/virsh')).rejects.toThrow('fileInfo of /usr/bin/virsh');
  });

  it('which() finds binaries and symlinks but not a directory', async () => {
    const h = new FakeHost().bin('/usr/bin/condor_version').bin('/usr/bin/virsh').symlink('/usr/sbin/virsh', '/usr/bin/virsh').dir('/usr/local/bin/dnf');
    expect(await which(h, 'condor_version')).toBe('/usr/bin/condor_version');
    expect(await which(h, 'virsh')).toBe('/usr/sbin/virsh');
    expect(await which(h, 'dnf')).toBeUndefined();
    expect(await h.realpath('/usr/sbin/virsh')).toBe('/usr/bin/virsh');
    expect(await h.realpath('/usr/sbin/nothing')).toBeUndefined();
  });

  it('records writes, removes and mkdirp in order; a write needs its directory', async () => {
    const h = new FakeHost().file('/etc/condor/config.d/old', 'x');
    await expect(h.writeFileAtomic('/var/lib/vm-provision/journal.json', '{}')).rejects.toMatchObject({ code: 'ENOENT' });
    await h.mkdirp('/var/lib/vm-provision', 0o755);
    await h.writeFileAtomic('/var/lib/vm-provision/journal.json', '{}\n', { mode: 0o600 });
    await h.remove('/etc/condor/config.d/old');
    await h.remove('/etc/condor/config.d/never');
    expect(h.mutations().map((o) => `${o.op} ${'path' in o ? o.path : ''}`)).toEqual([
      'mkdirp /var/lib/vm-provision', 'write /var/lib/vm-provision/journal.json', 'remove /etc/condor/config.d/old', 'remove /etc/condor/config.d/never',
    ]);
    expect(h.info('/var/lib/vm-provision/journal.json')).toMatchObject({ kind: 'file', mode: 0o600 });
    expect(h.removes().map((r) => r.existed)).toEqual([true, false]);
    expect(h.exists('/etc/condor/config.d/old')).toBe(false);
  });

  it('keeps the mode of a file it replaces unless told otherwise', async () => {
    const h = new FakeHost().file('/etc/x', 'a', { mode: 0o600 });
    await h.writeFileAtomic('/etc/x', 'b');
    expect(h.info('/etc/x')).toMatchObject({ mode: 0o600, size: 1 });
  });

  it('lock: a no-op handle, or LOCKED when configured; a settable clock', async () => {
    const h = new FakeHost({ now: 100 });
    const lock = await h.acquireLock('/var/lib/vm-provision/run.lock');
    expect(h.lockHeld).toBe(true);
    await lock.release();
    expect(h.lockHeld).toBe(false);
    h.lockedBy = 4242;
    const e = await h.acquireLock('/var/lib/vm-provision/run.lock').catch((x: unknown) => x);
    expect(isVmpError(e) && e.code === 'LOCKED' && e.context.pid === 4242).toBe(true);
    expect(await h.now()).toBe(100);
    h.advance(5);
    expect(await h.now()).toBe(105);
  });
});

describe('simulated condor_config_val', () => {
  const base = () => new FakeHost({ name: HOST }).file(MAIN_CONFIG, mainConfigText()).dir(CONFIG_DIRS[0]!).dir(CONFIG_DIRS[1]!)
    .onCommand('condor_config_val', condorConfigVal());

  it('reproduces the captured facts output byte-exact', async () => {
    const r = await base().exec('condor_config_val', ['-v', 'VM_TYPE', 'LOCAL_CONFIG_DIR', 'LOG', 'SBIN', 'FULL_HOSTNAME']);
    expect(r.stdout).toBe(output('condor_config_val-v-facts.stdout'));
    expect(r.stderr).toBe(output('condor_config_val-v-facts.stderr'));
    expect(r.exitCode).toBe(1);
  });

  it('reproduces the captured VM knob output byte-exact (values equal to defaults say <Default>)', async () => {
    const h = base().file('/etc/condor/config.d/50-x.config', 'VM_TYPE = kvm\nVM_GAHP_SERVER = $(SBIN)/condor_vm-gahp\nVM_GAHP_LOG = $(LOG)/VMGahpLog\nVM_MEMORY = 1024\n');
    const r = await h.exec('condor_config_val', ['-v', 'VM_TYPE', 'VM_GAHP_SERVER', 'VM_GAHP_LOG', 'VM_MEMORY']);
    expect(r.stdout).toBe(output('condor_config_val-v-vm-knobs.stdout'));
    expect(r.exitCode).toBe(0);
  });

  it('the last file read wins; skipped names are not read; CONDOR_CONFIG reads only that file', async () => {
    const h = base()
      .file('/etc/condor/config.d/50-vm.config', 'VM_MEMORY = 1024\n')
      .file('/etc/condor/config.d/99-site.config', '# site\nVM_MEMORY = 4096\n')
      .file('/etc/condor/config.d/99-zz.config~', 'VM_MEMORY = 1\n')
      .file('/usr/share/condor/config.d/99-late-name.config', 'VM_MEMORY = 2\n');
    const r = await h.exec('condor_config_val', ['-v', 'VM_MEMORY']);
    expect(r.stdout).toBe('VM_MEMORY = 4096\n # at: /etc/condor/config.d/99-site.config, line 2\n # raw: VM_MEMORY = 4096\n\n');
    const s = await h.exec('condor_config_val', ['-v', 'VM_MEMORY'], { env: { CONDOR_CONFIG: '/etc/condor/config.d/50-vm.config' } });
    expect(s.stdout).toBe('VM_MEMORY = 1024\n # at: /etc/condor/config.d/50-vm.config, line 1\n # raw: VM_MEMORY = 1024\n\n');
  });
});

describe('fakeNode', () => {
  it('gathers to exactly factsFixture()', async () => {
    const { host } = fakeNode();
    const { condor: { knobSources, ...condor }, ...rest } = await gatherFacts(host);
    expect({ ...rest, condor }).toEqual(factsFixture());
    // One condor_config_val call also reads every knob vm-provision may write, for the config step.
    expect(Object.keys(knobSources ?? {}).sort()).toEqual([...WRITABLE_KNOBS].sort());
    expect(knobSources?.VM_TYPE).toMatchObject({ defined: false });
  });

  it('gathers with strict reads: every file read was provided or is a known-missing PATH probe', async () => {
    const { host } = fakeNode({ strictReads: true });
    host.absent(...SEARCH_PATH);
    const facts = await gatherFacts(host);
    expect(facts.condor.version?.text).toBe('23.9.6');
    expect(host.commandLines()).toEqual([
      'id -u',
      'ps -e -o pid= -o ruser= -o comm=',
      'systemctl show -p Id,LoadState,ActiveState,UnitFileState libvirtd.service libvirtd.socket virtqemud.service virtqemud.socket virtxend.service virtxend.socket',
      `condor_config_val -subsystem startd -v LOCAL_CONFIG_DIR LOCAL_CONFIG_FILE SBIN LOG FULL_HOSTNAME VM_GAHP_LOG CONDOR_VERSION ${WRITABLE_KNOBS.join(' ')}`,
      // The simulator does not define the CONDOR_VERSION macro: condor_version is the fallback.
      'condor_version',
    ]);
    expect(host.mutations()).toEqual([]);
  });

  it('a node without libvirt gathers no loaded units and no virsh', async () => {
    const { host } = fakeNode({ installed: [] });
    const facts = await gatherFacts(host);
    expect(facts.libvirt.virsh).toBeUndefined();
    expect(facts.libvirt.units.every((u) => u.loadState === 'not-found')).toBe(true);
  });
});

describe('FakeHost directories', () => {
  it('a directory stays when its last file is removed, as on a real file system', async () => {
    const h = new FakeHost().file('/etc/condor/config.d/50-vm-universe.config', 'x');
    await h.remove('/etc/condor/config.d/50-vm-universe.config');
    expect(await h.listDir('/etc/condor/config.d')).toEqual([]);
    await h.writeFileAtomic('/etc/condor/config.d/50-vm-universe.config', 'y');
    expect(h.content('/etc/condor/config.d/50-vm-universe.config')).toBe('y');
    await expect(h.remove('/etc/condor/config.d')).rejects.toThrow(/is a directory/);
  });
});
