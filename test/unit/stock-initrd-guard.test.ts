// The packages step keeps a copy of any stock initrd and reports one the package manager regenerated.
import { describe, expect, it } from 'vitest';
import { FakeHost } from '../helpers/fake-host.ts';
import { BOOT_BACKUP_DIR, guardStockInitrds } from '../../src/packages/stock-initrd-guard.ts';

function host(initial: string) {
  const h = new FakeHost();
  h.file('/boot/initrd.img-6.12.117+deb13-amd64', initial);
  h.file('/boot/vmlinuz-6.12.117+deb13-amd64', 'kernel');
  h.file('/boot/initrd-6.12.117+deb13-amd64-condor-xen.img', 'ours');
  const sha = (t: string) => (t === 'old' ? 'a'.repeat(64) : 'b'.repeat(64));
  h.onCommand('sha256sum', (call) => ({
    stdout: call.argv.slice(2).map((f) => `${sha(h.content(f) ?? '')}  ${f}`).join('\n') + '\n',
  }));
  h.onCommand('cp', {});
  return h;
}

describe('guardStockInitrds', () => {
  it('warns, naming the kept copy, when the install regenerated the stock initrd', async () => {
    const h = host('old');
    const { warnings } = await guardStockInitrds(h, async () => { h.file('/boot/initrd.img-6.12.117+deb13-amd64', 'new'); });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('regenerated /boot/initrd.img-6.12.117+deb13-amd64');
    expect(warnings[0]).toContain(`${BOOT_BACKUP_DIR}/initrd.img-6.12.117+deb13-amd64.`);
    const cps = h.commandLines().filter((c) => c.startsWith('cp '));
    expect(cps).toHaveLength(1);
    expect(cps[0]).toContain('-- /boot/initrd.img-6.12.117+deb13-amd64');
  });

  it('says nothing and drops its copy when the stock initrd is unchanged; our own image is not a stock one', async () => {
    const h = host('old');
    const { warnings } = await guardStockInitrds(h, async () => 42);
    expect(warnings).toEqual([]);
    expect(h.removes().map((r) => r.path)[0]).toContain(`${BOOT_BACKUP_DIR}/initrd.img-6.12.117+deb13-amd64.`);
    expect(h.commandLines().join('\n')).not.toContain('condor-xen');
  });
});
