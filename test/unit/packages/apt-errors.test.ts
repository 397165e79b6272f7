// What apt-get and dpkg printed, classified: texts captured from apt 3.0 / dpkg 1.22 on Debian 13 testbed nodes.
import { describe, expect, it } from 'vitest';
import { classifyAptFailure, describeAptFailure, parseAptSources, parseDpkgAudit } from '../../../src/packages/apt-errors.ts';
import { installPackages } from '../../../src/packages/package-manager.ts';
import { isVmpError, type VmpError } from '../../../src/errors/vmp-error.ts';
import { FakeHost } from '../../helpers/fake-host.ts';

const READING = 'Reading package lists...\nBuilding dependency tree...\nReading state information...\n';
const INTERRUPTED = "E: dpkg was interrupted, you must manually run 'dpkg --configure -a' to correct the problem. \n";
const NO_CANDIDATE = "Package libvirt-daemon-system is not available, but is referred to by another package.\nThis may mean that the package is missing, has been obsoleted, or\nis only available from another source\n\nE: Package 'libvirt-daemon-system' has no installation candidate\n";
const AUDIT = 'The following packages are only half configured, probably due to problems\nconfiguring them the first time.  The configuration should be retried using\ndpkg --configure <package> or the configure menu option in dselect:\n vmp-fault-hang       postinst waits while /run/vmp-fault-hang exists\n\n';
const POLICY = 'Package files:\n 100 /var/lib/dpkg/status\n     release a=now\n 500 file:/srv/vmp-fault-repo ./ Packages\n     release c=\n 500 http://deb.debian.org/debian trixie/main amd64 Packages\n     release v=13,o=Debian,a=stable,n=trixie,l=Debian,c=main,b=amd64\nPinned packages:\n';

describe('classifyAptFailure', () => {
  it('dpkg interrupted: the E: line, no packages', () => {
    expect(classifyAptFailure(INTERRUPTED)).toEqual({ kind: 'dpkg-interrupted', packages: [], line: "E: dpkg was interrupted, you must manually run 'dpkg --configure -a' to correct the problem." });
  });
  it('no installation candidate and unable to locate: each package named once', () => {
    expect(classifyAptFailure(READING + NO_CANDIDATE)).toEqual({ kind: 'not-installable', packages: ['libvirt-daemon-system'], line: "E: Package 'libvirt-daemon-system' has no installation candidate" });
    const two = classifyAptFailure(`${READING}E: Unable to locate package qemu-system-x86\nE: Unable to locate package libvirt-clients\n`);
    expect(two.kind).toBe('not-installable');
    expect(two.packages).toEqual(['qemu-system-x86', 'libvirt-clients']);
    const mixed = classifyAptFailure("E: Package 'libvirt-daemon-system' has no installation candidate\nE: Unable to locate package libvirt-daemon-driver-qemu\nE: Package 'libvirt-clients' has no installation candidate\n");
    expect(mixed).toEqual({ kind: 'not-installable', packages: ['libvirt-daemon-system', 'libvirt-daemon-driver-qemu', 'libvirt-clients'], line: "E: Package 'libvirt-daemon-system' has no installation candidate" });
  });
  it('a held lock, a failed download, broken dependencies, anything else', () => {
    expect(classifyAptFailure('E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)\n').kind).toBe('locked');
    expect(classifyAptFailure('E: Failed to fetch http://deb.debian.org/debian/pool/main/q/qemu.deb  404  Not Found\n').kind).toBe('fetch-failed');
    expect(classifyAptFailure('E: Unable to correct problems, you have held broken packages.\n').kind).toBe('unmet-dependencies');
    expect(classifyAptFailure('something odd\nlast words\n')).toEqual({ kind: 'other', packages: [], line: 'last words' });
  });
});

describe('parseDpkgAudit and parseAptSources', () => {
  it('the half-configured package from dpkg --audit', () => {
    expect(parseDpkgAudit(AUDIT)).toEqual([{ name: 'vmp-fault-hang', state: 'half configured' }]);
    expect(parseDpkgAudit('')).toEqual([]);
  });
  it('the sources from apt-cache policy, without dpkg\'s status file', () => {
    expect(parseAptSources(POLICY)).toEqual(['file:/srv/vmp-fault-repo ./', 'http://deb.debian.org/debian trixie/main']);
  });
});

describe('describeAptFailure', () => {
  it('dpkg interrupted: the unfinished package, and dpkg --configure -a as the next action', () => {
    const d = describeAptFailure(classifyAptFailure(INTERRUPTED), ['libvirt-clients'], { unfinished: parseDpkgAudit(AUDIT) });
    expect(d.message).toMatch(/^dpkg was interrupted: .*\(left unfinished: vmp-fault-hang half configured\)/);
    expect(d.hint).toMatch(/^run `dpkg --configure -a` as root/);
  });
  it('not installable: the package, the apt line and the sources', () => {
    const d = describeAptFailure(classifyAptFailure(NO_CANDIDATE), ['libvirt-daemon-system', 'qemu-system-x86'], { sources: ['file:/srv/vmp-fault-repo ./'] });
    expect(d.message).toBe("libvirt-daemon-system cannot be installed: the node's package sources have no version of it (\"E: Package 'libvirt-daemon-system' has no installation candidate\", also after apt-get update)");
    expect(d.hint).toContain('add a repository that has libvirt-daemon-system');
    expect(d.hint).toContain('(file:/srv/vmp-fault-repo ./)');
  });
});

async function failure(p: Promise<unknown>): Promise<VmpError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  if (!isVmpError(e)) throw new Error(`expected a VmpError, got ${String(e)}`);
  return e;
}

describe('installPackages names apt\'s cause', () => {
  const INSTALL = ['apt-get', 'install', '-y', '-q', '--no-install-recommends', 'libvirt-daemon-system'];
  it('dpkg interrupted: no apt-get update, dpkg --audit read for the message', async () => {
    const host = new FakeHost().on(INSTALL, { exitCode: 100, stdout: READING, stderr: INTERRUPTED }).on(['dpkg', '--audit'], { stdout: AUDIT });
    const e = await failure(installPackages(host, 'apt-get', ['libvirt-daemon-system']));
    expect(e.code).toBe('PACKAGES');
    expect(e.message).toMatch(/^dpkg was interrupted: .*vmp-fault-hang half configured.*\(apt-get exit 100\)$/);
    expect(e.hint).toMatch(/dpkg --configure -a/);
    expect(host.commandLines()).toEqual(['apt-get install -y -q --no-install-recommends libvirt-daemon-system', 'dpkg --audit']);
  });
  it('not installable after apt-get update: the package and the node\'s sources', async () => {
    const host = new FakeHost().on(INSTALL, { exitCode: 100, stdout: READING, stderr: NO_CANDIDATE })
      .on(['apt-get', 'update', '-q'], { stdout: 'Get:1 file:/srv/vmp-fault-repo ./ InRelease\n' }).on(['apt-cache', 'policy'], { stdout: POLICY });
    const e = await failure(installPackages(host, 'apt-get', ['libvirt-daemon-system']));
    expect(e.message).toMatch(/^libvirt-daemon-system cannot be installed: the node's package sources have no version of it/);
    expect(e.hint).toContain('file:/srv/vmp-fault-repo ./, http://deb.debian.org/debian trixie/main');
    expect(e.context.stderrTail).toContain("E: Package 'libvirt-daemon-system' has no installation candidate");
  });
});
