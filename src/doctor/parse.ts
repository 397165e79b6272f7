// Doctor's parsers: command output and log text in, values out.
import { logLineTime } from '../condor/gahp-reasons.ts';
import type { AdvertisedSlot, OpenResult } from './evidence.ts';

/** Slot attributes doctor asks the collector for; VMOfflineReason is free text: last, so a tab in it shifts nothing. */
export const DOCTOR_SLOT_ATTRS = ['Name', 'HasVM', 'VM_Type', 'VM_Memory', 'DaemonStartTime', 'OfflineUniverses', 'VMOfflineReason'];

/** `condor_status -af:t <DOCTOR_SLOT_ATTRS>`: one tab-separated line per slot; `undefined` for an absent attribute. */
export function parseDoctorSlots(stdout: string): AdvertisedSlot[] {
  const str = (s?: string) => (s !== undefined && s !== 'undefined' && s !== '' ? s : undefined);
  const num = (s?: string) => (s && /^-?\d+$/.test(s) ? Number(s) : undefined);
  return stdout.split('\n').filter((l) => l.trim()).map((l) => {
    const [name, hasVm, vmType, vmMemory, start, offline, ...reason] = l.split('\t');
    const slot: AdvertisedSlot = { name: name ?? '' };
    if (hasVm === 'true' || hasVm === 'false') slot.hasVm = hasVm === 'true';
    const t = str(vmType); if (t) slot.vmType = t;
    const m = num(vmMemory); if (m !== undefined) slot.vmMemory = m;
    const d = num(start); if (d !== undefined) slot.daemonStartTime = d;
    const o = str(offline); if (o) slot.offlineUniverses = o;
    const r = str(reason.join('\t')); if (r) slot.vmOfflineReason = r;
    return slot;
  });
}

/** `stat -c '%Y %n' FILES`: mtime (seconds) per path. */
export function parseMtimes(stdout: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of stdout.split('\n')) {
    const m = /^(\d+) (.+)$/.exec(l);
    if (m) out.set(m[2]!, Number(m[1]));
  }
  return out;
}

const ERRNO: Record<string, string> = {
  'No such device or address': 'ENXIO', 'No such device': 'ENODEV', 'Permission denied': 'EACCES',
  'Operation not permitted': 'EPERM', 'No such file or directory': 'ENOENT', 'Read-only file system': 'EROFS',
  'Device or resource busy': 'EBUSY',
};

/** dd's exit and stderr ("dd: failed to open '/dev/kvm': No such device") → what open(2) said. */
export function parseOpenResult(r: { exitCode: number; stderr: string }): OpenResult {
  if (r.exitCode === 0) return { ok: true };
  const m = /failed to open '[^']*': (.+)$/m.exec(r.stderr);
  const error = (m?.[1] ?? r.stderr.trim().split('\n').pop() ?? `exit ${r.exitCode}`).trim();
  return { ok: false, error, ...(ERRNO[error] ? { errno: ERRNO[error] } : {}) };
}

export { pendingStartdBackoff, type Backoff } from '../condor/master-backoff.ts';

/** The last gahp test the startd ran, from StartLog: when it began, and its outcome line if logged. */
export interface GahpTest { at: number; startLine: string; passed?: boolean; resultLine?: string }

export function lastGahpTest(startLog: string | undefined): GahpTest | undefined {
  if (!startLog) return undefined;
  const lines = startLog.split('\n').slice(-3000);
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!/VM universe will be tested to check if it is available/.test(lines[i]!)) continue;
    const at = logLineTime(lines[i]!);
    if (at === undefined) return undefined;
    const test: GahpTest = { at, startLine: lines[i]!.trim() };
    for (const l of lines.slice(i + 1)) {
      if (/VMType\('\w+'\) is supported/.test(l)) { test.passed = true; test.resultLine = l.trim(); }
      else if (/Test of vmgahp for VM_TYPE\('\w+'\) failed|must be (defined in condor config file|executable)|Failed to (execute|get output from)|did not produce any valid output|no longer supported/.test(l)) {
        test.passed = false; test.resultLine ??= l.trim();
      }
    }
    return test;
  }
  return undefined;
}

/**
 * The lines of a log written at or after `since`. A line without a timestamp belongs to the line before it (the gahp
 * logs `\nERROR: …`: the time on one line, the message on the next), so an old message never looks recent.
 */
export function linesSince(text: string | undefined, since: number): string | undefined {
  if (text === undefined) return undefined;
  let t: number | undefined;
  return text.split('\n').filter((l) => { t = logLineTime(l) ?? t; return t !== undefined && t >= since; }).join('\n');
}
