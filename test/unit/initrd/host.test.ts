import { describe, expect, it } from 'vitest';
import { isVmpError, type VmpError } from '../../../src/errors/vmp-error.ts';
import {
  chooseTool, classifyMkinitrd, findStockInitrds, installedKernels, refuseStockOutput, resolveDrivers, resolveKernelVersion,
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

async function rejection(p: Promise<unknown>): Promise<VmpError> {
  try { await p; } catch (e) { if (isVmpError(e)) return e; throw e; }
  throw new Error('expected a VmpError, but it resolved');
}

/** A Debian 13 node: the 6.12 modules from the fixtures and the stock image with its /initrd.img links. */
function debianNode(): FakeHost {
  return fakeWith({
    [`/lib/modules/${DEB_KVER}/modules.dep`]: fixture('modules.dep.6.12-trimmed'),
    [`/lib/modules/${DEB_KVER}/modules.builtin`]: fixture('modules.builtin.6.12-trimmed'),
    [`/lib/modules/${DEB_KVER}/modules.builtin.modinfo`]: fixture('modules.builtin.modinfo.6.12-trimmed'),
    [`/boot/vmlinuz-${DEB_KVER}`]: 'kernel',
    [`/boot/initrd.img-${DEB_KVER}`]: 'stock image',
  }, {
    '/initrd.img': `boot/initrd.img-${DEB_KVER}`,
    '/initrd.img.old': `boot/initrd.img-${DEB_KVER}`,
  });
}

describe('installedKernels / resolveKernelVersion', () => {
  it('lists /lib/modules entries with modules.dep, in version order', async () => {
    const h = debianNode().file('/lib/modules/5.10.0-30-amd64/modules.dep', '').file('/lib/modules/6.1.0-9-amd64/modules.dep', '').dir('/lib/modules/6.18.44-fc-v657');
    expect(await installedKernels(h)).toEqual(['5.10.0-30-amd64', '6.1.0-9-amd64', DEB_KVER]);
  });

  it('auto: the running kernel when it has modules', async () => {
    expect(await resolveKernelVersion(debianNode(), 'auto', DEB_KVER)).toBe(DEB_KVER);
  });

  it('auto: a running kernel without /lib/modules names it and lists the installed ones', async () => {
    const e = await rejection(resolveKernelVersion(debianNode(), 'auto', '6.18.44-fc-v657'));
    expect(e.code).toBe('INITRD');
    expect(e.message).toBe(`the running kernel 6.18.44-fc-v657 has no /lib/modules/6.18.44-fc-v657 on this node; installed kernels: ${DEB_KVER} — set xen.kernelVersion to one of them`);
  });

  it('explicit: must exist; a directory without modules.dep says to run depmod', async () => {
    expect(await resolveKernelVersion(debianNode(), DEB_KVER, '6.18.44')).toBe(DEB_KVER);
    const e = await rejection(resolveKernelVersion(debianNode().dir('/lib/modules/6.1.0-9-amd64'), '6.1.0-9-amd64', DEB_KVER));
    expect(e.message).toContain('kernel 6.1.0-9-amd64 (xen.kernelVersion) has no /lib/modules/6.1.0-9-amd64/modules.dep (run depmod 6.1.0-9-amd64)');
    expect(e.message).toContain(`installed kernels: ${DEB_KVER}`);
  });
});

describe('resolveDrivers', () => {
  it('modules found under either name, with their files', async () => {
    expect(await resolveDrivers(debianNode(), DEB_KVER, ['xennet', 'xen-blkfront'])).toEqual([
      { requested: 'xennet', module: 'xen-netfront', state: 'module', file: 'kernel/drivers/net/xen-netfront.ko.xz' },
      { requested: 'xen-blkfront', module: 'xen-blkfront', state: 'module', file: 'kernel/drivers/block/xen-blkfront.ko.xz' },
    ]);
  });

  it('a built-in driver (modules.builtin) and one known only from modules.builtin.modinfo', async () => {
    const h = debianNode();
    h.file(`/lib/modules/${DEB_KVER}/modules.dep`, 'kernel/drivers/block/xen-blkfront.ko.xz:\n');
    h.file(`/lib/modules/${DEB_KVER}/modules.builtin`, 'kernel/drivers/net/xen-netfront.ko\n');
    expect(await resolveDrivers(h, DEB_KVER, ['xennet', 'xenblk', 'xen-fbfront'])).toEqual([
      { requested: 'xennet', module: 'xen-netfront', state: 'builtin' },
      { requested: 'xenblk', module: 'xen-blkfront', state: 'module', file: 'kernel/drivers/block/xen-blkfront.ko.xz' },
      { requested: 'xen-fbfront', module: 'xen-fbfront', state: 'builtin' },
    ]);
  });

  it('RHEL5 xenlinux: the pvops names map to xennet/xenblk', async () => {
    const k = '2.6.18-398.el5xen';
    const h = fakeWith({ [`/lib/modules/${k}/modules.dep`]: `/lib/modules/${k}/kernel/drivers/xen/netfront/xennet.ko:\n/lib/modules/${k}/kernel/drivers/xen/blkfront/xenblk.ko:\n` });
    const plans = await resolveDrivers(h, k, ['xen-netfront', 'xen-blkfront']);
    expect(plans.map((p) => [p.module, p.file])).toEqual([['xennet', 'kernel/drivers/xen/netfront/xennet.ko'], ['xenblk', 'kernel/drivers/xen/blkfront/xenblk.ko']]);
  });

  it('missing in both forms: names both names and the kernel', async () => {
    const h = debianNode();
    h.file(`/lib/modules/${DEB_KVER}/modules.dep`, 'kernel/drivers/net/xen-netfront.ko.xz:\n');
    const e = await rejection(resolveDrivers(h, DEB_KVER, ['xennet', 'xenblk']));
    expect(e.code).toBe('INITRD');
    expect(e.message).toContain('driver xenblk is not available for kernel 6.12.117+deb13-amd64');
    expect(e.message).toContain('"xen-blkfront" or "xenblk"');
  });
});

describe('chooseTool', () => {
  const nash = '#!/bin/bash --norc\n# mkinitrd\n. /etc/rc.d/init.d/functions\nNASH=/sbin/nash\nemit "nash" lines\n';
  const wrapper = '#!/bin/bash --norc\n# mkinitrd compat wrapper\ndracut $dracut_args "$target" "$kernel"\n';

  it('auto prefers dracut, then mkinitramfs', async () => {
    expect(await chooseTool(fakeWith({ '/usr/bin/dracut': '', '/usr/sbin/mkinitramfs': '' }), 'auto')).toEqual({ tool: 'dracut', path: '/usr/bin/dracut' });
    expect(await chooseTool(fakeWith({ '/usr/sbin/mkinitramfs': '' }), 'auto')).toEqual({ tool: 'mkinitramfs', path: '/usr/sbin/mkinitramfs' });
  });

  it('auto: the RHEL5 nash mkinitrd is used; a dracut wrapper means dracut itself', async () => {
    expect(await chooseTool(fakeWith({ '/sbin/mkinitrd': nash }), 'auto')).toEqual({ tool: 'mkinitrd', path: '/sbin/mkinitrd' });
    expect(classifyMkinitrd(wrapper)).toBe('dracut-wrapper');
    expect(await chooseTool(fakeWith({ '/sbin/mkinitrd': wrapper, '/sbin/dracut': '' }), 'mkinitrd')).toEqual({ tool: 'dracut', path: '/sbin/dracut' });
  });

  it('explicit tool missing: names the package', async () => {
    const e = await rejection(chooseTool(fakeWith({ '/usr/sbin/mkinitramfs': '' }), 'dracut'));
    expect(e.hint).toContain('dracut-core');
    const e2 = await rejection(chooseTool(fakeWith({ '/usr/bin/dracut': '' }), 'mkinitramfs'));
    expect(e2.hint).toContain('initramfs-tools-core');
    const e3 = await rejection(chooseTool(fakeWith({ '/sbin/mkinitrd': '#!/bin/bash\n# SUSE mkinitrd\n. /lib/mkinitrd/scripts/setup-prepare.sh\n' }), 'auto'));
    expect(e3.message).toContain('not the RHEL5 (nash) mkinitrd');
  });
});

describe('findStockInitrds / refuseStockOutput', () => {
  const stockImage = `/boot/initrd.img-${DEB_KVER}`;
  const ours = `/boot/initrd-${DEB_KVER}-condor-xen.img`;

  it('finds the per-kernel image, the / links, and the boot loader\'s images (/boot-relative too)', async () => {
    const h = debianNode()
      .file('/boot/grub/grub.cfg', fixture('grub.cfg.debian13'))
      .file('/boot/loader/entries/abc-5.14.conf', fixture('bls-rhel9.conf'))
      .file('/boot/initramfs-5.14.0-427.13.1.el9_4.x86_64.img', 'x');
    const s = await findStockInitrds(h);
    expect(s.has(stockImage)).toBe(true);
    expect(s.has('/initrd.img')).toBe(true);
    expect(s.has('/boot/initrd.img-6.12.48+deb13-amd64')).toBe(true); // grub.cfg, not on disk
    expect(s.has('/boot/initramfs-5.14.0-427.13.1.el9_4.x86_64.img')).toBe(true); // BLS path under /boot
    expect(s.has(ours)).toBe(false);
  });

  it('the default condor-xen path is allowed', async () => {
    await expect(refuseStockOutput(debianNode().file('/boot/grub/grub.cfg', fixture('grub.cfg.debian13')), ours)).resolves.toBeUndefined();
  });

  it('refuses the stock path itself', async () => {
    const e = await rejection(refuseStockOutput(debianNode(), stockImage));
    expect(e.code).toBe('INITRD');
    expect(e.message).toContain(`refusing to write ${stockImage}`);
    expect(e.message).toContain('vm-provision never writes the stock initrd the node boots with');
  });

  it('refuses a symlink at the output that points at the stock image', async () => {
    const h = debianNode().symlink('/srv/xen/initrd-guest.img', stockImage);
    const e = await rejection(refuseStockOutput(h, '/srv/xen/initrd-guest.img'));
    expect(e.message).toContain(`leads to the stock initrd ${stockImage}`);
  });

  it('refuses an output reached through a symlinked directory (/boot → /mnt/boot)', async () => {
    const h = fakeWith({
      [`/lib/modules/${DEB_KVER}/modules.dep`]: '',
      '/mnt/sysboot/grub/grub.cfg': `initrd /boot/custom-initrd.img\n`,
      '/mnt/sysboot/custom-initrd.img': 'stock',
    }, { '/boot': '/mnt/sysboot', '/srv/bootlink': '/mnt/sysboot' });
    // the grub.cfg-named image, reached as written and through another link to the same directory
    await expect(refuseStockOutput(h, '/boot/custom-initrd.img')).rejects.toThrow(/referenced by \/boot\/grub\/grub.cfg/);
    await expect(refuseStockOutput(h, '/srv/bootlink/custom-initrd.img')).rejects.toThrow(/leads to the stock initrd \/mnt\/sysboot\/custom-initrd.img/);
    // a file that does not exist yet in the linked directory, with the per-kernel stock name
    await expect(refuseStockOutput(h, `/srv/bootlink/initrd-${DEB_KVER}.img`)).rejects.toThrow(/stock initrd/);
    await expect(refuseStockOutput(h, `/srv/bootlink/initrd-${DEB_KVER}-condor-xen.img`)).resolves.toBeUndefined();
  });

  it('refuses an image only grub.cfg names, and a RHEL5 initrd-V.img for an installed kernel', async () => {
    const h = debianNode().file('/boot/grub/grub.cfg', 'menuentry x {\n\tinitrd\t/boot/xen-dom0-initrd.img\n}\n');
    await expect(refuseStockOutput(h, '/boot/xen-dom0-initrd.img')).rejects.toThrow(/referenced by \/boot\/grub\/grub.cfg/);
    const k = '2.6.18-398.el5xen';
    const rhel5 = fakeWith({ [`/lib/modules/${k}/modules.dep`]: '', '/boot/grub/grub.conf': fixture('grub.conf.rhel5') });
    await expect(refuseStockOutput(rhel5, `/boot/initrd-${k}.img`)).rejects.toThrow(/stock initrd/);
    await expect(refuseStockOutput(rhel5, `/boot/initrd-${k}-condor-xen.img`)).resolves.toBeUndefined();
  });
});
