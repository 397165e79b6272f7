// Installing packages can make the distribution regenerate the stock initrd (a package's initramfs hook fires
// update-initramfs, e.g. dmsetup pulled in by libvirt). That is not vm-provision writing it, but nothing may be lost:
// copy the stock images aside first, and report any the package manager replaced.
import type { Host } from '../host/host.ts';
import { isStockFileName } from '../initrd/stock-names.ts';

export const BOOT_BACKUP_DIR = '/var/lib/vm-provision/backups/boot';

async function stockImages(host: Host): Promise<string[]> {
  return ((await host.listDir('/boot')) ?? []).filter(isStockFileName).map((f) => `/boot/${f}`);
}

async function hashes(host: Host, files: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!files.length) return out;
  const r = await host.exec('sha256sum', ['--', ...files]);
  for (const l of r.stdout.split('\n')) { const m = /^([0-9a-f]{64})\s+\*?(.*)$/.exec(l); if (m) out.set(m[2]!, m[1]!); }
  return out;
}

export async function guardStockInitrds<T>(host: Host, fn: () => Promise<T>): Promise<{ result: T; warnings: string[] }> {
  const files = await stockImages(host);
  const before = await hashes(host, files);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const saved = new Map<string, string>();
  if (files.length) {
    await host.mkdirp(BOOT_BACKUP_DIR, 0o700);
    for (const f of files) {
      const to = `${BOOT_BACKUP_DIR}/${f.slice('/boot/'.length)}.${stamp}`;
      if ((await host.exec('cp', ['-p', '--reflink=auto', '--', f, to])).exitCode === 0) saved.set(f, to);
    }
  }
  const result = await fn();
  const after = await hashes(host, await stockImages(host));
  const warnings: string[] = [];
  for (const [f, h] of before) {
    if (after.get(f) !== h) warnings.push(`the package manager regenerated ${f} while installing (a package's initramfs hook ran update-initramfs); the previous image is kept at ${saved.get(f) ?? '(copy failed)'}`);
  }
  // Unchanged images need no copy.
  for (const [f, to] of saved) if (after.get(f) === before.get(f)) await host.remove(to);
  return { result, warnings };
}
