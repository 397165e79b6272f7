// Preflight, packages and services for Xen profiles, against the shared FakeHost: Dom0 or staged, the initrd's
// kernel found before any change, the Xen tool set on Debian (and what must never be installed), Xen's services
// enabled but not started off a Dom0, xend only for Xen ≤ 4.4.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isStaged, preflight } from '../../src/steps/preflight.ts';
import { packages } from '../../src/steps/packages.ts';
import { services } from '../../src/steps/services.ts';
import { LIBVIRT_UNITS } from '../../src/facts/gather.ts';
import { XEN_SERVICE_UNITS } from '../../src/xen/tools.ts';
import { detectXenRole, readXenSignals, type XenDetection } from '../../src/xen/dom0.ts';
import type { UnitState } from '../../src/facts/parse.ts';
import type { Facts } from '../../src/facts/gather.ts';
import type { Profile } from '../../src/profile/index.ts';
import { isVmpError, type VmpError } from '../../src/errors/vmp-error.ts';
import { DPKG_QUERY as DPKG, FakeHost, withDpkg } from '../helpers/fake-host.ts';
import { UNITS, exampleText, factsFixture, makeContext, notFound, profileFrom, systemctlShowOutput, unitState } from '../helpers/facts-fixture.ts';

const KVER = '6.12.117+deb13-amd64';
const OTHER_KVERS = ['6.1.0-28-amd64', '6.12.48+deb13-amd64'];
const FIX = resolve(import.meta.dirname, '../fixtures/xen');

async function failure(p: Promise<unknown>): Promise<VmpError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  if (!isVmpError(e)) throw new Error(`expected a VmpError, got ${String(e)}`);
  return e;
}

/** The Xen role as gatherFacts decides it from a captured /sys + /proc tree (test/fixtures/xen/<name>). */
async function roleOf(name: string, unreadable: string[] = []): Promise<XenDetection> {
  class Tree extends FakeHost {
    override async readFile(path: string) {
      if (unreadable.includes(path)) throw Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: 'EACCES' });
      return super.readFile(path);
    }
  }
  const h = new Tree();
  const walk = (dir: string, rel: string) => {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) { h.dir(`${rel}/${e}`); walk(p, `${rel}/${e}`); } else if (e !== '.keep') h.file(`${rel}/${e}`, readFileSync(p, 'utf8'));
    }
  };
  walk(join(FIX, name), '');
  return detectXenRole(await readXenSignals(h));
}

const xenProfile = (edits: Array<[string, string]> = []): Profile => profileFrom(exampleText('xen-node.yaml'), edits);
const staged = (edits: Array<[string, string]> = []) => xenProfile([['requireDom0: true', 'requireDom0: false'], ...edits]);
const xenFacts = (xen: XenDetection, over: Parameters<typeof factsFixture>[0] = {}): Facts => factsFixture({ kernelRelease: KVER, ...over, xen });

/** A node with kernels under /lib/modules (each with a modules.dep), the stock initrds, and nothing else. */
function kernelsNode(kernels: string[] = [KVER], opts: { strict?: boolean } = {}): FakeHost {
  const h = new FakeHost({ strictReads: opts.strict ?? false });
  for (const k of kernels) h.file(`/lib/modules/${k}/modules.dep`, 'kernel/drivers/net/xen-netfront.ko.xz:\n').file(`/boot/vmlinuz-${k}`, 'k').file(`/boot/initrd.img-${k}`, 'stock');
  return h;
}

