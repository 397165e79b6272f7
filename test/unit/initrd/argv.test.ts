import { describe, expect, it } from 'vitest';
import { appendModulesFile, buildArgv, type DriverPlan } from '../../../src/initrd/index.ts';

const net: DriverPlan = { requested: 'xennet', module: 'xen-netfront', state: 'module', file: 'kernel/drivers/net/xen-netfront.ko.xz' };
const blk: DriverPlan = { requested: 'xenblk', module: 'xen-blkfront', state: 'module', file: 'kernel/drivers/block/xen-blkfront.ko.xz' };
const out = '/boot/.initrd-6.12.57+deb13-amd64-condor-xen.img.vmp-tmp-77';
const K = '6.12.57+deb13-amd64';

describe('buildArgv', () => {
  it('dracut: no hostonly, one --add-drivers word, output before version', () => {
    expect(buildArgv('dracut', out, K, [net, blk])).toEqual(['dracut', ['-f', '--no-hostonly', '--add-drivers', 'xen-netfront xen-blkfront', out, K]]);
  });

  it('dracut: a built-in driver is not passed; all built in → no --add-drivers at all', () => {
    const builtinNet: DriverPlan = { requested: 'xen-netfront', module: 'xen-netfront', state: 'builtin' };
    expect(buildArgv('dracut', out, K, [builtinNet, blk])).toEqual(['dracut', ['-f', '--no-hostonly', '--add-drivers', 'xen-blkfront', out, K]]);
    expect(buildArgv('dracut', out, K, [builtinNet])).toEqual(['dracut', ['-f', '--no-hostonly', out, K]]);
  });

  it('RHEL5 mkinitrd: network --with, block --preload', () => {
    const kx = '2.6.18-398.el5xen';
    const xennet: DriverPlan = { requested: 'xen-netfront', module: 'xennet', state: 'module', file: 'kernel/drivers/xen/netfront/xennet.ko' };
    const xenblk: DriverPlan = { requested: 'xen-blkfront', module: 'xenblk', state: 'module', file: 'kernel/drivers/xen/blkfront/xenblk.ko' };
    expect(buildArgv('mkinitrd', '/boot/initrd-2.6.18-398.el5xen-condor-xen.img', kx, [xennet, xenblk]))
      .toEqual(['mkinitrd', ['-f', '--with=xennet', '--preload=xenblk', '/boot/initrd-2.6.18-398.el5xen-condor-xen.img', kx]]);
    expect(buildArgv('mkinitrd', 'o.img', kx, [{ ...xennet, state: 'builtin' }, xenblk])).toEqual(['mkinitrd', ['-f', '--preload=xenblk', 'o.img', kx]]);
  });

  it('mkinitramfs: private config dir, -o output, version', () => {
    expect(buildArgv('mkinitramfs', out, K, [net, blk], { confDir: '/var/lib/vm-provision/initramfs-conf-77' }))
      .toEqual(['mkinitramfs', ['-d', '/var/lib/vm-provision/initramfs-conf-77', '-o', out, K]]);
    expect(() => buildArgv('mkinitramfs', out, K, [net])).toThrow(/confDir/);
  });
});

describe('appendModulesFile', () => {
  const debian = '# List of modules that you want to include in your initramfs.\n#\n# raid1\n# sd_mod\n';
  it('appends the module drivers, not built-ins', () => {
    const text = appendModulesFile(debian, [net, { ...blk, state: 'builtin' }]);
    expect(text.startsWith(debian)).toBe(true);
    expect(text.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual(['xen-netfront']);
  });
  it('adds a newline to a last line without one, and lists nothing twice', () => {
    expect(appendModulesFile('raid1', [net])).toBe('raid1\n# added by vm-provision: Xen front-end drivers\nxen-netfront\n');
    expect(appendModulesFile('xen-netfront\n', [net])).toBe('xen-netfront\n');
  });
});
