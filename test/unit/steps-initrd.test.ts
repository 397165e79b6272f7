// The initrd step (src/steps/initrd.ts) against the shared FakeHost: a separate Xen initrd, built only on a
// difference, never over the stock image or a file vm-provision did not build, verified before it is renamed in.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { initrd } from '../../src/steps/initrd.ts';
import { manifestPath, tempImagePath, type InitrdManifest } from '../../src/initrd/index.ts';
import { isVmpError, type VmpError } from '../../src/errors/vmp-error.ts';
import { detectXenRole } from '../../src/xen/dom0.ts';
import type { Profile } from '../../src/profile/index.ts';
import { FakeHost, type Op } from '../helpers/fake-host.ts';
import { exampleText, factsFixture, makeContext, profileFrom } from '../helpers/facts-fixture.ts';
import { DEB_KVER, fixture } from './initrd/fixtures.ts';

const KVER = DEB_KVER;
const OLD_KVER = '6.12.57+deb13-amd64';
const OUT = `/boot/initrd-${KVER}-condor-xen.img`;
const TMP = tempImagePath(OUT);
const MANIFEST = manifestPath(OUT);
const NET = 'kernel/drivers/net/xen-netfront.ko.xz';
const BLK = 'kernel/drivers/block/xen-blkfront.ko.xz';
const DRACUT = '/usr/bin/dracut';
const LSINITRD = '/usr/bin/lsinitrd';
const STOCK = `/boot/initrd.img-${KVER}`;
const LISTING = fixture('lsinitrd-dracut-6.12.txt');

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

async function failure(p: Promise<unknown>): Promise<VmpError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  if (!isVmpError(e)) throw new Error(`expected a VmpError, got ${String(e)}`);
  return e;
}

interface XenNodeOptions {
  /** Kernels with /lib/modules/<v> (modules.dep, modules.builtin(.modinfo), the two front-end modules). */
  kernels?: string[];
  /** What lsinitrd prints for a built image. */
  listing?: string;
  /** Without dracut/lsinitrd (e.g. to test the tool choice). */
  noTools?: boolean;
}

/**
 * A Debian 13 node prepared for Xen, composed on the shared FakeHost: kernels with their module files, the stock
 * initrd and its /initrd.img link, dracut that writes the image it is asked for, lsinitrd, sha256sum over the
 * fake's files, and mv as rename(2). Everything the step runs is recorded by the fake.
 */
function xenNode(o: XenNodeOptions = {}) {
  const h = new FakeHost({ now: 1_800_000_000 });
  for (const k of o.kernels ?? [KVER]) {
    const mod = `/lib/modules/${k}`;
    h.file(`${mod}/modules.dep`, fixture('modules.dep.6.12-trimmed'))
      .file(`${mod}/modules.builtin`, fixture('modules.builtin.6.12-trimmed'))
      .file(`${mod}/modules.builtin.modinfo`, fixture('modules.builtin.modinfo.6.12-trimmed'))
      .file(`${mod}/${NET}`, `xen-netfront module of ${k}`)
      .file(`${mod}/${BLK}`, `xen-blkfront module of ${k}`)
      .file(`/boot/vmlinuz-${k}`, `kernel ${k}`)
      .file(`/boot/initrd.img-${k}`, `stock initrd of ${k}`);
  }
  h.symlink('/initrd.img', `boot/initrd.img-${KVER}`);
  let builds = 0;
  if (!o.noTools) {
    h.bin(DRACUT).bin(LSINITRD);
    // dracut -f --no-hostonly [--add-drivers "…"] OUT KVER: writes OUT.
    h.on((c) => c.cmd === DRACUT, (c) => {
      builds++;
      h.file(c.args.at(-2)!, `IMAGE #${builds} for ${c.args.at(-1)} (${c.args.join(' ')})`);
      return { stderr: 'dracut[I]: *** Creating initramfs image file done ***\n' };
    });
    h.on((c) => c.cmd === LSINITRD, () => ({ stdout: o.listing ?? LISTING }));
  }
  h.on((c) => c.cmd === 'sha256sum', (c) => {
    const paths = c.args.slice(c.args[0] === '--' ? 1 : 0);
    const have = paths.filter((p) => h.content(p) !== undefined);
    return {
      exitCode: have.length === paths.length ? 0 : 1,
      stdout: have.map((p) => `${sha(h.content(p)!)}  ${p}\n`).join(''),
      stderr: paths.filter((p) => !have.includes(p)).map((p) => `sha256sum: ${p}: No such file or directory\n`).join(''),
    };
  });
  // mv -f -- FROM TO: a rename.
  h.on((c) => c.cmd === 'mv', (c) => {
    const [from, to] = c.args.slice(-2) as [string, string];
    h.file(to, h.content(from)!);
    h.unlink(from);
    return {};
  });
  return h;
}