// ---------------------------------------------------------------------------------------------------------------
describe('preflight (Xen): Dom0 or staged', () => {
  it('a Dom0 (captured pvops tree): ok, naming the signal that decided and the initrd kernel; nothing run or written', async () => {
    const host = kernelsNode();
    const ctx = makeContext({ host, profile: xenProfile(), facts: xenFacts(await roleOf('pvops-dom0')) });
    const r = await preflight.run(ctx);
    expect(r.status).toBe('ok');
    expect(r.summary).toBe(`HTCondor 23.9.6, Xen Dom0 (/sys/hypervisor/properties/features = 000228f0 (XENFEAT_dom0 bit 11 set)), initrd kernel ${KVER}`);
    expect(isStaged(ctx)).toBe(false);
    expect(ctx.state.xen?.kernelVersion).toBe(KVER);
    // Only the read-only clock check: when did the collector last hear from this node?
    expect(host.calls.map((c) => c.argv.slice(0, 3).join(' '))).toEqual(['condor_status -af:t LastHeardFrom']);
    expect(host.mutations()).toEqual([]);
  });

  it('a xenlinux Dom0 decided by control_d in /proc/xen/capabilities: ok', async () => {
    const r = await preflight.run(makeContext({ host: kernelsNode(), profile: xenProfile(), facts: xenFacts(await roleOf('xenlinux-dom0')) }));
    expect(r.summary).toContain('Xen Dom0 (/proc/xen/capabilities contains control_d)');
  });

  /** requireDom0: true off a Dom0: refused before the node is read at all (a strict, empty fake throws on any read). */
  async function refusedOff(role: XenDetection): Promise<VmpError> {
    const host = new FakeHost({ strictReads: true });
    const e = await failure(preflight.run(makeContext({ host, profile: xenProfile(), facts: xenFacts(role) })));
    expect(e.code).toBe('PREFLIGHT');
    expect(host.log).toEqual([]);
    return e;
  }
  const BOOT_OR_STAGE = 'boot the Xen hypervisor entry of the boot loader (e.g. GRUB\'s "… with Xen hypervisor"), or set xen.requireDom0: false to prepare the node now (staged) and finish after that boot';

  it('requireDom0 on bare metal: "not a Xen Dom0", naming both missing signals and the running kernel, with boot-or-stage hint', async () => {
    const e = await refusedOff(await roleOf('bare-metal'));
    expect(e.message).toBe(`not a Xen Dom0: /sys/hypervisor/type missing, /proc/xen missing; running kernel ${KVER}`);
    expect(e.hint).toBe(BOOT_OR_STAGE);
  });

  it('requireDom0 on a KVM guest (/sys/hypervisor without type): none as well', async () => {
    const e = await refusedOff(await roleOf('kvm-guest'));
    expect(e.message).toBe(`not a Xen Dom0: /sys/hypervisor/type missing, /proc/xen missing; running kernel ${KVER}`);
  });

  it('requireDom0 on a DomU: names the features word, and says to run in the Dom0 instead', async () => {
    const e = await refusedOff(await roleOf('pvops-domu'));
    expect(e.message).toBe(`a Xen DomU (guest), not the Dom0: /sys/hypervisor/properties/features = 00002705 (XENFEAT_dom0 bit 11 clear); running kernel ${KVER}`);
    expect(e.hint).toBe('run vm-provision in the Dom0 of this Xen host');
  });

  it('requireDom0 on a Xen kernel without xenfs or features: unknown, with how to mount xenfs', async () => {
    const e = await refusedOff(await roleOf('xen-unknown'));
    expect(e.message).toMatch(/^a Xen kernel whose role could not be told: a Xen kernel, but neither .* is there: xenfs is not mounted \(mount -t xenfs xenfs \/proc\/xen\); running kernel /);
    expect(e.hint).toBe(BOOT_OR_STAGE);
  });

  it('requireDom0 where /proc/xen/capabilities is unreadable: unknown, saying it needs root', async () => {
    const e = await refusedOff(await roleOf('xenlinux-dom0', ['/proc/xen/capabilities']));
    expect(e.message).toContain('readable only by root');
  });

  it('requireDom0: false off a Dom0: staged, the summary says what is deferred; the initrd kernel is still checked', async () => {
    const host = kernelsNode();
    const ctx = makeContext({ host, profile: staged(), facts: xenFacts(await roleOf('bare-metal')) });
    const r = await preflight.run(ctx);
    expect(r.status).toBe('ok');
    expect(r.summary).toBe(`HTCondor 23.9.6, staged: not a Xen Dom0 (none; /sys/hypervisor/type missing, /proc/xen missing), restart and verification deferred, initrd kernel ${KVER}`);
    expect(isStaged(ctx)).toBe(true);
    expect(host.mutations()).toEqual([]);
  });

  it('requireDom0: false on a Dom0 is not staged', async () => {
    const ctx = makeContext({ host: kernelsNode(), profile: staged(), facts: xenFacts(await roleOf('pvops-dom0')) });
    const r = await preflight.run(ctx);
    expect(r.summary).not.toContain('staged');
    expect(isStaged(ctx)).toBe(false);
  });
});

