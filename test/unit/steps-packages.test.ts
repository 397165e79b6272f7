// The packages step against a FakeHost: checked first, installed only on a difference, never in --check.
import { describe, expect, it } from 'vitest';
import { lockWait, packages } from '../../src/steps/packages.ts';
import { JOURNAL_FILE } from '../../src/engine/journal.ts';
import { KVM_NEEDS, packagesFor } from '../../src/packages/package-map.ts';
import { installArgv, installPackages } from '../../src/packages/package-manager.ts';
import { isVmpError, type VmpError } from '../../src/errors/vmp-error.ts';
import { DPKG_QUERY as DPKG, FakeHost, withDpkg, type ExecCall } from '../helpers/fake-host.ts';
import { DEBIAN_KVM_PACKAGES, factsFixture, makeContext, profileFrom } from '../helpers/facts-fixture.ts';

const APT_INSTALL = ['apt-get', 'install', '-y', '-q', '--no-install-recommends'];

/** A node where `installed` are installed; apt-get install installs what it is asked for. */
function debianHost(installed: string[]) {
  const have = new Set(installed);
  const host = withDpkg(new FakeHost(), have);
  return { host, have };
}

async function failure(p: Promise<unknown>): Promise<VmpError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  if (!isVmpError(e)) throw new Error(`expected a VmpError, got ${String(e)}`);
  return e;
}

describe('package map', () => {
  it('packagesFor per family', () => {
    expect(packagesFor(KVM_NEEDS, 'debian')).toEqual(DEBIAN_KVM_PACKAGES);
    expect(packagesFor(KVM_NEEDS, 'rhel')).toEqual(['libvirt-daemon', 'libvirt-daemon-driver-qemu', 'libvirt-client', 'qemu-kvm', 'condor-vm-gahp']);
    expect(packagesFor(KVM_NEEDS, 'suse')).toEqual(['libvirt-daemon', 'libvirt-daemon-driver-qemu', 'libvirt-client', 'qemu-kvm', 'condor-vm-gahp']);
    expect(packagesFor(KVM_NEEDS, 'unknown')).toEqual([]);
  });

  it('packagesFor removes duplicates', () => {
    expect(packagesFor([...KVM_NEEDS, ...KVM_NEEDS], 'debian')).toEqual(DEBIAN_KVM_PACKAGES);
  });

  it('installArgv per package manager', () => {
    expect(installArgv('apt-get', ['a', 'b'])).toEqual(['apt-get', ['install', '-y', '-q', '--no-install-recommends', 'a', 'b']]);
    expect(installArgv('dnf', ['a'])).toEqual(['dnf', ['install', '-y', '-q', 'a']]);
    expect(installArgv('yum', ['a'])).toEqual(['yum', ['install', '-y', '-q', 'a']]);
    expect(installArgv('zypper', ['a'])).toEqual(['zypper', ['--non-interactive', 'install', '--no-recommends', 'a']]);
  });
});

describe('installPackages', () => {
  it('refreshes the apt index once when apt cannot locate a package, then retries', async () => {
    const host = new FakeHost()
      .on([...APT_INSTALL, 'condor-vm-gahp'], [{ exitCode: 100, stderr: 'E: Unable to locate package condor-vm-gahp\n' }, { stdout: 'ok\n' }])
      .on(['apt-get', 'update', '-q'], { stdout: 'Hit:1 ...\n' });
    await installPackages(host, 'apt-get', ['condor-vm-gahp']);
    expect(host.commandLines()).toEqual([
      'apt-get install -y -q --no-install-recommends condor-vm-gahp', 'apt-get update -q', 'apt-get install -y -q --no-install-recommends condor-vm-gahp',
    ]);
  });

  it('throws PACKAGES with the command and stderr tail when the install fails', async () => {
    const host = new FakeHost().onCommand('dnf', { exitCode: 1, stderr: 'Error: Unable to find a match: condor-vm-gahp\n' });
    const e = await failure(installPackages(host, 'dnf', ['condor-vm-gahp']));
    expect(e.code).toBe('PACKAGES');
    expect(e.context.command).toEqual(['dnf', 'install', '-y', '-q', 'condor-vm-gahp']);
    expect(e.context.stderrTail).toBe('Error: Unable to find a match: condor-vm-gahp');
    expect(host.calls).toHaveLength(1);
  });
});

