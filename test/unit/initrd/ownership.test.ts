// Issue 9 item 2: xen.initrd.output may only be a new file or an image vm-provision built (its manifest says so).
import { describe, expect, it } from 'vitest';
import { refuseForeignOutput, manifestPath } from '../../../src/initrd/index.ts';
import { FakeHost } from '../../helpers/fake-host.ts';
import { DEB_KVER } from './fixtures.ts';

const OURS = `/boot/initrd-${DEB_KVER}-condor-xen.img`;
const manifest = JSON.stringify({ kernelVersion: DEB_KVER, tool: 'dracut', drivers: [], moduleHashes: {}, imageSha256: 'a'.repeat(64), imageBytes: 5, builtAt: 'x', formatVersion: 1 });

describe('refuseForeignOutput', () => {
  it.each([
    [`/boot/vmlinuz-${DEB_KVER}`, 'a kernel image'],
    ['/boot/xen.gz', 'the Xen hypervisor image'],
    ['/boot/grub/grub.cfg', 'a boot loader file'],
    ['/etc/shadow', 'a system configuration file'],
    ['/srv/data.img', 'an existing file of 4 bytes'],
  ])('refuses to replace %s, naming it as %s, and writes nothing', async (path, what) => {
    const h = new FakeHost().file(path, 'data');
    await expect(refuseForeignOutput(h, path)).rejects.toThrow(`refusing to replace ${path}: it is ${what}`);
    expect(h.mutations()).toEqual([]);
  });

  it('a new file, or an image with its vm-provision manifest, is allowed', async () => {
    await expect(refuseForeignOutput(new FakeHost().dir('/boot'), OURS)).resolves.toBeUndefined();
    await expect(refuseForeignOutput(new FakeHost().file(OURS, 'IMAGE').file(manifestPath(OURS), manifest), OURS)).resolves.toBeUndefined();
  });

  it('a manifest path holding something else, or a symlink at the output, is refused', async () => {
    await expect(refuseForeignOutput(new FakeHost().file(manifestPath(OURS), 'secret'), OURS)).rejects.toThrow(/not a vm-provision manifest/);
    const h = new FakeHost().file('/etc/shadow', 'x').symlink(OURS, '/etc/shadow').file(manifestPath(OURS), manifest);
    await expect(refuseForeignOutput(h, OURS)).rejects.toThrow(/a symbolic link/);
  });
});