describe('preflight (Xen): the initrd kernel and the output, before anything is installed', () => {
  it('kernelVersion auto without /lib/modules/<running kernel>: error naming the installed kernels, nothing changed', async () => {
    const host = kernelsNode(OTHER_KVERS);
    const e = await failure(preflight.run(makeContext({ host, profile: staged(), facts: xenFacts(await roleOf('bare-metal')) })));
    expect(e.code).toBe('INITRD');
    expect(e.message).toBe(`the running kernel ${KVER} has no /lib/modules/${KVER} on this node; installed kernels: ${OTHER_KVERS.join(', ')} — set xen.kernelVersion to one of them`);
    expect(e.hint).toBe(`set xen.kernelVersion to one of ${OTHER_KVERS.join(', ')}`);
    expect(host.calls).toEqual([]);
    expect(host.mutations()).toEqual([]);
  });

  it('the directory is there but modules.dep is not: says to run depmod', async () => {
    const host = kernelsNode(OTHER_KVERS).dir(`/lib/modules/${KVER}/kernel`);
    const e = await failure(preflight.run(makeContext({ host, profile: xenProfile(), facts: xenFacts(await roleOf('pvops-dom0')) })));
    expect(e.message).toContain(`has no /lib/modules/${KVER}/modules.dep (run depmod ${KVER})`);
  });

  it('an explicit kernelVersion that is not installed: names it as xen.kernelVersion', async () => {
    const host = kernelsNode([KVER]);
    const e = await failure(preflight.run(makeContext({ host, profile: xenProfile([['kernelVersion: auto', 'kernelVersion: 6.1.0-28-amd64']]), facts: xenFacts(await roleOf('pvops-dom0')) })));
    expect(e.message).toBe(`kernel 6.1.0-28-amd64 (xen.kernelVersion) has no /lib/modules/6.1.0-28-amd64 on this node; installed kernels: ${KVER} — set xen.kernelVersion to one of them`);
    expect(e.hint).toBe(`set xen.kernelVersion to ${KVER}`);
  });

  it('an explicit kernelVersion that is installed (not the running one) is the one planned', async () => {
    const ctx = makeContext({ host: kernelsNode([KVER, ...OTHER_KVERS]), profile: xenProfile([['kernelVersion: auto', `kernelVersion: ${OTHER_KVERS[1]}`]]), facts: xenFacts(await roleOf('pvops-dom0')) });
    const r = await preflight.run(ctx);
    expect(r.summary).toContain(`initrd kernel ${OTHER_KVERS[1]}`);
    expect(ctx.state.xen?.kernelVersion).toBe(OTHER_KVERS[1]);
  });

  it('build: false: no kernel needed (a node without /lib/modules passes)', async () => {
    const host = new FakeHost();
    const r = await preflight.run(makeContext({ host, profile: xenProfile([['build: true', 'build: false']]), facts: xenFacts(await roleOf('pvops-dom0')) }));
    expect(r.summary).not.toContain('initrd kernel');
  });

  it('an output that is an existing file vm-provision did not build: refused in preflight', async () => {
    const out = `/boot/initrd-${KVER}-condor-xen.img`;
    const host = kernelsNode().file(out, 'an image from elsewhere');
    const e = await failure(preflight.run(makeContext({ host, profile: xenProfile(), facts: xenFacts(await roleOf('pvops-dom0')) })));
    expect(e.code).toBe('INITRD');
    expect(e.message).toContain(`refusing to replace ${out}: it is an existing file of 23 bytes`);
    expect(host.calls).toEqual([]);
    expect(host.mutations()).toEqual([]);
  });

  it('an output that leads to the stock initrd: refused in preflight', async () => {
    const host = kernelsNode().symlink('/boot/xen-guests.img', `initrd.img-${KVER}`);
    const e = await failure(preflight.run(makeContext({ host, profile: xenProfile([['output: /boot/initrd-{kernelVersion}-condor-xen.img', 'output: /boot/xen-guests.img']]), facts: xenFacts(await roleOf('pvops-dom0')) })));
    expect(e.message).toContain(`it leads to the stock initrd /boot/initrd.img-${KVER}`);
    expect(host.mutations()).toEqual([]);
  });
});