describe('packages step', () => {
  it('all present: ok, and only the query ran', async () => {
    const { host } = debianHost(DEBIAN_KVM_PACKAGES);
    const ctx = makeContext({ host });
    const r = await packages.run(ctx);
    expect(r.status).toBe('ok');
    expect(host.commandLines()).toEqual([[...DPKG, ...DEBIAN_KVM_PACKAGES].join(' ')]);
    expect(ctx.state.packagesToInstall).toEqual([]);
    expect(host.mutations()).toEqual([]);
  });

  it('all present but the gahp not executable (chmod a-x): fails naming the path, its mode and chmod 755; nothing installed or written', async () => {
    const { host } = debianHost(DEBIAN_KVM_PACKAGES);
    host.file('/usr/sbin/condor_vm-gahp', '\x7fELF', { mode: 0o644 });
    const e = await failure(packages.run(makeContext({ host })));
    expect(e.code).toBe('PACKAGES');
    expect(e.message).toBe("the VM gahp /usr/sbin/condor_vm-gahp is not executable (mode 0644): the startd would turn the VM universe off (\"To support vm universe, '/usr/sbin/condor_vm-gahp' must be executable\"); the config was not changed");
    expect(e.hint).toMatch(/^chmod 755 \/usr\/sbin\/condor_vm-gahp /);
    expect(host.mutations()).toEqual([]);
  });

  it('missing + --check: pending, nothing installed, packagesToInstall set for the later steps', async () => {
    const { host } = debianHost(['libvirt-clients', 'qemu-system-x86']);
    const ctx = makeContext({ host, check: true });
    const r = await packages.run(ctx);
    expect(r.status).toBe('pending');
    expect(r.changes).toEqual(['install libvirt-daemon-system', 'install libvirt-daemon-driver-qemu', 'install condor-vm-gahp']);
    expect(ctx.state.packagesToInstall).toEqual(['libvirt-daemon-system', 'libvirt-daemon-driver-qemu', 'condor-vm-gahp']);
    expect(ctx.state.packagesInstalled).toEqual([]);
    expect(host.callsOf('apt-get')).toEqual([]);
    expect(host.mutations()).toEqual([]);
  });

  it('missing + apply: the exact apt-get argv with DEBIAN_FRONTEND=noninteractive, then a re-check', async () => {
    const { host, have } = debianHost(['libvirt-clients', 'qemu-system-x86']);
    const ctx = makeContext({ host });
    const r = await packages.run(ctx);
    expect(r).toMatchObject({ status: 'changed', changes: ['installed libvirt-daemon-system', 'installed libvirt-daemon-driver-qemu', 'installed condor-vm-gahp'] });
    const apt = host.callsOf('apt-get');
    expect(apt).toHaveLength(1);
    expect(apt[0]!.argv).toEqual([...APT_INSTALL, 'libvirt-daemon-system', 'libvirt-daemon-driver-qemu', 'condor-vm-gahp']);
    expect(apt[0]!.opts.env).toMatchObject({ DEBIAN_FRONTEND: 'noninteractive' });
    expect(ctx.state.packagesInstalled).toEqual(['libvirt-daemon-system', 'libvirt-daemon-driver-qemu', 'condor-vm-gahp']);
    expect(have.has('condor-vm-gahp')).toBe(true);
    // the re-check asks only about what was missing
    expect(host.calls.at(-1)!.argv).toEqual([...DPKG, 'libvirt-daemon-system', 'libvirt-daemon-driver-qemu', 'condor-vm-gahp']);
    expect(ctx.messages).toEqual(['installing libvirt-daemon-system, libvirt-daemon-driver-qemu, condor-vm-gahp']);
  });

  it('the journal records the install before apt-get runs and drops it once the packages are installed', async () => {
    const { host } = debianHost(['libvirt-clients', 'qemu-system-x86']);
    const ctx = makeContext({ host });
    await packages.run(ctx);
    const aptAt = host.indexOf((o) => o.op === 'exec' && o.argv[0] === 'apt-get');
    const writes = host.log.filter((o) => o.op === 'write' && o.path === JOURNAL_FILE) as Array<{ seq: number; content: string }>;
    expect(writes).toHaveLength(2);
    expect(host.indexOf((o) => o === writes[0])).toBeLessThan(aptAt);
    expect(JSON.parse(writes[0]!.content).pendingInstall.packages).toEqual(['libvirt-daemon-system', 'libvirt-daemon-driver-qemu', 'condor-vm-gahp']);
    expect(JSON.parse(host.content(JOURNAL_FILE)!)).toEqual({});
  });

  // kill -9 during apt-get: the orphaned apt-get/dpkg holds dpkg's lock a while, or died mid-unpack.
  it('an install a killed run left unfinished: waits for dpkg\'s lock, dpkg --configure -a, then installs what is still missing', async () => {
    const saved = { ...lockWait };
    lockWait.stepMs = 1;
    try {
      const { host } = debianHost(['libvirt-clients', 'qemu-system-x86', 'libvirt-daemon-system']);
      const locked = { exitCode: 2, stderr: 'dpkg: error: dpkg frontend lock was locked by another process with pid 4242\nNote: removing the lock file is always wrong\n' };
      host.onCommand('dpkg', [locked, {}]);
      const pendingInstall = { packages: ['libvirt-daemon-system', 'libvirt-daemon-driver-qemu', 'condor-vm-gahp'], since: '2026-12-01T18:00:00.000Z' };
      const ctx = makeContext({ host, journal: { pendingInstall } });
      const r = await packages.run(ctx);
      expect(r.status).toBe('changed');
      expect(r.summary).toMatch(/^finished the install of libvirt-daemon-system libvirt-daemon-driver-qemu condor-vm-gahp a previous run started at 2026-12-01T18:00:00.000Z and did not finish: dpkg --configure -a; installed libvirt-daemon-driver-qemu, condor-vm-gahp$/);
      expect(host.callsOf('dpkg').map((c) => c.argv.join(' '))).toEqual(['dpkg --configure -a', 'dpkg --configure -a']);
      expect(host.callsOf('dpkg')[0]!.opts.env).toMatchObject({ DEBIAN_FRONTEND: 'noninteractive' });
      expect(ctx.messages[0]).toBe('waiting for dpkg\'s lock: Note: removing the lock file is always wrong');
      // The services step re-reads the units of what this run finished or installed.
      expect(ctx.state.packagesInstalled).toEqual(['libvirt-daemon-system', 'libvirt-daemon-driver-qemu', 'condor-vm-gahp']);
      expect(JSON.parse(host.content(JOURNAL_FILE)!)).toEqual({});
    } finally { Object.assign(lockWait, saved); }
  });

  it('dpkg --configure -a fails on dependencies an interrupted unpack never brought: apt-get install -f; all present then', async () => {
    const { host } = debianHost(DEBIAN_KVM_PACKAGES);
    host.onCommand('dpkg', { exitCode: 1, stderr: 'dpkg: dependency problems prevent configuration of libvirt-daemon-system:\n' });
    host.on((c: ExecCall) => c.cmd === 'apt-get' && c.args.includes('-f'), { stdout: 'Setting up libvirt-daemon-system ...\n' });
    const pendingInstall = { packages: ['libvirt-daemon-system'], since: '2026-12-01T18:00:00.000Z' };
    const ctx = makeContext({ host, journal: { pendingInstall } });
    const r = await packages.run(ctx);
    expect(r).toMatchObject({ status: 'changed' });
    expect(ctx.state.packagesInstalled).toEqual(['libvirt-daemon-system']);
    expect(r.summary).toContain('did not finish: dpkg --configure -a (exit 1), apt-get install -f; ');
    expect(host.callsOf('apt-get')[0]!.argv).toEqual(['apt-get', '-o', 'DPkg::Lock::Timeout=300', 'install', '-f', '-y', '-q', '--no-install-recommends']);
    expect(JSON.parse(host.content(JOURNAL_FILE)!)).toEqual({});
  });

  it('--check with an unfinished install of ours: says it would finish it, runs nothing', async () => {
    const { host } = debianHost(DEBIAN_KVM_PACKAGES);
    const ctx = makeContext({ host, check: true, journal: { pendingInstall: { packages: ['qemu-system-x86'], since: 'x' } } });
    const r = await packages.run(ctx);
    expect(ctx.state.packagesToInstall).toEqual(['qemu-system-x86']);
    expect(r.status).toBe('pending');
    expect(r.summary).toContain('would finish the install of qemu-system-x86');
    expect(host.callsOf('dpkg')).toEqual([]);
    expect(host.mutations()).toEqual([]);
  });

  it('install succeeded but the package is still missing: PACKAGES', async () => {
    const { host } = debianHost([]);
    host.on((c: ExecCall) => c.cmd === 'apt-get', { stdout: 'nothing done\n' });
    const e = await failure(packages.run(makeContext({ host })));
    expect(e.code).toBe('PACKAGES');
    expect(e.message).toMatch(/succeeded but .*condor-vm-gahp.* still not installed/);
  });

  it('packages.install false + missing: PACKAGES with the install command in the hint, nothing run', async () => {
    const { host } = debianHost(['libvirt-daemon-system', 'libvirt-daemon-driver-qemu', 'libvirt-clients', 'qemu-system-x86']);
    const profile = profileFrom(undefined, [['install: true', 'install: false']]);
    const e = await failure(packages.run(makeContext({ host, profile })));
    expect(e.code).toBe('PACKAGES');
    expect(e.message).toContain('missing packages: condor-vm-gahp');
    expect(e.hint).toBe('install them: apt-get install -y -q --no-install-recommends condor-vm-gahp');
    expect(host.callsOf('apt-get')).toEqual([]);
  });

  it('a Rocky node queries rpm and would install with dnf', async () => {
    const host = new FakeHost().onCommand('rpm', { stdout: 'libvirt-daemon\nlibvirt-daemon-driver-qemu\nlibvirt-client\nqemu-kvm\npackage condor-vm-gahp is not installed\n', exitCode: 1 });
    const facts = factsFixture({ os: { id: 'rocky', idLike: ['rhel', 'centos', 'fedora'], versionId: '9.4', prettyName: 'Rocky Linux 9.4 (Blue Onyx)', family: 'rhel' }, packageManager: 'dnf' });
    const ctx = makeContext({ host, facts, check: true });
    const r = await packages.run(ctx);
    expect(r.status).toBe('pending');
    expect(ctx.state.packagesToInstall).toEqual(['condor-vm-gahp']);
    expect(host.calls[0]!.argv).toEqual(['rpm', '-q', '--qf', '%{NAME}\n', 'libvirt-daemon', 'libvirt-daemon-driver-qemu', 'libvirt-client', 'qemu-kvm', 'condor-vm-gahp']);
  });

  it('an unknown distribution: PACKAGES naming ID and ID_LIKE, nothing run', async () => {
    const host = new FakeHost();
    const facts = factsFixture({ os: { id: 'arch', idLike: [], versionId: '', prettyName: 'Arch Linux', family: 'unknown' }, packageManager: undefined });
    const e = await failure(packages.run(makeContext({ host, facts })));
    expect(e.code).toBe('PACKAGES');
    expect(e.message).toContain('no package map for Arch Linux (ID=arch; package manager: none found)');
    expect(host.calls).toEqual([]);
  });
});
