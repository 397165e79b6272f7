import { describe, expect, it } from 'vitest';
import {
  initrdContainsModule, parseBootLoaderInitrds, parseLsinitrdListing, parseModulesBuiltin, parseModulesBuiltinModinfo,
  parseModulesDep, parsePlainListing,
} from '../../../src/initrd/index.ts';
import { DEB_KVER, fixture } from './fixtures.ts';

describe('parseModulesDep', () => {
  const dep = parseModulesDep(fixture('modules.dep.6.12-trimmed'));
  it('maps normalized names to paths (real Debian 13 lines)', () => {
    expect(dep.get('xen_blkfront')).toBe('kernel/drivers/block/xen-blkfront.ko.xz');
    expect(dep.get('xen_netfront')).toBe('kernel/drivers/net/xen-netfront.ko.xz');
    expect(dep.get('xen_wdt')).toBe('kernel/drivers/watchdog/xen_wdt.ko.xz');
    expect(dep.get('xen-blkfront')).toBeUndefined(); // keys are normalized
    expect(dep.get('xen_blkback')).toBe('kernel/drivers/block/xen-blkback/xen-blkback.ko.xz');
    // dependencies are not entries of their own unless they have a line
    expect(dep.has('target_core_mod')).toBe(false);
    expect(dep.size).toBe(39);
  });
  it('old absolute paths, .ko/.ko.zst/.ko.gz, continued lines', () => {
    const text = [
      '/lib/modules/2.6.18-398.el5xen/kernel/drivers/xen/netfront/xennet.ko:',
      '/lib/modules/2.6.18-398.el5xen/kernel/drivers/xen/blkfront/xenblk.ko: \\',
      '  /lib/modules/2.6.18-398.el5xen/kernel/drivers/xen/core/xen-foo.ko',
      'kernel/fs/a.ko.zst:', 'kernel/fs/b_c.ko.gz:', 'not a module line',
    ].join('\n');
    const m = parseModulesDep(text);
    expect(m.get('xennet')).toBe('kernel/drivers/xen/netfront/xennet.ko');
    expect(m.get('xenblk')).toBe('kernel/drivers/xen/blkfront/xenblk.ko');
    expect(m.get('a')).toBe('kernel/fs/a.ko.zst');
    expect(m.get('b_c')).toBe('kernel/fs/b_c.ko.gz');
    expect(m.size).toBe(4);
  });
});

describe('parseModulesBuiltin', () => {
  it('real Debian 13 lines: xenbus is built in, the front-ends are not', () => {
    const b = parseModulesBuiltin(fixture('modules.builtin.6.12-trimmed'));
    expect(b.has('xenbus')).toBe(true);
    expect(b.has('xen_kbdfront')).toBe(true);
    expect(b.has('xen_netfront')).toBe(false);
    expect(b.has('xen_blkfront')).toBe(false);
  });
  it('a kernel with the net front-end built in', () => {
    const b = parseModulesBuiltin('kernel/drivers/xen/xenbus/xenbus.ko\nkernel/drivers/net/xen-netfront.ko\n');
    expect(b.has('xen_netfront')).toBe(true);
  });
  it('modules.builtin.modinfo (NUL-separated)', () => {
    const b = parseModulesBuiltinModinfo(fixture('modules.builtin.modinfo.6.12-trimmed'));
    expect([...b].sort()).toEqual(['virtio', 'virtio_ring', 'xen_fbfront', 'xen_kbdfront', 'xenbus', 'xenbus_probe_frontend']);
  });
});

