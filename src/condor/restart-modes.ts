// The restart modes: which HTCondor has them, their argv, and condor_drain's request ids. Pure.
// Versions from HTCondor's source (docs: README "Restart modes"): -peaceful since 6.7.1 (every VM-universe
// version); condor_drain's -reason and -restart-on-completion since tag V8_9_12 (pulled; released in 8.9.13, 9.0.0),
// and the tool refuses them against older startds; -verbose (prints the request id) since 8.5.8.
import { VmpError } from '../errors/vmp-error.ts';
import type { RestartSpec } from '../profile/schema.ts';
import { atLeast, type CondorVersion } from './version.ts';

export const DRAIN_RESTART_SINCE = '8.9.12';

/**
 * The graceful restart goes through the master: condor_off -startd (it stops the startd gracefully and holds it),
 * then condor_on -startd. condor_restart -startd signals the startd itself, so the master counts its exit as a
 * failure and starts it again only after its backoff (MASTER_BACKOFF_CONSTANT 9 s + 2^n, growing with each restart
 * within MASTER_RECOVER_FACTOR); after condor_off the exit is expected and the master starts it within a second.
 */
export const GRACEFUL_OFF = ['condor_off', '-startd'];
export const GRACEFUL_ON = ['condor_on', '-startd'];
/**
 * From 9.12.0 (masterDaemon.cpp, daemon::Restart(by_command)) a master told condor_on while the startd it stopped is
 * still exiting starts it 1 s after the exit; earlier masters then apply the backoff, so condor_on waits for the exit.
 */
export const ON_DURING_EXIT_SINCE = '9.12.0';

/** Drains vm-provision started carry this at the start of their DrainReason (condor_defrag's own say "defrag"). */
export const DRAIN_TAG = 'vm-provision';

export function isOurDrain(reason: string | undefined): boolean {
  return !!reason?.startsWith(DRAIN_TAG);
}

/** Refuses, before any change, a mode this HTCondor lacks. */
export function checkRestartMode(spec: RestartSpec, version: CondorVersion): void {
  if (spec.mode === 'drain' && !atLeast(version, DRAIN_RESTART_SINCE)) {
    throw new VmpError('PREFLIGHT', `condor.restart mode drain needs condor_drain -restart-on-completion (HTCondor 8.9.13 / 9.0 and later); this node runs HTCondor ${version.text}, whose startd refuses it`, {
      hint: 'use condor.restart: {mode: peaceful} (condor_restart -peaceful -startd: no new jobs start, the startd restarts when the running ones end)',
    });
  }
}

/** The (first) command that restarts the startd in this mode; `target` (the startd's MyAddress) is needed to drain. */
export function restartArgv(spec: RestartSpec, target?: string): string[] {
  switch (spec.mode) {
    case 'graceful': return [...GRACEFUL_OFF];
    case 'peaceful': return ['condor_restart', '-peaceful', '-startd'];
    case 'drain':
      if (!target) throw new Error('restartArgv: drain needs the startd address');
      return ['condor_drain', '-verbose', `-${spec.drain.how}`, '-reason', spec.drain.reason, '-restart-on-completion', target];
    default: throw new Error(`restartArgv: mode ${spec.mode} runs no command`);
  }
}

/** The restart as the plan and the summary print it. */
export function restartLine(spec: RestartSpec, target?: string): string {
  const word = (a: string) => (/^[\w@%+=:,./<>?&-]+$/.test(a) ? a : JSON.stringify(a));
  if (spec.mode === 'graceful') return `${GRACEFUL_OFF.join(' ')} && ${GRACEFUL_ON.join(' ')}`;
  return restartArgv(spec, target).map(word).join(' ');
}

export function cancelDrainArgv(requestId: string, target: string): string[] {
  return ['condor_drain', '-cancel', '-request-id', requestId, target];
}

/** `condor_drain -verbose` prints "\tRequest id: 1" after "Sent request to drain …". */
export function parseDrainRequestId(stdout: string): string | undefined {
  return /Request id:\s*(\S+)/i.exec(stdout)?.[1];
}

/** How the summary names what the mode does. */
export function modeTitle(spec: RestartSpec): string {
  switch (spec.mode) {
    case 'graceful': return 'restart the startd gracefully (condor_off -startd, then condor_on -startd)';
    case 'peaceful': return 'restart the startd peacefully (condor_restart -peaceful -startd)';
    case 'drain': return `drain the startd, then restart it (condor_drain -${spec.drain.how} -restart-on-completion)`;
    default: return 'leave the restart to the admin (condor.restart: none)';
  }
}