const dom0 = detectXenRole({ hypervisorType: 'xen', features: '000228f0', procXen: true, capabilities: 'control_d\n' });

function xenProfile(edits: Array<[string, string]> = []): Profile {
  return profileFrom(exampleText('xen-node.yaml'), edits);
}

function ctxFor(host: FakeHost, opts: { profile?: Profile; check?: boolean; kernelRelease?: string; packagesToInstall?: string[] } = {}) {
  return makeContext({
    host,
    profile: opts.profile ?? xenProfile(),
    facts: factsFixture({ kernelRelease: opts.kernelRelease ?? KVER, xen: dom0 }),
    check: opts.check ?? false,
    state: { packagesToInstall: opts.packagesToInstall ?? [] },
  });
}

const builtWith = (h: FakeHost) => h.callsOf(DRACUT).map((c) => c.argv);
const DRACUT_ARGV = [DRACUT, '-f', '--no-hostonly', '--add-drivers', 'xen-netfront xen-blkfront', TMP, KVER];
const isWriteOrMove = (o: Op) => o.op === 'write' || o.op === 'remove' || o.op === 'mkdirp' || (o.op === 'exec' && ['mv', DRACUT].includes(o.argv[0]!));

/** A node where the step has built OUT once; the log is cleared afterwards. */
async function builtNode(o: XenNodeOptions = {}, profile?: Profile): Promise<FakeHost> {
  const h = xenNode(o);
  const r = await initrd.run(ctxFor(h, { profile }));
  expect(r.status).toBe('changed');
  h.clearLog();
  return h;
}