describe('listings', () => {
  const dracut = parseLsinitrdListing(fixture('lsinitrd-dracut-6.12.txt'));
  const plain = parsePlainListing(fixture('lsinitramfs-mkinitramfs-6.12.txt'));

  it('lsinitrd: paths only, header skipped, symlink targets dropped', () => {
    expect(dracut).toContain(`usr/lib/modules/${DEB_KVER}/kernel/drivers/net/xen-netfront.ko.xz`);
    expect(dracut).toContain('bin');
    expect(dracut).toContain('etc/mtab');
    expect(dracut.some((p) => p.includes('->') || p.includes('dracut') && p.includes('Arguments'))).toBe(false);
    expect(dracut).toHaveLength(29); // every ls-style line of the fixture
    expect(dracut[0]).toBe('.');
  });

  it('initrdContainsModule on a real dracut image listing', () => {
    expect(initrdContainsModule(dracut, 'xen-netfront')).toBe(true);
    expect(initrdContainsModule(dracut, 'xen_blkfront')).toBe(true);
    expect(initrdContainsModule(dracut, 'xen-scsifront')).toBe(true);
    expect(initrdContainsModule(dracut, 'xen-pcifront')).toBe(false);
    expect(initrdContainsModule(dracut, 'xen')).toBe(false);
  });

  it('the arguments header naming the drivers does not count', () => {
    const onlyHeader = fixture('lsinitrd-dracut-6.12.txt').split('\n').filter((l) => !l.includes('.ko'));
    expect(initrdContainsModule(parseLsinitrdListing(onlyHeader.join('\n')), 'xen-netfront')).toBe(false);
    expect(initrdContainsModule(onlyHeader, 'xen-netfront')).toBe(false);
  });

  it('initrdContainsModule on a real lsinitramfs listing, and other compressions', () => {
    expect(initrdContainsModule(plain, 'xen-blkfront')).toBe(true);
    expect(initrdContainsModule(plain, 'xen-netfront')).toBe(true);
    expect(initrdContainsModule(plain, 'xen-netback')).toBe(false);
    expect(initrdContainsModule(['lib/modules/k/kernel/drivers/xen/netfront/xennet.ko'], 'xennet')).toBe(true);
    expect(initrdContainsModule(['x/xen_blkfront.ko.zst'], 'xen-blkfront')).toBe(true);
    expect(initrdContainsModule(['x/xen-blkfront.ko.gz'], 'xen-blkfront')).toBe(true);
    expect(initrdContainsModule(['x/xen-blkfront.ko.orig'], 'xen-blkfront')).toBe(false);
    expect(initrdContainsModule(['x/my-xen-blkfront.ko'], 'xen-blkfront')).toBe(false);
  });
});

describe('parseBootLoaderInitrds', () => {
  it('Debian grub.cfg: 10_linux entries and the Xen module2 entry, once each', () => {
    expect(parseBootLoaderInitrds(fixture('grub.cfg.debian13'))).toEqual([
      '/boot/initrd.img-6.12.57+deb13-amd64',
      '/boot/initrd.img-6.12.48+deb13-amd64',
    ]);
  });
  it('BLS entry: the image, not $tuned_initrd', () => {
    expect(parseBootLoaderInitrds(fixture('bls-rhel9.conf'))).toEqual(['/initramfs-5.14.0-427.13.1.el9_4.x86_64.img']);
  });
  it('RHEL5 grub.conf: the Xen Dom0 module line and the plain initrd line, not the comment', () => {
    expect(parseBootLoaderInitrds(fixture('grub.conf.rhel5'))).toEqual(['/initrd-2.6.18-398.el5xen.img', '/initrd-2.6.18-398.el5.img']);
  });
  it('initrd16/initrdefi, several images on a line, device prefixes', () => {
    const cfg = 'initrd16 /initramfs-3.10.0.img\ninitrdefi /boot/initramfs-4.18.img\ninitrd /boot/intel-ucode.img /boot/initramfs-linux.img\n'
      + 'initrd (hd0,gpt2)/initrd.img-5.10\n  module2 --nounzip ($root)/boot/initrd.img-6.1.0-xen\n  module2 /boot/vmlinuz-6.1 root=/dev/sda1\n';
    expect(parseBootLoaderInitrds(cfg)).toEqual([
      '/initramfs-3.10.0.img', '/boot/initramfs-4.18.img', '/boot/intel-ucode.img', '/boot/initramfs-linux.img', '/initrd.img-5.10', '/boot/initrd.img-6.1.0-xen',
    ]);
  });
});
