// The master backs off a daemon that restarts often (MasterLog: "restarting …/condor_startd in N seconds"); while
// it waits, a condor_restart of the startd fails although the startd is about to start with the current config.
import { logLineTime } from './gahp-reasons.ts';

export interface Backoff { seconds: number; line: string; at: number; until: number }

/**
 * The master's restart backoff for the startd from MasterLog: the last "restarting …/condor_startd in N seconds"
 * not followed by the master starting it again. undefined: no delay pending (or the log says nothing).
 */
export function pendingStartdBackoff(masterLog: string | undefined): Backoff | undefined {
  if (!masterLog) return undefined;
  const lines = masterLog.split('\n').slice(-3000);
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i]!;
    if (/Started DaemonCore process "?\S*condor_startd/.test(l)) return undefined;
    const m = /restarting \S*condor_startd in (\d+) seconds?/.exec(l);
    if (m) {
      const at = logLineTime(l);
      if (at === undefined) return undefined;
      return { seconds: Number(m[1]), line: l.trim(), at, until: at + Number(m[1]) };
    }
  }
  return undefined;
}
