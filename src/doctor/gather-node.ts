// Doctor's evidence about the node itself, read-only: the mounts and free space where apply writes, a run in
// progress (the run lock's holder), DAEMON_LIST (is the collector ours?), and the collector's clock (LastHeardFrom).
import { dirname } from 'node:path';
import type { Host } from '../host/host.ts';
import type { Facts } from '../facts/gather.ts';
import { JOURNAL_FILE, LOCK_FILE, STATE_DIR, type JournalData } from '../engine/journal.ts';
import { daemonList } from '../condor/daemons.ts';
import { lastHeardFrom } from '../condor/clock.ts';
import { parseDf, type DfRow } from './node-parse.ts';

export interface WriteDir { path: string; what: string; df?: DfRow }

export interface NodeEvidence {
  /** /proc/self/mountinfo, to tell a read-only mount. */
  mountinfo?: string;
  /** The directories apply writes, with df's view of each. */
  dirs: WriteDir[];
  /** The run lock's holder as it wrote itself into the lock file, and whether that process still runs vm-provision. */
  lock?: { pid: number; since?: string; argv?: string; alive: boolean; raw: string };
  daemonList?: string[];
  lastHeardFrom: number[];
}

async function existing(host: Host, path: string): Promise<string> {
  for (let p = path; ; p = dirname(p)) {
    if (p === '/' || (await host.fileInfo(p).catch(() => undefined))) return p;
  }
}

async function df(host: Host, path: string): Promise<DfRow | undefined> {
  const r = await host.exec('df', ['-k', '--output=size,avail,fstype,target', '--', path], { timeoutMs: 15_000 });
  return r.exitCode === 0 ? parseDf(r.stdout)[0] : undefined;
}

async function readLock(host: Host): Promise<NodeEvidence['lock']> {
  const raw = await host.readFile(LOCK_FILE).catch(() => undefined);
  if (!raw?.trim()) return undefined;
  let h: { pid?: unknown; since?: unknown; argv?: unknown };
  try { h = JSON.parse(raw) as typeof h; } catch { return undefined; }
  if (typeof h.pid !== 'number' || !Number.isInteger(h.pid) || h.pid <= 0) return undefined;
  // The kernel frees the flock when its holder dies, but the file stays: alive only while that PID runs vm-provision.
  const cmdline = await host.readFile(`/proc/${h.pid}/cmdline`).catch(() => undefined);
  return {
    pid: h.pid, raw: raw.trim(), alive: cmdline !== undefined && /vm-provision/.test(cmdline),
    ...(typeof h.since === 'string' ? { since: h.since } : {}), ...(typeof h.argv === 'string' ? { argv: h.argv } : {}),
  };
}

export async function gatherNodeEvidence(host: Host, facts: Facts, journal: JournalData | undefined): Promise<NodeEvidence> {
  const configDir = journal?.lastConfig?.path ? dirname(journal.lastConfig.path) : facts.condor.localConfigDirs.at(-1)?.replace(/\/+$/, '');
  const wanted: Array<{ path: string; what: string }> = [
    ...(configDir ? [{ path: configDir, what: 'the HTCondor config' }] : []),
    { path: STATE_DIR, what: `its journal (${JOURNAL_FILE})` },
  ];
  const installed = facts.condor.installed;
  const [mountinfo, dirs, lock, list, heard] = await Promise.all([
    host.readFile('/proc/self/mountinfo').catch(() => undefined),
    Promise.all(wanted.map(async (w) => {
      const path = await existing(host, w.path);
      const row = await df(host, path);
      return { path, what: w.what, ...(row ? { df: row } : {}) };
    })),
    readLock(host),
    installed ? host.exec('condor_config_val', ['DAEMON_LIST'], { timeoutMs: 30_000 }) : Promise.resolve(undefined),
    installed ? lastHeardFrom(host, facts.condor.fullHostname ?? host.name) : Promise.resolve([]),
  ]);
  return {
    ...(mountinfo ? { mountinfo } : {}), dirs, ...(lock ? { lock } : {}),
    ...(list && list.exitCode === 0 ? { daemonList: daemonList(list.stdout) } : {}), lastHeardFrom: heard,
  };
}
