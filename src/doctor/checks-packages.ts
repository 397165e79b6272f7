// Checks of the node's packages (apt nodes): an interrupted dpkg, which blocks every install, and the VM universe's
// packages — installed, installable from the node's sources, or not installable at all.
import type { Host } from '../host/host.ts';
import type { Facts } from '../facts/gather.ts';
import { KVM_NEEDS, XEN_NEEDS, packagesFor } from '../packages/package-map.ts';
import { installedPackages } from '../packages/package-manager.ts';
import { parseAptSources, parseDpkgAudit } from '../packages/apt-errors.ts';
import type { Evidence } from './evidence.ts';
import { ok, problem, warn, type Finding } from './finding.ts';

const UPDATES = '/var/lib/dpkg/updates';

export interface PackagesEvidence {
  /** dpkg's journal of a run that did not finish: files in /var/lib/dpkg/updates named by digits. */
  dpkgUpdates: string[];
  /** What `dpkg --audit` reports unfinished. */
  unfinished: Array<{ name: string; state: string }>;
  /** The packages the VM universe needs on this node; candidate undefined = no version in the node's sources. */
  wanted: Array<{ name: string; installed: boolean; candidate?: string }>;
  /** The node's apt sources (`apt-cache policy`), read when a package has no candidate. */
  sources: string[];
}

/** `apt-cache policy PKG…`: each package's candidate version ("(none)" and absent packages: undefined). */
export function parseCandidates(stdout: string): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  let pkg: string | undefined;
  for (const line of stdout.split('\n')) {
    const head = /^(\S+):$/.exec(line);
    if (head) { pkg = head[1]!.split(':')[0]; out.set(pkg!, undefined); continue; }
    const c = /^\s+Candidate:\s+(\S+)/.exec(line);
    if (c && pkg) out.set(pkg, c[1] === '(none)' ? undefined : c[1]);
  }
  return out;
}

/** Read-only: dpkg's database and apt's cache, never apt-get. Only on apt nodes; undefined elsewhere or on error. */
export async function gatherPackages(host: Host, facts: Facts, vmType: string | undefined): Promise<PackagesEvidence | undefined> {
  if (facts.packageManager !== 'apt-get' || facts.os.family === 'unknown' || (vmType && vmType !== 'kvm' && vmType !== 'xen')) return undefined;
  try {
    const names = packagesFor(vmType === 'xen' ? XEN_NEEDS : KVM_NEEDS, facts.os.family);
    const [updates, audit, installed] = await Promise.all([
      host.listDir(UPDATES), host.exec('dpkg', ['--audit'], { timeoutMs: 30_000 }), installedPackages(host, 'apt-get', names),
    ]);
    const missing = names.filter((n) => !installed.has(n));
    const candidates = missing.length ? parseCandidates((await host.exec('apt-cache', ['policy', ...missing], { timeoutMs: 30_000 })).stdout) : new Map<string, string | undefined>();
    const none = missing.some((n) => candidates.get(n) === undefined);
    const sources = none ? parseAptSources((await host.exec('apt-cache', ['policy'], { timeoutMs: 30_000 })).stdout) : [];
    return {
      dpkgUpdates: (updates ?? []).filter((f) => /^\d+$/.test(f)).sort(),
      unfinished: parseDpkgAudit(audit.stdout),
      wanted: names.map((name) => ({ name, installed: installed.has(name), ...(candidates.get(name) ? { candidate: candidates.get(name) } : {}) })),
      sources,
    };
  } catch {
    return undefined;
  }
}

export function checkDpkg(e: Evidence): Finding | undefined {
  const p = e.packages;
  if (!p) return undefined;
  const left = p.unfinished.map((u) => `${u.name} ${u.state}`);
  const ev = [
    ...(p.dpkgUpdates.length ? [`${UPDATES}: ${p.dpkgUpdates.length} record${p.dpkgUpdates.length > 1 ? 's' : ''} of an unfinished dpkg run (${p.dpkgUpdates.slice(0, 5).join(' ')}${p.dpkgUpdates.length > 5 ? ' …' : ''})`] : []),
    ...(left.length ? [`dpkg --audit: ${left.join(', ')}`] : []),
  ];
  const next = 'dpkg --configure -a (it finishes the interrupted install), then vm-provision apply PROFILE';
  if (p.dpkgUpdates.length) {
    return problem('dpkg', `dpkg was interrupted: a package install was killed halfway${left.length ? ` (${left.join(', ')})` : ''}; apt-get installs nothing until it is finished ("dpkg was interrupted, you must manually run 'dpkg --configure -a'")`, next, ev);
  }
  if (left.length) return problem('dpkg', `packages left unfinished by an earlier install (${left.join(', ')}): apt-get stops on them`, next, ev);
  return ok('dpkg', 'dpkg finished its last run (no interrupted install, dpkg --audit clean)');
}

export function checkPackages(e: Evidence): Finding | undefined {
  const p = e.packages;
  if (!p) return undefined;
  const missing = p.wanted.filter((w) => !w.installed);
  if (!missing.length) return ok('packages', `the VM universe's packages are installed (${p.wanted.map((w) => w.name).join(', ')})`);
  const none = missing.filter((w) => !w.candidate).map((w) => w.name);
  const ev = [`apt-cache policy: ${missing.map((w) => `${w.name}: not installed, candidate ${w.candidate ?? '(none)'}`).join('; ')}`,
    ...(p.sources.length ? [`apt sources: ${p.sources.join(', ')}`] : [])];
  if (none.length) {
    const them = none.length > 1 ? 'them' : 'it';
    const summary = `${none.join(', ')} ${none.length > 1 ? 'are' : 'is'} not installed and cannot be: the node's package sources have no version of ${them}, so the VM universe's libvirt/QEMU/gahp stack cannot be installed (vm-provision apply fails in its packages step)`;
    const action = `add a repository that has ${none.join(', ')} (Debian/Ubuntu: the main archive of this release) to the apt sources, or remove the pin that hides ${them}; apt-get update, then vm-provision apply PROFILE`;
    // A libvirt that answers the gahp's way does not need the package (installed some other way): a warning only.
    return e.libvirt?.exitCode === 0 ? warn('packages', summary, action, ev) : problem('packages', summary, action, ev);
  }
  return warn('packages', `not installed: ${missing.map((w) => w.name).join(', ')} (installable from the node's sources: vm-provision apply installs them)`, 'vm-provision apply PROFILE', ev);
}
