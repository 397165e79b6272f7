// Xen tooling on the node: pygrub, mkisofs, the Xen version, and which Xen service layout it has.
import type { Host } from '../host/host.ts';
import { which } from '../host/host.ts';

/** pygrub lives in a versioned libexec directory on most distributions; probe instead of assuming. */
export async function findPygrub(host: Host): Promise<string | undefined> {
  const fixed = ['/usr/bin/pygrub', '/usr/lib/xen/bin/pygrub', '/usr/lib64/xen/bin/pygrub', '/usr/libexec/xen/bin/pygrub', '/usr/local/lib/xen/bin/pygrub'];
  const versioned = ((await host.listDir('/usr/lib')) ?? []).filter((d) => /^xen-\d+(\.\d+)*$/.test(d))
    .sort(byXenVersion).reverse().map((d) => `/usr/lib/${d}/bin/pygrub`);
  for (const p of [...fixed.slice(0, 1), ...versioned, ...fixed.slice(1)]) {
    const info = await host.fileInfo(p);
    if (info && (info.kind === 'file' || info.kind === 'symlink')) return p;
  }
  return undefined;
}

/** Orders `xen-4.9`, `xen-4.20`, `xen-utils-4.17` … by the dotted version at the end of the name, numerically. */
export function byXenVersion(a: string, b: string): number {
  const ver = (s: string) => (/(\d+(?:\.\d+)*)$/.exec(s)?.[1] ?? '0').split('.').map(Number);
  const va = ver(a);
  const vb = ver(b);
  for (let i = 0; i < Math.max(va.length, vb.length); i++) { const d = (va[i] ?? 0) - (vb[i] ?? 0); if (d) return d; }
  return 0;
}

/** Highest `xen-utils-<version>` in `apt-cache pkgnames xen-utils-` output. */
export function pickXenUtils(pkgnames: string): string | undefined {
  return pkgnames.split('\n').map((s) => s.trim()).filter((s) => /^xen-utils-\d+(\.\d+)*$/.test(s)).sort(byXenVersion).at(-1);
}

export interface IsoTool { path: string; kind: 'genisoimage' | 'xorriso' | 'mkisofs'; version?: string }

export async function findIsoTool(host: Host): Promise<IsoTool | undefined> {
  for (const [bin, kind] of [['mkisofs', 'mkisofs'], ['genisoimage', 'genisoimage'], ['xorrisofs', 'xorriso']] as const) {
    const p = await which(host, bin);
    if (!p) continue;
    const r = await host.exec(p, ['-version']);
    const text = `${r.stdout}\n${r.stderr}`;
    const real = /genisoimage/i.test(text) ? 'genisoimage' : /xorriso/i.test(text) ? 'xorriso' : kind;
    const version = /(?:genisoimage|xorriso|mkisofs)\s+([0-9][\w.:-]*)/i.exec(text)?.[1];
    return { path: p, kind: real, version };
  }
  return undefined;
}

/** The installed Xen version, from the versioned tools directory (xen-4.20 → "4.20"); xl info needs a running Dom0. */
export async function installedXenVersion(host: Host): Promise<string | undefined> {
  const dirs = ((await host.listDir('/usr/lib')) ?? []).filter((d) => /^xen-\d+(\.\d+)*$/.test(d)).sort(byXenVersion);
  if (dirs.length) return dirs.at(-1)!.slice(4);
  const r = await host.exec('xl', ['info']);
  return /^xen_version\s*:\s*(\S+)/m.exec(r.stdout)?.[1];
}

/** xend went with Xen 4.5 (libvirt's xend driver with 4.4): only ask for it on older Xen. */
export function needsXend(xenVersion: string | undefined): boolean {
  if (!xenVersion) return false;
  const [maj = 0, min = 0] = xenVersion.split('.').map(Number);
  return maj < 4 || (maj === 4 && min <= 4);
}

/** Xen's own services: upstream xencommons, or Debian's `xen` (init script / xen.service). */
export const XEN_SERVICE_UNITS = ['xencommons.service', 'xen.service', 'xend.service'];

/** Where Debian's xen-utils-<v> package puts pygrub: for planning before it is installed. */
export function predictedPygrub(pkg: string): string | undefined {
  const m = /^xen-utils-(\d+(?:\.\d+)*)$/.exec(pkg);
  return m ? `/usr/lib/xen-${m[1]}/bin/pygrub` : undefined;
}
