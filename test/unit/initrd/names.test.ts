import { describe, expect, it } from 'vitest';
import { expandOutput, isStockInitrdName, isXenlinuxKernel, mapDriverName } from '../../../src/initrd/index.ts';

describe('isXenlinuxKernel / mapDriverName', () => {
  const table: Array<[string, boolean, string, string]> = [
    // kernel, xenlinux?, net name, block name
    ['2.6.18-398.el5xen', true, 'xennet', 'xenblk'],
    ['2.6.18-8.el5xen', true, 'xennet', 'xenblk'],
    ['2.6.16.60-0.21-xen', true, 'xennet', 'xenblk'],
    ['2.6.32-754.el6.x86_64', false, 'xen-netfront', 'xen-blkfront'],
    ['6.12.57+deb13-amd64', false, 'xen-netfront', 'xen-blkfront'],
    ['5.14.0-427.el9.x86_64', false, 'xen-netfront', 'xen-blkfront'],
  ];
  it.each(table)('%s', (kver, xenlinux, net, blk) => {
    expect(isXenlinuxKernel(kver)).toBe(xenlinux);
    for (const asked of ['xennet', 'xen-netfront']) expect(mapDriverName(asked, kver)).toBe(net);
    for (const asked of ['xenblk', 'xen-blkfront']) expect(mapDriverName(asked, kver)).toBe(blk);
    expect(mapDriverName('xen-scsifront', kver)).toBe('xen-scsifront');
    expect(mapDriverName('virtio_net', kver)).toBe('virtio_net');
    expect(mapDriverName('xen_netfront', kver)).toBe(xenlinux ? 'xennet' : 'xen_netfront'); // spelled as asked: - and _ are alike
  });

  it('a non-Xen 2.6.18 kernel and SUSE kernel-xen', () => {
    expect(isXenlinuxKernel('2.6.18-398.el5')).toBe(false);
    expect(isXenlinuxKernel('3.0.101-63-xen')).toBe(true);
    expect(isXenlinuxKernel('2.6.32-5-xen-amd64')).toBe(false); // Debian squeeze: pvops
  });
});

describe('expandOutput', () => {
  it('replaces every placeholder', () => {
    expect(expandOutput('/boot/initrd-{kernelVersion}-condor-xen.img', '6.12.57+deb13-amd64')).toBe('/boot/initrd-6.12.57+deb13-amd64-condor-xen.img');
    expect(expandOutput('/srv/{kernelVersion}/{kernelVersion}.img', 'K')).toBe('/srv/K/K.img');
    expect(expandOutput('/srv/xen.img', 'K')).toBe('/srv/xen.img');
  });
});

describe('isStockInitrdName', () => {
  const stock = [
    '/boot/initrd.img-{kernelVersion}', '/boot/initramfs-{kernelVersion}.img', '/boot/initrd-{kernelVersion}.img',
    '/boot/initrd.img', '/initrd.img', '/initrd.img.old', '/boot/initrd.img.old',
    '/boot/initrd.img-6.12.57+deb13-amd64', '/boot/initramfs-5.14.0-427.el9.x86_64.img',
    '/boot/initramfs-5.14.0-427.el9.x86_64kdump.img', '/boot/initramfs-linux-fallback.img', '/boot/initrd-{kernelVersion}kdump.img',
    '/boot//initrd.img-{kernelVersion}', '/boot/../boot/initramfs-{kernelVersion}.img',
  ];
  const ours = [
    '/boot/initrd-{kernelVersion}-condor-xen.img', '/boot/initrd-6.12.57+deb13-amd64-condor-xen.img',
    '/srv/xen/initrd.img', '/var/lib/condor/xen/initrd-{kernelVersion}.img', '/boot/xen/initrd.img-{kernelVersion}',
  ];
  it.each(stock)('%s is stock', (p) => expect(isStockInitrdName(p)).toBe(true));
  it.each(ours)('%s is not', (p) => expect(isStockInitrdName(p)).toBe(false));
});
