// Checks of the node under HTCondor: a vm-provision run in progress, the directories apply writes (read-only, full),
// the clock against the collector's, and the last apply that failed (vm-provision's journal).
import { JOURNAL_FILE, LOCK_FILE } from '../engine/journal.ts';
import { CLOCK_HINT, clockSkew, describeSkew } from '../condor/clock.ts';
import type { Evidence } from './evidence.ts';
import { ok, problem, type Finding } from './finding.ts';
import { mountOf, parseMountinfo, readOnly } from './node-parse.ts';

/** Less free space than this (KiB) where apply writes is "full": a config, a backup and the journal need a few KiB each. */
export const FULL_KIB = 1024;

export function checkApplyRunning(e: Evidence): Finding | undefined {
  const l = e.node?.lock;
  if (!l?.alive) return undefined;
  return problem('apply-running', `a vm-provision run is in progress: PID ${l.pid}${l.since ? ` (since ${l.since})` : ''}${l.argv ? `: vm-provision ${l.argv}` : ''} — it may be rewriting the config or restarting the startd right now`,
    `wait for PID ${l.pid} to finish (it holds ${LOCK_FILE}), then run vm-provision doctor again`, [`${LOCK_FILE}: ${l.raw}`]);
}

/** The directories apply writes: on a read-only mount, or (nearly) full. */
export function checkWritable(e: Evidence): Finding[] {
  const n = e.node;
  if (!n) return [];
  const mounts = n.mountinfo ? parseMountinfo(n.mountinfo) : [];
  const out: Finding[] = [];
  for (const d of n.dirs) {
    const m = mountOf(mounts, d.path);
    if (m && readOnly(m)) {
      out.push(problem('read-only', `${d.path} is on a read-only mount (${m.mountPoint}, ${m.fstype}): vm-provision apply cannot write ${d.what} there`,
        `make ${m.mountPoint} writable (mount -o remount,rw ${m.mountPoint}, or undo the read-only bind mount: umount ${m.mountPoint}), then run vm-provision apply again`,
        [`/proc/self/mountinfo: ${m.line}`]));
    } else if (d.df && d.df.availKiB < FULL_KIB) {
      out.push(problem('disk-full', `${d.path} is full: ${d.df.availKiB} KiB free of ${d.df.sizeKiB} KiB (${d.df.fstype} on ${d.df.target}): vm-provision apply cannot write ${d.what} there`,
        `free space on ${d.df.target} (df -h ${d.path}; du -xsh ${d.df.target}/*), then run vm-provision apply again`,
        [`df -k ${d.path}: ${d.df.availKiB} KiB available of ${d.df.sizeKiB} KiB, ${d.df.fstype} mounted on ${d.df.target}`]));
    }
  }
  if (out.length || !n.dirs.length) return out;
  const free = (k?: number) => (k === undefined ? 'free space unknown' : `${(k / 1024).toFixed(0)} MiB free`);
  return [ok('writable', n.dirs.map((d) => `${d.path} writable, ${free(d.df?.availKiB)}`).join('; '))];
}

export function checkClock(e: Evidence): Finding | undefined {
  const heard = e.node?.lastHeardFrom ?? [];
  if (!heard.length) return undefined;
  const s = clockSkew(e.now, heard);
  if (!s) return ok('clock', 'the node\'s clock agrees with the collector\'s (LastHeardFrom of its ads)');
  return problem('clock', `${describeSkew(s)}: HTCondor compares clocks across the pool (security sessions, tokens, ad lifetimes), and vm-provision tells a restarted startd by its DaemonStartTime`,
    CLOCK_HINT, [`date: ${new Date(e.now * 1000).toISOString()}`, `condor_status -af LastHeardFrom: ${Math.max(...heard)} (${new Date(Math.max(...heard) * 1000).toISOString()})`]);
}

export function checkLastApply(e: Evidence): Finding | undefined {
  const f = e.journal.data?.lastFailure;
  if (!f) return undefined;
  return problem('last-apply', `the last vm-provision apply failed (${f.at}${f.step ? `, step ${f.step}` : ''}): ${f.message}`,
    `${f.hint ? `${f.hint.replace(/[,;]?\s*(then )?run vm-provision( apply)?( PROFILE)? again[.\s]*$/, '').replace(/[.;,\s]+$/, '')}; ` : ''}then run vm-provision apply PROFILE again (a run that succeeds clears this)`,
    [`${JOURNAL_FILE}: lastFailure ${f.code} at ${f.at}`]);
}
