// condor_drain on this node's startd: start a drain (its request id from -verbose, else from the slot ads), cancel one.
import { VmpError, commandContext } from '../errors/vmp-error.ts';
import type { Host } from '../host/host.ts';
import { cancelDrainArgv, parseDrainRequestId } from './restart-modes.ts';

/** Runs the drain argv (restartArgv of mode drain) against `target`; returns the request id. */
export async function startDrain(host: Host, argv: string[], target: string): Promise<string> {
  const r = await host.exec(argv[0]!, argv.slice(1), { timeoutMs: 60_000 });
  if (r.exitCode !== 0) {
    throw new VmpError('RESTART', `condor_drain failed (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim().split('\n').at(-1) ?? ''}`, {
      hint: 'is the startd already draining (condor_status -af Name Draining DrainReason)? the restart stays pending and the next run retries it',
      context: commandContext(r),
    });
  }
  const id = parseDrainRequestId(`${r.stdout}\n${r.stderr}`) ?? (await requestIdFromAds(host, target));
  if (!id) {
    throw new VmpError('RESTART', `condor_drain accepted the drain of ${target} but printed no request id, and the slot ads show none`, {
      hint: `find it with condor_status -af Name DrainingRequestId; cancel with condor_drain -cancel -request-id <id> '${target}'`,
      context: commandContext(r),
    });
  }
  return id;
}

async function requestIdFromAds(host: Host, target: string): Promise<string | undefined> {
  const r = await host.exec('condor_status', ['-af', 'DrainingRequestId', '-constraint', `MyAddress == "${target.replace(/["\\]/g, '')}" && Draining =?= true`], { timeoutMs: 30_000 });
  return r.exitCode === 0 ? r.stdout.split('\n').map((l) => l.trim().replace(/^"|"$/g, '')).find((l) => l && l !== 'undefined') : undefined;
}

/** Calls a drain off: the node accepts jobs again. Throws with condor_drain's answer when it refuses. */
export async function cancelDrain(host: Host, requestId: string, target: string): Promise<void> {
  const argv = cancelDrainArgv(requestId, target);
  const r = await host.exec(argv[0]!, argv.slice(1), { timeoutMs: 60_000 });
  if (r.exitCode !== 0) {
    throw new VmpError('RESTART', `could not cancel the drain (request id ${requestId}): ${(r.stderr || r.stdout).trim().split('\n').at(-1) ?? ''}`, {
      hint: `cancel it by hand: condor_drain -cancel -request-id ${requestId} '${target}'`,
      context: commandContext(r),
    });
  }
}