describe('preflight (Xen): HTCondor must run as root', () => {
  it('condor_master run by condor: refused, quoting the gahp\'s own requirement', async () => {
    const host = kernelsNode();
    const facts = xenFacts(await roleOf('pvops-dom0'), { condor: { masterRealUser: 'condor' } });
    const e = await failure(preflight.run(makeContext({ host, profile: xenProfile(), facts })));
    expect(e.code).toBe('PREFLIGHT');
    expect(e.message).toBe('condor_master runs as condor, not root: the VM gahp needs root ("VMGahp server for Xen or KVM requires root privilege")');
    expect(e.hint).toBe('start HTCondor as root (the packaged condor service does)');
    expect(host.mutations()).toEqual([]);
  });

  it('staged too: a non-root master is refused before anything is installed', async () => {
    const facts = xenFacts(await roleOf('bare-metal'), { condor: { masterRealUser: 'condor' } });
    const e = await failure(preflight.run(makeContext({ host: kernelsNode(), profile: staged(), facts })));
    expect(e.message).toMatch(/^condor_master runs as condor, not root/);
  });

  it('the agent itself not root: NEEDS_ROOT before any Xen check', async () => {
    const host = new FakeHost({ strictReads: true });
    const facts = xenFacts(await roleOf('bare-metal'), { isRoot: false });
    const e = await failure(preflight.run(makeContext({ host, profile: xenProfile(), facts })));
    expect(e.code).toBe('NEEDS_ROOT');
    expect(host.log).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
const APT_INSTALL = ['apt-get', 'install', '-y', '-q', '--no-install-recommends'];
const XEN_DEBIAN_BASE = ['libvirt-daemon-system', 'libvirt-daemon-driver-xen', 'libvirt-clients', 'xen-utils-common', 'condor-vm-gahp'];
const PKGNAMES = 'xen-utils-common\nxen-utils-4.17\nxen-utils-4.20\nxen-utils-4.9\n';

interface DebianXenOptions {
  installed?: string[];
  /** Binaries present: genisoimage, pygrub (versioned Debian path), dracut, mkinitramfs, xorrisofs. */
  bins?: Array<'genisoimage' | 'xorrisofs' | 'pygrub' | 'dracut' | 'mkinitramfs'>;
  /** What `apt-cache pkgnames xen-utils-` prints. */
  pkgnames?: string;
}

/** A Debian node for the packages step: dpkg-query over `installed`, apt-get install adding to it, apt-cache pkgnames. */
function debianXen(o: DebianXenOptions = {}) {
  const have = new Set(o.installed ?? []);
  const h = new FakeHost();
  for (const b of o.bins ?? []) {
    if (b === 'pygrub') h.bin('/usr/lib/xen-4.20/bin/pygrub');
    else if (b === 'mkinitramfs') h.bin('/usr/sbin/mkinitramfs');
    else h.bin(`/usr/bin/${b}`);
  }
  h.on(['/usr/bin/genisoimage', '-version'], { stdout: 'genisoimage 1.1.11 (Linux)\n' })
    .on(['/usr/bin/xorrisofs', '-version'], { stdout: 'xorriso 1.5.6 : RockRidge filesystem manipulator, libburnia project.\n' })
    .on(['apt-cache', 'pkgnames', 'xen-utils-'], { stdout: o.pkgnames ?? PKGNAMES });
  withDpkg(h, have);
  return { host: h, have };
}

const dom0Facts = async (over: Parameters<typeof factsFixture>[0] = {}) => xenFacts(await roleOf('pvops-dom0'), over);

describe('packages (Xen, Debian)', () => {
  it('nothing there, tool dracut: the Xen set with the versioned xen-utils from the index and dracut-core, never dracut or QEMU', async () => {
    const { host, have } = debianXen();
    const ctx = makeContext({ host, profile: xenProfile([['tool: auto', 'tool: dracut']]), facts: await dom0Facts() });
    const r = await packages.run(ctx);
    const expected = [...XEN_DEBIAN_BASE, 'genisoimage', 'xen-utils-4.20', 'dracut-core'];
    expect(r.status).toBe('changed');
    expect(host.callsOf('apt-cache').map((c) => c.argv)).toEqual([['apt-cache', 'pkgnames', 'xen-utils-']]);
    const apt = host.callsOf('apt-get').map((c) => c.argv);
    expect(apt).toEqual([[...APT_INSTALL, ...expected]]);
    // dracut (the package) replaces initramfs-tools and regenerates the stock initrd: only dracut-core.
    expect(apt[0]).not.toContain('dracut');
    for (const kvmOnly of ['libvirt-daemon-driver-qemu', 'qemu-system-x86']) expect(apt[0]).not.toContain(kvmOnly);
    expect(ctx.state.packagesInstalled).toEqual(expected);
    expect([...have].sort()).toEqual([...expected].sort());
  });

  it('nothing there, tool auto on Debian: initramfs-tools-core (Debian\'s own tool), still never dracut', async () => {
    const { host } = debianXen();
    const ctx = makeContext({ host, profile: xenProfile(), facts: await dom0Facts(), check: true });
    const r = await packages.run(ctx);
    expect(r.status).toBe('pending');
    expect(ctx.state.packagesToInstall).toEqual([...XEN_DEBIAN_BASE, 'genisoimage', 'xen-utils-4.20', 'initramfs-tools-core']);
    expect(ctx.state.packagesToInstall).not.toContain('dracut');
    expect(host.callsOf('apt-get')).toEqual([]);
  });

  it('--check: pending with each package, packagesToInstall for later steps, nothing installed', async () => {
    const { host, have } = debianXen({ installed: ['libvirt-daemon-system', 'libvirt-clients', 'condor-vm-gahp'], bins: ['genisoimage', 'dracut'] });
    const ctx = makeContext({ host, profile: staged([['tool: auto', 'tool: dracut']]), facts: xenFacts(await roleOf('bare-metal')), check: true });
    const r = await packages.run(ctx);
    expect(r).toMatchObject({ status: 'pending', changes: ['install libvirt-daemon-driver-xen', 'install xen-utils-common', 'install xen-utils-4.20'] });
    expect(ctx.state.packagesToInstall).toEqual(['libvirt-daemon-driver-xen', 'xen-utils-common', 'xen-utils-4.20']);
    expect(host.callsOf('apt-get')).toEqual([]);
    expect(host.mutations()).toEqual([]);
    expect(have.size).toBe(3);
  });

  it('all present (packages and the tools found by binary): ok, no install and no index lookup', async () => {
    const { host } = debianXen({ installed: XEN_DEBIAN_BASE, bins: ['genisoimage', 'pygrub', 'mkinitramfs'] });
    const r = await packages.run(makeContext({ host, profile: xenProfile(), facts: await dom0Facts() }));
    expect(r).toEqual({
      status: 'ok',
      summary: '5 packages present; mkisofs: /usr/bin/genisoimage (genisoimage 1.1.11); pygrub: /usr/lib/xen-4.20/bin/pygrub; initrd tool (mkinitramfs): /usr/sbin/mkinitramfs',
    });
    expect(host.commandLines()).toEqual(['/usr/bin/genisoimage -version', [...DPKG, ...XEN_DEBIAN_BASE].join(' ')]);
    expect(host.mutations()).toEqual([]);
  });

  it('tool auto with dracut-core already there: dracut satisfies it, initramfs-tools-core is not installed', async () => {
    const { host } = debianXen({ installed: XEN_DEBIAN_BASE, bins: ['genisoimage', 'pygrub', 'dracut'] });
    const r = await packages.run(makeContext({ host, profile: xenProfile(), facts: await dom0Facts() }));
    expect(r.status).toBe('ok');
    expect(r.summary).toMatch(/initrd tool \(\w+\): \/usr\/bin\/dracut$/);
    expect(host.callsOf('apt-get')).toEqual([]);
  });

  // Was a bug: with tool auto the label was the family's default tool, not the one found.
  it('tool auto: the summary names the tool that was found, not the family default', async () => {
    const { host } = debianXen({ installed: XEN_DEBIAN_BASE, bins: ['genisoimage', 'pygrub', 'dracut'] });
    const r = await packages.run(makeContext({ host, profile: xenProfile(), facts: await dom0Facts() }));
    expect(r.summary).not.toContain('(mkinitramfs): /usr/bin/dracut');
  });

  it('xorriso instead of genisoimage satisfies mkisofs: genisoimage is not installed', async () => {
    const { host } = debianXen({ installed: XEN_DEBIAN_BASE, bins: ['xorrisofs', 'pygrub', 'mkinitramfs'] });
    const r = await packages.run(makeContext({ host, profile: xenProfile(), facts: await dom0Facts() }));
    expect(r.status).toBe('ok');
    expect(r.summary).toContain('mkisofs: /usr/bin/xorrisofs (xorriso 1.5.6)');
    expect(host.callsOf('apt-get')).toEqual([]);
  });

  it('no xen-utils-<version> in the package index: PACKAGES naming pygrub, nothing installed', async () => {
    const { host } = debianXen({ pkgnames: 'xen-utils-common\n' });
    const e = await failure(packages.run(makeContext({ host, profile: xenProfile(), facts: await dom0Facts() })));
    expect(e.code).toBe('PACKAGES');
    expect(e.message).toBe('no package provides pygrub on Debian GNU/Linux 13 (trixie)');
    expect(host.callsOf('apt-get')).toEqual([]);
    expect(host.callsOf('dpkg-query')).toEqual([]);
  });

  it('packages.install false with Xen tools missing: the exact apt-get line in the hint, nothing run', async () => {
    const { host } = debianXen({ installed: XEN_DEBIAN_BASE, bins: ['pygrub', 'mkinitramfs'] });
    const e = await failure(packages.run(makeContext({ host, profile: xenProfile([['install: true', 'install: false']]), facts: await dom0Facts() })));
    expect(e.message).toBe('missing packages: genisoimage (packages.install is false)');
    expect(e.hint).toBe('install them: apt-get install -y -q --no-install-recommends genisoimage');
    expect(host.callsOf('apt-get')).toEqual([]);
  });

  // Was a bug: an explicit xen.bootloader not on the node yet left the map's placeholder `xen-utils-*` in the
  // package list (it reached dpkg-query and apt-get literally) instead of xen-utils-<v> from the index.
  it('an explicit bootloader path that is missing: the versioned xen-utils from the index, never the placeholder "xen-utils-*"', async () => {
    const { host } = debianXen({ installed: XEN_DEBIAN_BASE, bins: ['genisoimage', 'mkinitramfs'] });
    const ctx = makeContext({ host, profile: xenProfile([['bootloader: auto', 'bootloader: /usr/lib/xen-4.20/bin/pygrub']]), facts: await dom0Facts(), check: true });
    await packages.run(ctx);
    expect(host.commandLines().join('\n')).not.toContain('xen-utils-*');
    expect(ctx.state.packagesToInstall).toEqual(['xen-utils-4.20']);
  });

  it('RHEL family: the libxl driver, xen, genisoimage and dracut through rpm', async () => {
    const host = new FakeHost().onCommand('rpm', { exitCode: 1, stdout: 'package libvirt-daemon is not installed\n' });
    const facts = await dom0Facts({ os: { id: 'centos', idLike: ['rhel', 'fedora'], versionId: '7', prettyName: 'CentOS Linux 7 (Core)', family: 'rhel' }, packageManager: 'yum' });
    const ctx = makeContext({ host, profile: xenProfile(), facts, check: true });
    const r = await packages.run(ctx);
    expect(r.status).toBe('pending');
    expect(ctx.state.packagesToInstall).toEqual(['libvirt-daemon', 'libvirt-daemon-driver-libxl', 'libvirt-client', 'xen', 'condor-vm-gahp', 'genisoimage', 'dracut']);
    expect(host.callsOf('apt-cache')).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
const SHOW_XEN = ['systemctl', 'show', '-p', 'Id,LoadState,ActiveState,UnitFileState', ...LIBVIRT_UNITS, ...XEN_SERVICE_UNITS];

/**
 * A node for the services step: `systemctl show` answers from `units` (what the fact gathering would have seen is
 * the same list), `systemctl enable|start` change them; the installed Xen is /usr/lib/xen-<version> (or `xl info`).
 */
function serviceNode(units: UnitState[], xen: { version?: string; xlInfo?: string } = { version: '4.20' }) {
  const map = new Map(units.map((u) => [u.name, { ...u }]));
  const h = new FakeHost();
  if (xen.version) h.dir(`/usr/lib/xen-${xen.version}/bin`);
  else h.dir('/usr/lib/x86_64-linux-gnu');
  h.on((c) => c.cmd === 'systemctl' && c.args[0] === 'show', (c) => ({ stdout: systemctlShowOutput([...map.values()], c.args.slice(3)) }))
    .on((c) => c.cmd === 'systemctl' && ['enable', 'start'].includes(c.args[0]!), (c) => {
      const u = map.get(c.args[1]!);
      if (!u || u.loadState === 'not-found') return { exitCode: 5, stderr: `Failed to ${c.args[0]} ${c.args[1]}: Unit ${c.args[1]} not found.\n` };
      if (c.args[0] === 'start') u.activeState = 'active'; else u.unitFileState = 'enabled';
      return {};
    });
  if (xen.xlInfo !== undefined) h.on(['xl', 'info'], { stdout: xen.xlInfo });
  return { host: h, units: map };
}

const libvirtOk = () => UNITS.debianActive().filter((u) => !XEN_SERVICE_UNITS.includes(u.name));
const changeCalls = (h: FakeHost) => h.callsOf('systemctl').filter((c) => c.args[0] !== 'show').map((c) => c.args.join(' '));

describe('services (Xen)', () => {
  it('staged: the Xen service is enabled but not started (it starts only under the hypervisor)', async () => {
    const { host, units } = serviceNode([...libvirtOk(), notFound('xencommons.service'), unitState('xen.service', 'loaded', 'inactive', 'disabled'), notFound('xend.service')]);
    const ctx = makeContext({ host, profile: staged(), facts: xenFacts(await roleOf('bare-metal'), { libvirt: { units: libvirtOk() } }) });
    const r = await services.run(ctx);
    expect(r).toMatchObject({ status: 'changed', changes: ['enable xen.service'] });
    expect(host.calls[0]!.argv).toEqual(SHOW_XEN);
    expect(changeCalls(host)).toEqual(['enable xen.service']);
    expect(units.get('xen.service')).toMatchObject({ unitFileState: 'enabled', activeState: 'inactive' });
  });

  it('staged and already enabled: ok, says the start is deferred, nothing started', async () => {
    const { host } = serviceNode([...libvirtOk(), notFound('xencommons.service'), unitState('xen.service', 'loaded', 'inactive', 'enabled'), notFound('xend.service')]);
    const r = await services.run(makeContext({ host, profile: staged(), facts: xenFacts(await roleOf('bare-metal')) }));
    expect(r).toMatchObject({ status: 'ok', summary: 'libvirtd.service (monolithic), xen.service (start deferred until Xen runs): enabled' });
    expect(changeCalls(host)).toEqual([]);
  });

  it('--check staged: would enable, runs nothing but systemctl show', async () => {
    const { host } = serviceNode([...libvirtOk(), unitState('xen.service', 'loaded', 'inactive', 'disabled')]);
    const r = await services.run(makeContext({ host, profile: staged(), facts: xenFacts(await roleOf('bare-metal')), check: true }));
    expect(r).toMatchObject({ status: 'pending', summary: 'would enable xen.service' });
    expect(changeCalls(host)).toEqual([]);
  });

  it('on a Dom0: xencommons (preferred over Debian\'s xen.service) enabled and started', async () => {
    const { host } = serviceNode([...libvirtOk(), unitState('xencommons.service', 'loaded', 'inactive', 'disabled'), unitState('xen.service', 'loaded', 'inactive', 'disabled'), notFound('xend.service')]);
    const r = await services.run(makeContext({ host, profile: xenProfile(), facts: await dom0Facts() }));
    expect(r).toMatchObject({ status: 'changed', changes: ['enable xencommons.service', 'start xencommons.service'] });
    expect(changeCalls(host)).toEqual(['enable xencommons.service', 'start xencommons.service']);
  });

  it('on a Dom0 with everything running: ok, no systemctl but the show', async () => {
    const { host } = serviceNode([...libvirtOk(), unitState('xencommons.service'), notFound('xen.service'), notFound('xend.service')]);
    const r = await services.run(makeContext({ host, profile: xenProfile(), facts: await dom0Facts() }));
    expect(r).toMatchObject({ status: 'ok', summary: 'libvirtd.service (monolithic), xencommons.service: enabled, running' });
    expect(host.commandLines()).toEqual([SHOW_XEN.join(' ')]);
  });

  it('Xen 4.20: xend is never touched, even when an old xend.service unit is there', async () => {
    const { host } = serviceNode([...libvirtOk(), unitState('xencommons.service'), unitState('xend.service', 'loaded', 'inactive', 'disabled')]);
    const r = await services.run(makeContext({ host, profile: xenProfile(), facts: await dom0Facts() }));
    expect(r.status).toBe('ok');
    expect(changeCalls(host)).toEqual([]);
  });

  it('Xen 4.4 on a Dom0: xend enabled and started as well', async () => {
    const { host } = serviceNode([...libvirtOk(), unitState('xencommons.service'), unitState('xend.service', 'loaded', 'inactive', 'disabled')], { version: '4.4' });
    const r = await services.run(makeContext({ host, profile: xenProfile(), facts: await dom0Facts() }));
    expect(r.changes).toEqual(['enable xend.service', 'start xend.service']);
    expect(changeCalls(host)).toEqual(['enable xend.service', 'start xend.service']);
  });

  it('Xen 4.4 staged: xend enabled only', async () => {
    const { host } = serviceNode([...libvirtOk(), unitState('xencommons.service', 'loaded', 'inactive', 'enabled'), unitState('xend.service', 'loaded', 'inactive', 'disabled')], { version: '4.4' });
    const r = await services.run(makeContext({ host, profile: staged(), facts: xenFacts(await roleOf('bare-metal')) }));
    expect(changeCalls(host)).toEqual(['enable xend.service']);
    expect(r.changes).toEqual(['enable xend.service']);
  });

  // Was a bug: with no xend unit the step ran `systemctl enable xend.service` and failed the run.
  it('Xen 4.4 without a xend unit: no systemctl on a unit that does not exist (a warning instead of a failed run)', async () => {
    const { host } = serviceNode([...libvirtOk(), unitState('xencommons.service'), notFound('xen.service'), notFound('xend.service')], { version: '4.4' });
    const r = await services.run(makeContext({ host, profile: xenProfile(), facts: await dom0Facts() }));
    expect(changeCalls(host)).toEqual([]);
    expect(r.warnings?.join('\n')).toMatch(/xend/);
  });

  it('no versioned /usr/lib/xen-<v>: the version comes from `xl info` (4.1 → xend)', async () => {
    const { host } = serviceNode([...libvirtOk(), unitState('xencommons.service'), unitState('xend.service', 'loaded', 'inactive', 'disabled')], { xlInfo: 'host                   : dom0\nxen_major              : 4\nxen_version            : 4.1.6.1\n' });
    const r = await services.run(makeContext({ host, profile: xenProfile(), facts: await dom0Facts() }));
    expect(host.ran(['xl', 'info'])).toBe(true);
    expect(r.changes).toEqual(['enable xend.service', 'start xend.service']);
  });

  it('no Xen service unit at all: a warning, libvirt still handled', async () => {
    const { host } = serviceNode([...libvirtOk(), notFound('xencommons.service'), notFound('xen.service'), notFound('xend.service')]);
    const r = await services.run(makeContext({ host, profile: xenProfile(), facts: await dom0Facts() }));
    expect(r.status).toBe('ok');
    expect(r.warnings).toEqual(['no Xen service unit (xencommons or xen) found']);
  });

  // Was a bug: modular counted as in use only with virtqemud.socket enabled, so libvirtd was started beside virtxend.
  it('modular Xen-only node (virtxend.socket enabled, no virtqemud, libvirtd disabled): libvirtd is not enabled or started', async () => {
    const units = [unitState('libvirtd.service', 'loaded', 'inactive', 'disabled'), unitState('libvirtd.socket', 'loaded', 'inactive', 'disabled'),
      notFound('virtqemud.service'), notFound('virtqemud.socket'),
      unitState('virtxend.service', 'loaded', 'inactive', 'disabled'), unitState('virtxend.socket', 'loaded', 'active', 'enabled'),
      unitState('xencommons.service'), notFound('xen.service'), notFound('xend.service')];
    const { host } = serviceNode(units);
    const r = await services.run(makeContext({ host, profile: xenProfile(), facts: await dom0Facts({ libvirt: { units } }) }));
    expect(changeCalls(host).filter((c) => c.includes('libvirtd'))).toEqual([]);
    expect(r.summary).toContain('virtxend.service (modular)');
  });

  // Was a bug: on a modular layout the step only ever picked virtqemud, so xen:/// could be left without a daemon.
  it('modular libvirt on a Xen node: virtxend (the Xen driver\'s daemon) is the one enabled and started, not virtqemud', async () => {
    const modular = [...UNITS.modular().filter((u) => !u.name.startsWith('virtxend')),
      unitState('virtxend.service', 'loaded', 'inactive', 'disabled'), unitState('virtxend.socket', 'loaded', 'inactive', 'disabled'),
      unitState('xencommons.service'), notFound('xen.service'), notFound('xend.service')];
    const { host } = serviceNode(modular);
    const r = await services.run(makeContext({ host, profile: xenProfile(), facts: await dom0Facts({ libvirt: { units: modular } }) }));
    expect(r.summary).toContain('virtxend');
    expect(changeCalls(host).some((c) => c.includes('virtxend'))).toBe(true);
  });
});
