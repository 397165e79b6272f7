// Says exactly what the testbed needs and is missing, so tests report "not run: <reason>".
import { existsSync } from 'node:fs';
import { runSync } from './exec.ts';

const TOOLS: Array<[bin: string, pkg: string]> = [
  ['debootstrap', 'debootstrap'],
  ['systemd-nspawn', 'systemd-container'],
  ['ip', 'iproute2'],
  ['ssh', 'openssh-client'],
  ['ssh-keygen', 'openssh-client'],
  ['dpkg-scanpackages', 'dpkg-dev'],
  ['mount', 'mount'],
];

export function which(bin: string): string | undefined {
  const r = runSync('sh', ['-c', 'command -v "$1"', 'sh', bin]);
  return r.exitCode === 0 && r.stdout ? r.stdout.trim() : undefined;
}

/** undefined when the testbed can run here; otherwise the reason and the fix. */
export function testbedUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `the testbed needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'the testbed needs root (network namespaces, overlay mounts, systemd-nspawn): run as root';
  const missing = TOOLS.filter(([b]) => !which(b));
  if (missing.length) {
    const pkgs = [...new Set(missing.map(([, p]) => p))].join(' ');
    return `missing host tools: ${missing.map(([b]) => b).join(', ')} — install with: apt-get install -y ${pkgs}`;
  }
  if (!existsSync('/proc/filesystems')) return '/proc is not mounted';
  return undefined;
}