describe('initrd step: first build', () => {
  it('no image yet: dracut into a temp file beside the output, listing checked, renamed into place, manifest written', async () => {
    const h = xenNode();
    const ctx = ctxFor(h);
    const r = await initrd.run(ctx);

    expect(r.status).toBe('changed');
    expect(r.changes).toEqual([`built ${OUT}`]);
    expect(r.summary).toContain(`built ${OUT} with dracut`);
    expect(r.summary).toContain('xen-netfront, xen-blkfront verified in the image; image missing');
    // The exact argv, once; the temp file is a dot-file in the output's directory (same filesystem: atomic rename).
    expect(builtWith(h)).toEqual([DRACUT_ARGV]);
    expect(TMP).toBe(`/boot/.initrd-${KVER}-condor-xen.img.vmp-tmp-${process.pid}`);
    expect(h.callsOf(LSINITRD).map((c) => c.argv)).toEqual([[LSINITRD, TMP]]);
    expect(h.callsOf('mv').map((c) => c.argv)).toEqual([['mv', '-f', '--', TMP, OUT]]);
    // Order: build, list, rename, then the manifest.
    const at = (pred: (o: Op) => boolean) => h.indexOf(pred);
    const build = at((o) => o.op === 'exec' && o.argv[0] === DRACUT);
    const list = at((o) => o.op === 'exec' && o.argv[0] === LSINITRD);
    const mv = at((o) => o.op === 'exec' && o.argv[0] === 'mv');
    const man = at((o) => o.op === 'write' && o.path === MANIFEST);
    expect([build, list, mv, man].every((i) => i >= 0)).toBe(true);
    expect(build < list && list < mv && mv < man).toBe(true);

    const image = h.content(OUT)!;
    expect(image).toMatch(/^IMAGE #1 for /);
    expect(h.exists(TMP)).toBe(false);
    // The only file written through writeFileAtomic is the manifest; the stock image is untouched.
    expect(h.writes().map((w) => w.path)).toEqual([MANIFEST]);
    expect(h.content(STOCK)).toBe(`stock initrd of ${KVER}`);
    const m = JSON.parse(h.content(MANIFEST)!) as InitrdManifest;
    expect(m).toMatchObject({
      kernelVersion: KVER, tool: 'dracut', formatVersion: 1, imageSha256: sha(image), imageBytes: Buffer.byteLength(image),
      moduleHashes: { 'xen-netfront': sha(`xen-netfront module of ${KVER}`), 'xen-blkfront': sha(`xen-blkfront module of ${KVER}`) },
      builtAt: new Date(1_800_000_000 * 1000).toISOString(),
    });
    expect(m.drivers).toEqual([
      { requested: 'xennet', module: 'xen-netfront', state: 'module', file: NET },
      { requested: 'xenblk', module: 'xen-blkfront', state: 'module', file: BLK },
    ]);
    // Later steps (condor-config's XenInitrd) read the path from the state.
    expect(ctx.state.xen).toEqual({ kernelVersion: KVER, initrd: OUT });
    expect(ctx.messages[0]).toBe(`building ${OUT} with dracut (about 20 s)`);
  });

  it('the output directory is created when missing, and the temp file is made there, not in /tmp', async () => {
    const out = '/srv/xen/condor-{kernelVersion}.img';
    const h = xenNode();
    const r = await initrd.run(ctxFor(h, { profile: xenProfile([['output: /boot/initrd-{kernelVersion}-condor-xen.img', `output: ${out}`]]) }));
    const real = `/srv/xen/condor-${KVER}.img`;
    expect(r.status).toBe('changed');
    expect(h.mutations()).toContainEqual({ op: 'mkdirp', seq: expect.any(Number), path: '/srv/xen', mode: 0o755 });
    expect(builtWith(h)[0]!.at(-2)).toBe(`/srv/xen/.condor-${KVER}.img.vmp-tmp-${process.pid}`);
    expect(h.content(real)).toMatch(/^IMAGE #1/);
    expect(h.content(manifestPath(real))).toBeDefined();
  });

  it('mkinitramfs (tool: mkinitramfs): -d a private config copy -o the temp file, never /etc/initramfs-tools itself', async () => {
    const h = xenNode({ noTools: true });
    h.bin('/usr/sbin/mkinitramfs').bin('/usr/bin/lsinitramfs').file('/etc/initramfs-tools/modules', '# List of modules\n');
    const conf = `/var/lib/vm-provision/initramfs-conf-${process.pid}`;
    h.on(['cp', '-a', '/etc/initramfs-tools', conf], () => { h.file(`${conf}/modules`, h.content('/etc/initramfs-tools/modules')!); return {}; });
    h.on((c) => c.cmd === 'rm' && c.args[0] === '-rf', (c) => { for (const f of h.filesIn(c.args[2]!)) h.unlink(`${c.args[2]}/${f}`); return {}; });
    h.on((c) => c.cmd === '/usr/sbin/mkinitramfs', (c) => { h.file(c.args[3]!, 'MKINITRAMFS IMAGE'); return {}; });
    h.on((c) => c.cmd === '/usr/bin/lsinitramfs', { stdout: fixture('lsinitramfs-mkinitramfs-6.12.txt') });
    const r = await initrd.run(ctxFor(h, { profile: xenProfile([['tool: auto', 'tool: mkinitramfs']]) }));
    expect(r.status).toBe('changed');
    expect(h.callsOf('/usr/sbin/mkinitramfs').map((c) => c.argv)).toEqual([['/usr/sbin/mkinitramfs', '-d', conf, '-o', TMP, KVER]]);
    expect(h.content('/etc/initramfs-tools/modules')).toBe('# List of modules\n');
    expect(h.writes().map((w) => w.path)).toEqual([`${conf}/modules`, MANIFEST]);
    expect(JSON.parse(h.content(MANIFEST)!).tool).toBe('mkinitramfs');
  });
});

describe('initrd step: up to date', () => {
  it('a second run with the manifest matching: ok, no build command, nothing written', async () => {
    const h = await builtNode();
    const before = h.content(OUT);
    const r = await initrd.run(ctxFor(h));
    expect(r.status).toBe('ok');
    expect(r.summary).toBe(`${OUT} up to date (kernel ${KVER}, dracut, xen-netfront, xen-blkfront)`);
    // Only checksums: the module files (for the manifest comparison), then the image.
    expect(h.calls.map((c) => c.argv)).toEqual([
      ['sha256sum', '--', `/lib/modules/${KVER}/${NET}`, `/lib/modules/${KVER}/${BLK}`],
      ['sha256sum', '--', OUT],
    ]);
    expect(h.mutations()).toEqual([]);
    expect(h.content(OUT)).toBe(before);
  });

  it('a manifest written by hand for the image on the node is accepted the same way (not just our own round trip)', async () => {
    const h = xenNode();
    const image = 'an image built earlier';
    const m: InitrdManifest = {
      kernelVersion: KVER, tool: 'dracut',
      drivers: [{ requested: 'xennet', module: 'xen-netfront', state: 'module', file: NET }, { requested: 'xenblk', module: 'xen-blkfront', state: 'module', file: BLK }],
      moduleHashes: { 'xen-blkfront': sha(`xen-blkfront module of ${KVER}`), 'xen-netfront': sha(`xen-netfront module of ${KVER}`) },
      imageSha256: sha(image), imageBytes: image.length, builtAt: '2027-01-01T00:00:00.000Z', formatVersion: 1,
    };
    h.file(OUT, image).file(MANIFEST, JSON.stringify(m));
    const r = await initrd.run(ctxFor(h));
    expect(r.status).toBe('ok');
    expect(builtWith(h)).toEqual([]);
    expect(h.mutations()).toEqual([]);
  });

  it('--check on an up-to-date image: ok as well, nothing run but checksums', async () => {
    const h = await builtNode();
    const r = await initrd.run(ctxFor(h, { check: true }));
    expect(r.status).toBe('ok');
    expect(h.calls.every((c) => c.cmd === 'sha256sum')).toBe(true);
    expect(h.mutations()).toEqual([]);
  });

  it('build: false: skipped, the node is not even read for kernels', async () => {
    const h = new FakeHost({ strictReads: true });
    const r = await initrd.run(ctxFor(h, { profile: xenProfile([['build: true', 'build: false']]) }));
    expect(r).toEqual({ status: 'skipped', summary: 'xen.initrd.build is false' });
    expect(h.log).toEqual([]);
  });
});

describe('initrd step: rebuilt on a difference', () => {
  async function rebuilt(h: FakeHost, reason: string, profile?: Profile) {
    const r = await initrd.run(ctxFor(h, { profile }));
    expect(r.status).toBe('changed');
    expect(r.summary).toContain(`; ${reason})`);
    expect(h.callsOf(DRACUT)).toHaveLength(1);
    expect(h.callsOf('mv').map((c) => c.argv)).toEqual([['mv', '-f', '--', TMP, OUT]]);
    expect(h.content(OUT)).toMatch(/^IMAGE #2 /);
    const m = JSON.parse(h.content(MANIFEST)!) as InitrdManifest;
    expect(m.imageSha256).toBe(sha(h.content(OUT)!));
    return { r, m };
  }

  it('a module file changed (a kernel package update with the same version): module files changed', async () => {
    const h = await builtNode();
    h.file(`/lib/modules/${KVER}/${BLK}`, 'xen-blkfront, rebuilt by the distribution');
    const { m } = await rebuilt(h, 'module files changed');
    expect(m.moduleHashes['xen-blkfront']).toBe(sha('xen-blkfront, rebuilt by the distribution'));
  });

  it('the drivers changed in the profile: drivers changed, and the new argv', async () => {
    const h = await builtNode();
    h.file(`/lib/modules/${KVER}/kernel/drivers/scsi/xen-scsifront.ko.xz`, 'xen-scsifront module');
    const profile = xenProfile([['drivers: [xennet, xenblk]', 'drivers: [xennet, xenblk, xen-scsifront]']]);
    await rebuilt(h, 'drivers changed', profile);
    expect(builtWith(h)[0]).toEqual([DRACUT, '-f', '--no-hostonly', '--add-drivers', 'xen-netfront xen-blkfront xen-scsifront', TMP, KVER]);
  });

  it('the kernel changed under a fixed output path: kernel version changed (old → new), built for the new kernel', async () => {
    const fixed = '/boot/condor-xen-initrd.img';
    const edit = (k: string) => xenProfile([['output: /boot/initrd-{kernelVersion}-condor-xen.img', `output: ${fixed}`], ['kernelVersion: auto', `kernelVersion: ${k}`]]);
    const h = xenNode({ kernels: [OLD_KVER, KVER] });
    expect((await initrd.run(ctxFor(h, { profile: edit(OLD_KVER) }))).status).toBe('changed');
    h.clearLog();
    const r = await initrd.run(ctxFor(h, { profile: edit(KVER) }));
    expect(r.status).toBe('changed');
    expect(r.summary).toContain(`kernel version changed (${OLD_KVER} → ${KVER})`);
    expect(builtWith(h)).toEqual([[DRACUT, '-f', '--no-hostonly', '--add-drivers', 'xen-netfront xen-blkfront', tempImagePath(fixed), KVER]]);
    expect(JSON.parse(h.content(manifestPath(fixed))!).kernelVersion).toBe(KVER);
  });

  it('the image was deleted (manifest left): image missing', async () => {
    const h = await builtNode();
    h.unlink(OUT);
    await rebuilt(h, 'image missing');
  });

  it('the image was damaged in place: its checksum differs from the manifest', async () => {
    const h = await builtNode();
    h.file(OUT, `${h.content(OUT)!.slice(0, -1)}X`); // same size, other bytes
    await rebuilt(h, 'image changed or corrupt (sha256 differs from manifest)');
  });

  it('the image was truncated: rebuilt (the size differs; no checksum needed to tell)', async () => {
    const h = await builtNode();
    h.file(OUT, 'IMA');
    await rebuilt(h, 'image changed or corrupt (sha256 differs from manifest)');
    expect(h.callsOf('sha256sum').map((c) => c.args)).not.toContainEqual(['--', OUT]);
  });
});

describe('initrd step: --check plans without writing', () => {
  it('no image: pending, says what it would build and why, nothing run but checksums, nothing written', async () => {
    const h = xenNode();
    const ctx = ctxFor(h, { check: true });
    const r = await initrd.run(ctx);
    expect(r).toMatchObject({
      status: 'pending',
      summary: `would build ${OUT} with dracut for kernel ${KVER}: xen-netfront, xen-blkfront (image missing)`,
      changes: [`build ${OUT}`],
    });
    expect(h.calls.every((c) => c.cmd === 'sha256sum')).toBe(true);
    expect(h.mutations()).toEqual([]);
    expect(h.exists(OUT) || h.exists(MANIFEST) || h.exists(TMP)).toBe(false);
    // The path is still planned for the config step.
    expect(ctx.state.xen?.initrd).toBe(OUT);
  });

  it('a changed module: pending with the reason, the old image and manifest kept as they are', async () => {
    const h = await builtNode();
    const [image, manifest] = [h.content(OUT), h.content(MANIFEST)];
    h.file(`/lib/modules/${KVER}/${NET}`, 'updated');
    const r = await initrd.run(ctxFor(h, { check: true }));
    expect(r.status).toBe('pending');
    expect(r.summary).toMatch(/\(module files changed\)$/);
    expect(builtWith(h)).toEqual([]);
    expect(h.log.filter(isWriteOrMove)).toEqual([]);
    expect([h.content(OUT), h.content(MANIFEST)]).toEqual([image, manifest]);
  });

  it('no initrd tool yet, but the packages step would install one: pending "after installing it"', async () => {
    const h = xenNode({ noTools: true });
    const r = await initrd.run(ctxFor(h, { check: true, packagesToInstall: ['dracut-core'], profile: xenProfile([['tool: auto', 'tool: dracut']]) }));
    expect(r).toMatchObject({ status: 'pending', summary: `would build ${OUT} for kernel ${KVER} with dracut (after installing it): xen-netfront, xen-blkfront` });
    expect(h.calls).toEqual([]);
    expect(h.mutations()).toEqual([]);
  });

  it('no initrd tool and nothing to install: an error even in --check (the plan would be wrong otherwise)', async () => {
    const h = xenNode({ noTools: true });
    const e = await failure(initrd.run(ctxFor(h, { check: true, profile: xenProfile([['tool: auto', 'tool: dracut']]) })));
    expect(e.code).toBe('INITRD');
    expect(e.message).toBe('xen.initrdTool is dracut but dracut is not installed');
    expect(h.mutations()).toEqual([]);
  });
});

describe('initrd step: outputs it must never write', () => {
  /** The step refused: nothing ran (no checksum, no build) and nothing on the node changed. */
  async function refused(h: FakeHost, profile: Profile, opts: { check?: boolean } = {}): Promise<VmpError> {
    const files = new Map(['/boot/vmlinuz-' + KVER, STOCK, '/etc/shadow'].map((p) => [p, h.content(p)]));
    const e = await failure(initrd.run(ctxFor(h, { profile, ...opts })));
    expect(e.code).toBe('INITRD');
    expect(h.calls).toEqual([]);
    expect(h.mutations()).toEqual([]);
    for (const [p, c] of files) expect(h.content(p)).toBe(c);
    return e;
  }
  const withOutput = (out: string) => {
    const p = xenProfile();
    p.xen!.initrd.output = out; // past validation: the run-time check must hold on its own
    return p;
  };

  it('the stock image by its distribution name (validation bypassed): refused before any command', async () => {
    const e = await refused(xenNode(), withOutput('/boot/initrd.img-{kernelVersion}'));
    expect(e.message).toBe(`refusing to write ${STOCK}: it is the stock initrd ${STOCK} (a distribution initrd name); vm-provision never writes the stock initrd the node boots with`);
  });

  it('a symlink to the stock image: refused, naming where it leads', async () => {
    const h = xenNode().symlink('/boot/condor-xen.img', `initrd.img-${KVER}`);
    const e = await refused(h, xenProfile([['output: /boot/initrd-{kernelVersion}-condor-xen.img', 'output: /boot/condor-xen.img']]));
    expect(e.message).toContain(`refusing to write /boot/condor-xen.img: it leads to the stock initrd ${STOCK}`);
  });

  it('an image a boot loader entry references (a site-specific name): refused, naming the config', async () => {
    const h = xenNode().file('/boot/grub/grub.cfg', "menuentry 'site' {\n\tlinux /boot/vmlinuz-x root=/dev/sda1\n\tinitrd /boot/site-initrd.img\n}\n").file('/boot/site-initrd.img', 'site image');
    const e = await refused(h, xenProfile([['output: /boot/initrd-{kernelVersion}-condor-xen.img', 'output: /boot/site-initrd.img']]));
    expect(e.message).toContain('(referenced by /boot/grub/grub.cfg)');
    expect(h.content('/boot/site-initrd.img')).toBe('site image');
  });

  it('in --check too', async () => {
    await refused(xenNode(), withOutput('/boot/initrd.img-{kernelVersion}'), { check: true });
  });

  it('the kernel image as output: refused as "a kernel image", nothing built', async () => {
    const e = await refused(xenNode(), withOutput('/boot/vmlinuz-{kernelVersion}'));
    expect(e.message).toBe(`refusing to replace /boot/vmlinuz-${KVER}: it is a kernel image, not an initrd vm-provision built (no /boot/vmlinuz-${KVER}.manifest.json); vm-provision only creates a new file there or replaces its own image`);
  });

  it('a system file as output: refused as such', async () => {
    const h = xenNode().file('/etc/shadow', 'root:*:20000:0:99999:7:::\n', { mode: 0o640 });
    const e = await refused(h, withOutput('/etc/shadow'));
    expect(e.message).toContain('refusing to replace /etc/shadow: it is a system configuration file');
  });

  it('any existing file without our manifest: refused, naming its size', async () => {
    const h = xenNode().file(OUT, 'someone else\'s image');
    const e = await refused(h, xenProfile());
    expect(e.message).toContain(`refusing to replace ${OUT}: it is an existing file of 20 bytes, not an initrd vm-provision built (no ${MANIFEST})`);
    expect(h.content(OUT)).toBe('someone else\'s image');
  });

  it('a "manifest" beside the output that is not ours: refused (its file would be overwritten)', async () => {
    const h = xenNode().file(MANIFEST, '{"hello": "world"}\n');
    const e = await refused(h, xenProfile());
    expect(e.message).toContain(`refusing to write ${MANIFEST} (the manifest of xen.initrd.output)`);
    expect(h.content(MANIFEST)).toBe('{"hello": "world"}\n');
  });
});

describe('initrd step: drivers per kernel', () => {
  const drivers = (list: string) => xenProfile([['drivers: [xennet, xenblk]', `drivers: [${list}]`]]);

  it('a built-in driver needs nothing: left out of the argv, and the plan says so', async () => {
    const h = xenNode();
    const r = await initrd.run(ctxFor(h, { profile: drivers('xennet, xenblk, xen-fbfront'), check: true }));
    expect(r.status).toBe('pending');
    expect(r.warnings).toEqual([`xen-fbfront is built into ${KVER}: nothing to add`]);
    expect(r.summary).toContain(': xen-netfront, xen-blkfront (image missing)');
    const applied = await initrd.run(ctxFor(h, { profile: drivers('xennet, xenblk, xen-fbfront') }));
    expect(applied.warnings).toEqual([`xen-fbfront is built into ${KVER}: nothing to add`]);
    expect(builtWith(h)).toEqual([DRACUT_ARGV]);
    const m = JSON.parse(h.content(MANIFEST)!) as InitrdManifest;
    expect(m.drivers.at(-1)).toEqual({ requested: 'xen-fbfront', module: 'xen-fbfront', state: 'builtin' });
    expect(Object.keys(m.moduleHashes).sort()).toEqual(['xen-blkfront', 'xen-netfront']);
  });

  it('only built-in drivers: dracut without --add-drivers, the summary says nothing was added', async () => {
    const h = xenNode();
    const r = await initrd.run(ctxFor(h, { profile: drivers('xen-fbfront, xen-kbdfront') }));
    expect(r.status).toBe('changed');
    expect(r.warnings).toEqual([`xen-fbfront is built into ${KVER}: nothing to add`, `xen-kbdfront is built into ${KVER}: nothing to add`]);
    expect(builtWith(h)).toEqual([[DRACUT, '-f', '--no-hostonly', TMP, KVER]]);
    // No module to hash, so no sha256sum of module files (the image is still hashed).
    expect(h.callsOf('sha256sum').map((c) => c.args)).toEqual([['--', TMP]]);
  });

  it('a driver in neither form: error naming the kernel and the files looked in, before any build', async () => {
    const h = xenNode();
    const e = await failure(initrd.run(ctxFor(h, { profile: drivers('xennet, xen-nosuchfront') })));
    expect(e.code).toBe('INITRD');
    expect(e.message).toBe(`driver xen-nosuchfront is not available for kernel ${KVER}: no module "xen-nosuchfront" in /lib/modules/${KVER}/modules.dep and none built in (modules.builtin)`);
    expect(e.hint).toContain(`modinfo -k ${KVER} xen-nosuchfront`);
    expect(h.calls).toEqual([]);
    expect(h.mutations()).toEqual([]);
  });

  it('xennet on a pvops kernel is looked up as xen-netfront (the mapped name is in the error when missing)', async () => {
    const h = xenNode();
    h.file(`/lib/modules/${KVER}/modules.dep`, fixture('modules.dep.6.12-trimmed').split('\n').filter((l) => !l.includes('xen-netfront')).join('\n'));
    const e = await failure(initrd.run(ctxFor(h)));
    expect(e.message).toContain(`driver xennet is not available for kernel ${KVER}: no module "xen-netfront" or "xennet"`);
    expect(h.calls).toEqual([]);
  });
});

describe('initrd step: the image is checked before it replaces anything', () => {
  const noBlk = LISTING.split('\n').filter((l) => !l.includes('xen-blkfront')).join('\n');

  it('dracut exits 0 but the image lacks a driver: error, nothing renamed, no manifest, temp file gone', async () => {
    const h = xenNode({ listing: noBlk });
    const e = await failure(initrd.run(ctxFor(h)));
    expect(e.code).toBe('INITRD');
    expect(e.message).toBe(`dracut built an initrd without xen-blkfront for kernel ${KVER} (it exited 0 but the image lacks the module)`);
    expect(e.hint).toBe(`check /lib/modules/${KVER}/${BLK} and the tool's output`);
    expect(e.context.command).toEqual(DRACUT_ARGV);
    expect(h.callsOf('mv')).toEqual([]);
    expect(h.exists(OUT)).toBe(false);
    expect(h.exists(MANIFEST)).toBe(false);
    expect(h.exists(TMP)).toBe(false);
    expect(h.writes()).toEqual([]);
  });

  it('the same on a rebuild: the previous image and its manifest stay exactly as they were', async () => {
    const h = await builtNode();
    const [image, manifest] = [h.content(OUT), h.content(MANIFEST)];
    h.file(`/lib/modules/${KVER}/${BLK}`, 'xen-blkfront, updated');
    h.on((c) => c.cmd === LSINITRD, { stdout: noBlk });
    const e = await failure(initrd.run(ctxFor(h)));
    expect(e.message).toContain('without xen-blkfront');
    expect(builtWith(h)).toHaveLength(1);
    expect(h.callsOf('mv')).toEqual([]);
    expect(h.content(OUT)).toBe(image);
    expect(h.content(MANIFEST)).toBe(manifest);
    expect(h.exists(TMP)).toBe(false);
  });

  it('an image the lister cannot read: error, output untouched', async () => {
    const h = await builtNode();
    const image = h.content(OUT);
    h.unlink(OUT);
    h.file(OUT, 'x'); // damaged → rebuild
    h.on((c) => c.cmd === LSINITRD, { exitCode: 1, stderr: `${TMP} : Read error (39) : premature end\n` });
    const e = await failure(initrd.run(ctxFor(h)));
    expect(e.message).toBe(`cannot read ${TMP}: lsinitrd exited with 1: ${TMP} : Read error (39) : premature end`);
    expect(h.callsOf('mv')).toEqual([]);
    expect(h.content(OUT)).toBe('x');
    expect(image).not.toBe('x');
  });
});
