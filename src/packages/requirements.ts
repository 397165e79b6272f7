// What a profile needs installed on this node, checked against what is there (binaries or packages).
import type { Host } from '../host/host.ts';
import { which } from '../host/host.ts';
import type { Profile } from '../profile/index.ts';
import type { Facts } from '../facts/gather.ts';
import { findIsoTool, findPygrub, pickXenUtils } from '../xen/tools.ts';
import { INITRD_TOOLS, KVM_NEEDS, MKISOFS, PYGRUB, XEN_NEEDS, packagesFor, type Need } from './package-map.ts';

export interface Requirement { what: string; packages: string[]; /** Set when a binary already satisfies it. */ satisfiedBy?: string }

export async function requirements(host: Host, profile: Profile, facts: Facts): Promise<Requirement[]> {
  const fam = facts.os.family;
  const pkg = (n: Need) => packagesFor([n], fam);
  if (profile.hypervisor === 'kvm') return KVM_NEEDS.map((n) => ({ what: n.what, packages: pkg(n) }));
  if (profile.hypervisor !== 'xen') return [];
  const reqs: Requirement[] = XEN_NEEDS.map((n) => ({ what: n.what, packages: pkg(n) }));
  const iso = await findIsoTool(host);
  reqs.push({ what: 'mkisofs', packages: pkg(MKISOFS), satisfiedBy: iso ? `${iso.path} (${iso.kind}${iso.version ? ` ${iso.version}` : ''})` : undefined });
  const pygrub = profile.xen?.bootloader !== 'auto' ? profile.xen!.bootloader : await findPygrub(host);
  const pygrubThere = pygrub !== undefined && (await host.fileInfo(pygrub)) !== undefined;
  let pygrubPkgs = pkg(PYGRUB);
  // Debian's pygrub comes in a versioned xen-utils-<v>: the index names it (an explicit path that is missing too).
  if (!pygrubThere && fam === 'debian') {
    const r = await host.exec('apt-cache', ['pkgnames', 'xen-utils-']);
    const name = pickXenUtils(r.stdout);
    pygrubPkgs = name ? [name] : [];
  }
  reqs.push({ what: 'pygrub', packages: pygrubPkgs, satisfiedBy: pygrubThere ? pygrub : undefined });
  const initrd = profile.xen?.initrd;
  if (initrd?.build) {
    const tools = initrd.tool === 'auto' ? (['dracut', 'mkinitramfs', 'mkinitrd'] as const) : [initrd.tool];
    let found: string | undefined;
    let foundTool: (typeof tools)[number] | undefined;
    for (const t of tools) { found = await which(host, t); if (found) { foundTool = t; break; } }
    // auto with nothing present: the family's usual tool (Debian: initramfs-tools, others: dracut).
    const want = foundTool ?? (initrd.tool === 'auto' ? (fam === 'debian' ? 'mkinitramfs' : 'dracut') : initrd.tool);
    reqs.push({ what: `initrd tool (${want})`, packages: pkg(INITRD_TOOLS[want]), satisfiedBy: found });
  }
  return reqs;
}
