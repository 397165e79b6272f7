import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isVmpError, type VmpError } from '../../../src/errors/vmp-error.ts';
import {
  buildInitrd, desiredManifestFields, initramfsConfDir, initrdUpToDate, listInitrd, manifestPath, tempImagePath,
  type DriverPlan, type InitrdManifest,
} from '../../../src/initrd/index.ts';
import { FakeHost } from '../../helpers/fake-host.ts';
import { DEB_KVER, fixture } from './fixtures.ts';

/** A FakeHost with these files and symlinks (the shared test double, which resolves symlinked directories). */
function fakeWith(files: Record<string, string> = {}, links: Record<string, string> = {}): FakeHost {
  const h = new FakeHost({ now: 1_800_000_000 });
  for (const [p, c] of Object.entries(files)) h.file(p, c);
  for (const [p, t] of Object.entries(links)) h.symlink(p, t);
  return h;
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const MOD = `/lib/modules/${DEB_KVER}`;
const OUT = `/boot/initrd-${DEB_KVER}-condor-xen.img`;
const TMP = tempImagePath(OUT);
const net: DriverPlan = { requested: 'xennet', module: 'xen-netfront', state: 'module', file: 'kernel/drivers/net/xen-netfront.ko.xz' };
const blk: DriverPlan = { requested: 'xenblk', module: 'xen-blkfront', state: 'module', file: 'kernel/drivers/block/xen-blkfront.ko.xz' };

async function rejection(p: Promise<unknown>): Promise<VmpError> {
  try { await p; } catch (e) { if (isVmpError(e)) return e; throw e; }
  throw new Error('expected a VmpError, but it resolved');
}

/** sha256sum over the fake's files, printed the way GNU sha256sum prints. */
function withSha256sum(h: FakeHost): FakeHost {
  return h.on(({ argv: a }) => a[0] === 'sha256sum', ({ argv: a }) => {
    const paths = a.slice(a[1] === '--' ? 2 : 1);
    const lines = paths.map((p) => (h.content(p) !== undefined) ? `${sha(h.content(p)!)}  ${p}` : undefined);
    const missing = paths.filter((p) => !(h.content(p) !== undefined));
    return { exitCode: missing.length ? 1 : 0, stdout: lines.filter(Boolean).join('\n') + '\n', stderr: missing.map((p) => `sha256sum: ${p}: No such file or directory`).join('\n') };
  });
}

function node(): FakeHost {
  return withSha256sum(fakeWith({
    [`${MOD}/modules.dep`]: fixture('modules.dep.6.12-trimmed'),
    [`${MOD}/${net.file}`]: 'netfront module bytes',
    [`${MOD}/${blk.file}`]: 'blkfront module bytes',
    [`/boot/initrd.img-${DEB_KVER}`]: 'stock',
    '/usr/bin/lsinitrd': '#!/bin/bash\n',
    '/usr/bin/dracut': '#!/bin/bash\n',
  }, { '/initrd.img': `boot/initrd.img-${DEB_KVER}` }));
}

describe('desiredManifestFields / initrdUpToDate', () => {
  async function built(h: FakeHost, image = 'IMAGE') {
    const desired = await desiredManifestFields(h, DEB_KVER, 'dracut', [net, blk]);
    const m: InitrdManifest = { ...desired, imageSha256: sha(image), imageBytes: image.length, builtAt: '2027-01-15T08:00:00.000Z', formatVersion: 1 };
    h.file(OUT, image).file(manifestPath(OUT), JSON.stringify(m));
    return desired;
  }

  it('hashes the module files through sha256sum on the node', async () => {
    const h = node();
    const d = await desiredManifestFields(h, DEB_KVER, 'dracut', [net, blk, { requested: 'xen-fbfront', module: 'xen-fbfront', state: 'builtin' }]);
    expect(d.moduleHashes).toEqual({ 'xen-netfront': sha('netfront module bytes'), 'xen-blkfront': sha('blkfront module bytes') });
    expect(h.calls.map((c) => c.argv)).toEqual([['sha256sum', '--', `${MOD}/${net.file}`, `${MOD}/${blk.file}`]]);
  });

  it('each reason', async () => {
    const h = node();
    expect(await initrdUpToDate(h, OUT, await desiredManifestFields(h, DEB_KVER, 'dracut', [net]))).toEqual({ upToDate: false, reason: 'image missing' });
    h.file(OUT, 'IMAGE');
    expect((await initrdUpToDate(h, OUT, await desiredManifestFields(h, DEB_KVER, 'dracut', [net]))).reason).toBe('no manifest');
    h.file(manifestPath(OUT), '{"formatVersion": 1');
    expect((await initrdUpToDate(h, OUT, await desiredManifestFields(h, DEB_KVER, 'dracut', [net]))).reason).toMatch(/^no manifest \(/);

    const desired = await built(h);
    expect(await initrdUpToDate(h, OUT, desired)).toEqual({ upToDate: true, reason: 'up to date' });
    expect((await initrdUpToDate(h, OUT, { ...desired, kernelVersion: '6.12.118+deb13-amd64' })).reason).toBe(`kernel version changed (${DEB_KVER} → 6.12.118+deb13-amd64)`);
    expect((await initrdUpToDate(h, OUT, { ...desired, drivers: [net] })).reason).toBe('drivers changed');
    expect((await initrdUpToDate(h, OUT, { ...desired, drivers: [net, { ...blk, state: 'builtin', file: undefined }] })).reason).toBe('drivers changed');
    expect((await initrdUpToDate(h, OUT, { ...desired, tool: 'mkinitramfs' })).reason).toBe('tool changed');

    h.file(`${MOD}/${blk.file}`, 'blkfront module bytes, rebuilt');
    expect((await initrdUpToDate(h, OUT, await desiredManifestFields(h, DEB_KVER, 'dracut', [net, blk]))).reason).toBe('module files changed');
  });

  it('an image changed in place (same size) or truncated is caught by its checksum', async () => {
    const h = node();
    const desired = await built(h, 'IMAGE');
    h.file(OUT, 'IMAGF');
    expect((await initrdUpToDate(h, OUT, desired)).reason).toBe('image changed or corrupt (sha256 differs from manifest)');
    h.file(OUT, 'IMA');
    expect((await initrdUpToDate(h, OUT, desired)).reason).toBe('image changed or corrupt (sha256 differs from manifest)');
  });
});

describe('listInitrd', () => {
  it('parses lsinitrd output when only dracut is installed', async () => {
    const h = node().on(['/usr/bin/lsinitrd', OUT], { stdout: fixture('lsinitrd-dracut-6.12.txt') });
    const files = await listInitrd(h, OUT);
    expect(files).toContain(`usr/lib/modules/${DEB_KVER}/kernel/drivers/block/xen-blkfront.ko.xz`);
    expect(files.some((f) => f.startsWith('Arguments'))).toBe(false);
  });

  it('prefers lsinitramfs, and falls back to lsinitrd when it fails', async () => {
    const h = node().file('/usr/bin/lsinitramfs', '#!/bin/sh\n')
      .on(['/usr/bin/lsinitramfs', OUT], { exitCode: 1, stderr: 'unmkinitramfs: unrecognised compression or corrupted file' })
      .on(['/usr/bin/lsinitrd', OUT], { stdout: fixture('lsinitrd-dracut-6.12.txt') });
    expect(await listInitrd(h, OUT)).toHaveLength(29);
    expect(h.calls.map((c) => c.argv).map((a) => a[0])).toEqual(['/usr/bin/lsinitramfs', '/usr/bin/lsinitrd']);
  });

  it('a truncated image: the lister exits non-zero → cannot read', async () => {
    const partial = fixture('lsinitrd-dracut-6.12.txt').split('\n').slice(0, 30).join('\n');
    const h = node().on(['/usr/bin/lsinitrd', OUT], { exitCode: 6, stdout: partial, stderr: fixture('lsinitrd-truncated.stderr.txt') });
    const e = await rejection(listInitrd(h, OUT));
    expect(e.message).toBe(`cannot read ${OUT}: lsinitrd exited with 6: /tmp/trunc.img : Read error (39) : premature end`);
    expect(e.context.command).toEqual(['/usr/bin/lsinitrd', OUT]);
  });

  it('an empty listing is not a valid image', async () => {
    const h = node().on(['/usr/bin/lsinitrd', OUT], { stdout: '' });
    await expect(listInitrd(h, OUT)).rejects.toThrow(/lsinitrd listed no files/);
  });

  it('without either lister (RHEL5): gzip | cpio -t through sh', async () => {
    const h = withSha256sum(fakeWith({ '/boot/x.img': '' })).on(({ argv: a }) => a[0] === 'sh' && a[1] === '-c', { stdout: '.\ninit\nlib/xennet.ko\nlib/xenblk.ko\n' });
    expect(await listInitrd(h, '/boot/x.img')).toEqual(['.', 'init', 'lib/xennet.ko', 'lib/xenblk.ko']);
    expect(h.calls.map((c) => c.argv)[0]!.slice(-2)).toEqual(['sh', '/boot/x.img']);
  });
});

describe('buildInitrd', () => {
  /** dracut that writes `image` to its output argument; lsinitrd listing `listing`. */
  function dracutNode(listing: string, image = 'NEW IMAGE') {
    const h = node();
    h.on(({ argv: a }) => a[0] === '/usr/bin/dracut', ({ argv: a }) => { h.file(a[a.length - 2]!, image); return { stderr: 'dracut[I]: *** Creating initramfs image file done ***\n' }; });
    h.on(({ argv: a }) => a[0] === '/usr/bin/lsinitrd', { stdout: listing });
    h.on(({ argv: a }) => a[0] === 'mv', ({ argv: a }) => { h.file(a[4]!, h.content(a[3]!)!); h.unlink(a[3]!); return {}; });
    return h;
  }

  it('dracut: temp beside the output, verified, renamed, manifest written; stock untouched', async () => {
    const h = dracutNode(fixture('lsinitrd-dracut-6.12.txt'));
    const msgs: string[] = [];
    const r = await buildInitrd(h, { output: OUT, kernelVersion: DEB_KVER, tool: 'dracut', toolPath: '/usr/bin/dracut', drivers: [net, blk], progress: (m) => msgs.push(m) });
    expect(TMP).toBe(`/boot/.initrd-${DEB_KVER}-condor-xen.img.vmp-tmp-${process.pid}`);
    expect(h.calls.map((c) => c.argv)).toContainEqual(['/usr/bin/dracut', '-f', '--no-hostonly', '--add-drivers', 'xen-netfront xen-blkfront', TMP, DEB_KVER]);
    expect(h.calls.map((c) => c.argv)).toContainEqual(['mv', '-f', '--', TMP, OUT]);
    expect(h.content(OUT)).toBe('NEW IMAGE');
    expect((h.content(TMP) !== undefined)).toBe(false);
    expect(h.content(`/boot/initrd.img-${DEB_KVER}`)).toBe('stock');
    const m = JSON.parse(h.content(manifestPath(OUT))!) as InitrdManifest;
    expect(m).toEqual(r.manifest);
    expect(m).toMatchObject({ kernelVersion: DEB_KVER, tool: 'dracut', imageSha256: sha('NEW IMAGE'), imageBytes: 9, formatVersion: 1, builtAt: '2027-01-15T08:00:00.000Z' });
    expect(m.moduleHashes['xen-blkfront']).toBe(sha('blkfront module bytes'));
    expect(msgs.at(-1)).toMatch(/^built \/boot\/initrd-.*-condor-xen\.img/);
    // and a second look agrees it is current
    expect(await initrdUpToDate(h, OUT, await desiredManifestFields(h, DEB_KVER, 'dracut', [net, blk]))).toEqual({ upToDate: true, reason: 'up to date' });
  });

  it('an image without a requested module (dracut exits 0 anyway) fails and leaves nothing behind', async () => {
    const noBlk = fixture('lsinitrd-dracut-6.12.txt').split('\n').filter((l) => !l.includes('xen-blkfront')).join('\n');
    const h = dracutNode(noBlk);
    h.file(OUT, 'OLD IMAGE');
    const old: InitrdManifest = { ...(await desiredManifestFields(h, DEB_KVER, 'dracut', [net])), imageSha256: sha('OLD IMAGE'), imageBytes: 9, builtAt: '2027-01-01T00:00:00.000Z', formatVersion: 1 };
    h.file(manifestPath(OUT), JSON.stringify(old));
    const e = await rejection(buildInitrd(h, { output: OUT, kernelVersion: DEB_KVER, tool: 'dracut', toolPath: '/usr/bin/dracut', drivers: [net, blk] }));
    expect(e.message).toContain('without xen-blkfront');
    expect(e.context.command?.[0]).toBe('/usr/bin/dracut');
    expect((h.content(TMP) !== undefined)).toBe(false);
    expect(h.content(OUT)).toBe('OLD IMAGE');
    expect(h.calls.map((c) => c.argv).some((a) => a[0] === 'mv')).toBe(false);
  });

  it('a failing tool: its command and stderr tail in the error', async () => {
    const h = node().on(({ argv: a }) => a[0] === '/usr/bin/dracut', ({ argv: a }) => { h.file(a[a.length - 2]!, 'partial'); return { exitCode: 1, stderr: 'dracut[E]: FAILED: /usr/lib/dracut/dracut-install ...\n' }; });
    const e = await rejection(buildInitrd(h, { output: OUT, kernelVersion: DEB_KVER, tool: 'dracut', toolPath: '/usr/bin/dracut', drivers: [net] }));
    expect(e.code).toBe('INITRD');
    expect(e.message).toContain('dracut failed to build the Xen initrd for kernel 6.12.117+deb13-amd64 (exit 1)');
    expect(e.context.stderrTail).toContain('dracut[E]: FAILED');
    expect((h.content(TMP) !== undefined)).toBe(false);
  });

  it('mkinitramfs: private copy of /etc/initramfs-tools with the drivers, removed afterwards', async () => {
    const h = node().file('/usr/sbin/mkinitramfs', '').file('/usr/bin/lsinitramfs', '');
    const conf = initramfsConfDir();
    h.on(['cp', '-a', '/etc/initramfs-tools', conf], () => { h.file(`${conf}/modules`, '# List of modules\n# raid1\n'); return {}; });
    let modulesAtBuild = '';
    h.on(({ argv: a }) => a[0] === '/usr/sbin/mkinitramfs', ({ argv: a }) => { modulesAtBuild = h.content(`${conf}/modules`)!; h.file(a[4]!, 'MK IMAGE'); return {}; });
    h.on(['/usr/bin/lsinitramfs', TMP], { stdout: fixture('lsinitramfs-mkinitramfs-6.12.txt') });
    h.on(({ argv: a }) => a[0] === 'rm' && a[1] === '-rf', ({ argv: a }) => { for (const f of h.filesIn(a[3]!)) h.unlink(`${a[3]}/${f}`); return {}; });
    h.on(({ argv: a }) => a[0] === 'mv', ({ argv: a }) => { h.file(a[4]!, h.content(a[3]!)!); h.unlink(a[3]!); return {}; });
    const r = await buildInitrd(h, { output: OUT, kernelVersion: DEB_KVER, tool: 'mkinitramfs', toolPath: '/usr/sbin/mkinitramfs', drivers: [net, blk] });
    expect(h.calls.map((c) => c.argv)).toContainEqual(['/usr/sbin/mkinitramfs', '-d', conf, '-o', TMP, DEB_KVER]);
    expect(conf).toBe(`/var/lib/vm-provision/initramfs-conf-${process.pid}`);
    expect(modulesAtBuild).toBe('# List of modules\n# raid1\n# added by vm-provision: Xen front-end drivers\nxen-netfront\nxen-blkfront\n');
    expect((h.content(`${conf}/modules`) !== undefined)).toBe(false);
    expect((h.content('/etc/initramfs-tools/modules') !== undefined)).toBe(false); // the system config was never written
    expect(r.manifest.tool).toBe('mkinitramfs');
  });

  it('refuses a stock output before running anything', async () => {
    const h = node();
    const e = await rejection(buildInitrd(h, { output: '/initrd.img', kernelVersion: DEB_KVER, tool: 'dracut', toolPath: '/usr/bin/dracut', drivers: [net] }));
    expect(e.message).toContain('never writes the stock initrd');
    expect(h.calls.map((c) => c.argv)).toEqual([]);
  });

  it('re-checks right before the rename: a symlink to the stock image appearing mid-build is refused', async () => {
    const out = '/srv/xen/initrd-guest.img';
    const h = node().dir('/srv/xen');
    h.on(({ argv: a }) => a[0] === '/usr/bin/dracut', ({ argv: a }) => { h.file(a[a.length - 2]!, 'NEW'); h.symlink(out, `/boot/initrd.img-${DEB_KVER}`); return {}; });
    h.on(({ argv: a }) => a[0] === '/usr/bin/lsinitrd', { stdout: fixture('lsinitrd-dracut-6.12.txt') });
    await expect(buildInitrd(h, { output: out, kernelVersion: DEB_KVER, tool: 'dracut', toolPath: '/usr/bin/dracut', drivers: [net] })).rejects.toThrow(/stock initrd/);
    expect(h.calls.map((c) => c.argv).some((a) => a[0] === 'mv')).toBe(false);
    expect(h.content(`/boot/initrd.img-${DEB_KVER}`)).toBe('stock');
    expect((h.content(tempImagePath(out)) !== undefined)).toBe(false);
  });
});
