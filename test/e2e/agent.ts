// Helpers for end-to-end tests: put the built single-file agent on a testbed node and run it there.
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestNode } from '../testbed/nodes.ts';

export const ROOT = resolve(import.meta.dirname, '../..');
export const DIST = join(ROOT, 'dist/vm-provision.mjs');
export const AGENT = '/usr/local/bin/vm-provision';

/** Copies dist/vm-provision.mjs (built by `npm test`'s build step) and the examples onto the node. */
export async function installAgent(node: TestNode): Promise<void> {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run \`npm run build\` first (npm test does)`);
  await node.copyIn(DIST, AGENT);
  await node.ssh(['chmod', '755', AGENT]);
  await node.ssh(['mkdir', '-p', '/root/examples', '/root/profiles']);
  for (const f of readdirSync(join(ROOT, 'examples'), { withFileTypes: true })) {
    if (f.isFile()) await node.copyIn(join(ROOT, 'examples', f.name), `/root/examples/${f.name}`);
  }
}

export function vmp(node: TestNode, args: string[], opts: { timeoutMs?: number } = {}) {
  return node.ssh([AGENT, ...args], { timeoutMs: opts.timeoutMs ?? 600_000 });
}

/** Writes a profile onto the node from a text. */
export async function putProfile(node: TestNode, name: string, text: string): Promise<string> {
  const path = `/root/profiles/${name}`;
  await node.ssh(['tee', path], { input: text });
  return path;
}

export async function startdPid(node: TestNode): Promise<string> {
  return (await node.ssh(['pgrep', '-x', 'condor_startd'])).stdout.trim();
}

/**
 * Waits until the node's startd has kept the same PID for `stableMs`: a restart started by an earlier test (a
 * rollback; a startd finishing its start-up benchmarks before it obeys; the master's backoff) would otherwise change
 * the PID under a fingerprint taken meanwhile.
 */
export async function steadyStartd(node: TestNode, stableMs = 45_000, timeoutMs = 240_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  let last = '';
  let since = Date.now();
  while (Date.now() < until) {
    const pid = await startdPid(node);
    if (pid !== last) { last = pid; since = Date.now(); }
    else if (pid && Date.now() - since >= stableMs) return pid;
    await new Promise((r) => setTimeout(r, 5000));
  }
  throw new Error(`${node.name}: condor_startd did not keep one PID for ${stableMs / 1000} s within ${timeoutMs / 1000} s (last PID ${last || 'none'})`);
}

/** A fingerprint of everything apply could change: packages, /etc/condor, unit states, startd PID. */
export async function nodeFingerprint(node: TestNode): Promise<string> {
  const r = await node.sh([
    "dpkg-query -W -f '${Package} ${Status}\\n' | sort | sha256sum",
    'find /etc/condor -type f -print0 | sort -z | xargs -0 sha256sum',
    'ls -la /etc/condor/config.d',
    'systemctl is-enabled libvirtd.service 2>&1 || true',
    'pgrep -x condor_startd',
    'ls /var/lib/vm-provision/backups 2>/dev/null || true',
  ].join('; '));
  return r.stdout;
}

export function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

export async function vmStatus(node: TestNode): Promise<string> {
  return (await node.ssh(['condor_status', '-vm', '-af', 'Name', 'VM_Type', 'VM_Memory'])).stdout.trim();
}

/** The newest DaemonStartTime of the node's startd ads in the collector (0: none yet). */
export async function startdStart(node: TestNode): Promise<number> {
  const r = await node.ssh(['condor_status', '-af', 'DaemonStartTime', '-constraint', `Machine == "${node.name}"`]);
  return Math.max(0, ...r.stdout.split('\n').map(Number).filter(Number.isFinite));
}

/** condor_off then condor_on the startd (unlike condor_restart, no growth of the master's restart backoff), and wait
 * for the new startd's ad (it is sent after the gahp test). */
export async function restartStartd(node: TestNode): Promise<void> {
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const before = await startdStart(node);
  await node.ssh(['condor_off', '-startd']);
  for (let i = 0; i < 120 && (await node.ssh(['pgrep', '-x', 'condor_startd'])).exitCode === 0; i++) await pause(1000);
  await node.ssh(['condor_on', '-startd']);
  for (const end = Date.now() + 300_000; (await startdStart(node)) <= before;) {
    if (Date.now() > end) throw new Error(`${node.name}: the restarted startd did not advertise within 300 s`);
    await pause(2000);
  }
}
