// What the testbed needs on the host, and setting it up: missing tools are installed with the host's package
// manager, once; it refuses only where it truly cannot (not Linux, not root, no package manager it knows).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, runSync } from './exec.ts';
import { STATE_DIR } from './config.ts';
import { withFileLock } from './lock.ts';

/** Each tool the testbed runs on the host, with the Debian/Ubuntu package that ships it. */
export const HOST_TOOLS: ReadonlyArray<readonly [bin: string, pkg: string]> = [
  ['debootstrap', 'debootstrap'],
  ['systemd-nspawn', 'systemd-container'],
  ['ip', 'iproute2'],
  ['ssh', 'openssh-client'],
  ['ssh-keygen', 'openssh-client'],
  ['scp', 'openssh-client'],
  ['dpkg-scanpackages', 'dpkg-dev'],
  ['mount', 'mount'],
  ['findmnt', 'util-linux'],
  ['mountpoint', 'util-linux'],
  ['setsid', 'util-linux'],
  ['mknod', 'coreutils'],
  ['gzip', 'gzip'],
  // The clock fault's stand-in (test/e2e/faults-node.test.ts) compiles an LD_PRELOAD shim.
  ['gcc', 'gcc'],
];

export function which(bin: string): string | undefined {
  const r = runSync('sh', ['-c', 'command -v "$1"', 'sh', bin]);
  return r.exitCode === 0 && r.stdout ? r.stdout.trim() : undefined;
}

export function missingTools(tools = HOST_TOOLS): Array<readonly [string, string]> {
  return tools.filter(([b]) => !which(b));
}

/** Why the testbed cannot run here at all (nothing to install would fix it), or undefined. */
export function hostRefusal(): string | undefined {
  if (process.platform !== 'linux') return `the testbed needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'the testbed needs root (network namespaces, overlay mounts, systemd-nspawn): run as root';
  if (!existsSync('/proc/filesystems')) return '/proc is not mounted';
  return undefined;
}

/** apt-get on Debian and its derivatives; the only package manager whose package names HOST_TOOLS knows. */
export function hostPackageManager(osRelease = readOsRelease()): 'apt-get' | undefined {
  const ids = `${osRelease.ID ?? ''} ${osRelease.ID_LIKE ?? ''}`.split(/\s+/);
  if ((ids.includes('debian') || ids.includes('ubuntu')) && which('apt-get')) return 'apt-get';
  return undefined;
}

function readOsRelease(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of ['/etc/os-release', '/usr/lib/os-release']) {
    if (!existsSync(f)) continue;
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      const m = /^([A-Z_]+)=("?)(.*)\2$/.exec(line.trim());
      if (m) out[m[1]!] = m[3]!;
    }
    break;
  }
  return out;
}

/** Quick check without side effects: the reason the testbed cannot run now, or undefined. */
export function testbedUnavailable(): string | undefined {
  const refusal = hostRefusal();
  if (refusal) return refusal;
  const missing = missingTools();
  if (missing.length) return `missing host tools: ${missing.map(([b]) => b).join(', ')}`;
  return undefined;
}

export interface HostSetup { installed: string[]; seconds: number }

/**
 * Installs missing host tools (as root, with apt-get), saying so on stderr. Throws an Error whose message is the
 * reason and the fix when it cannot: that is where callers exit 77 or fail the test run.
 */
export async function ensureHostTools(log: (s: string) => void = (s) => process.stderr.write(`[testbed] ${s}\n`)): Promise<HostSetup> {
  const refusal = hostRefusal();
  if (refusal) throw new Error(refusal);
  if (!missingTools().length) return { installed: [], seconds: 0 };
  mkdirSync(STATE_DIR, { recursive: true });
  // Concurrent callers (test run and a demo) install once: the second finds everything there.
  return withFileLock(join(STATE_DIR, 'host-tools.lock'), async () => {
    const missing = missingTools();
    if (!missing.length) return { installed: [], seconds: 0 };
    const pkgs = [...new Set(missing.map(([, p]) => p))].sort();
    const pm = hostPackageManager();
    if (!pm) {
      throw new Error(`missing host tools: ${missing.map(([b]) => b).join(', ')}, and no package manager the testbed knows ` +
        `(apt-get on Debian/Ubuntu): install the packages that provide them (Debian names: ${pkgs.join(' ')})`);
    }
    const t0 = Date.now();
    log(`installing host tools with apt-get: ${pkgs.join(' ')} (missing: ${missing.map(([b]) => b).join(', ')})`);
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    try {
      await run('apt-get', ['update', '-q'], { env });
      await run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...pkgs], { env });
    } catch (e) {
      throw new Error(`could not install host tools (${pkgs.join(' ')}) with apt-get: ${e instanceof Error ? e.message : String(e)}`);
    }
    const still = missingTools();
    if (still.length) throw new Error(`installed ${pkgs.join(' ')} but still missing: ${still.map(([b]) => b).join(', ')}`);
    const seconds = (Date.now() - t0) / 1000;
    log(`host tools installed in ${seconds.toFixed(1)} s`);
    return { installed: pkgs, seconds };
  });
}

/**
 * Every node's systemd, udev and libvirtd hold inotify instances, all counted against root on the one kernel: the
 * default of 128 runs out with about ten nodes on the machine (several test runs at once), and a node's libvirtd then
 * fails its start ("Unable to find default local file monitor type") and hangs the gahp's test.
 */
export function raiseInotifyLimit(min = 8192): void {
  const p = '/proc/sys/fs/inotify/max_user_instances';
  try { if (Number(readFileSync(p, 'utf8')) < min) writeFileSync(p, `${min}\n`); } catch { /* not permitted here: the nodes may still fit */ }
}
