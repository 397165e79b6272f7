// One fleet run per fleet at a time: an exclusive lock file naming its PID (a dead holder's lock is taken over).
import { mkdirSync, openSync, closeSync, writeSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { FleetError } from './errors.ts';
import { FLEET_EXIT } from './exit-codes.ts';

const alive = (pid: number): boolean => {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
};

export function acquireFleetLock(dir: string, fleetName: string): () => Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, 'run.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return async () => { try { unlinkSync(path); } catch { /* gone already */ } };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
        throw new FleetError(FLEET_EXIT.LOCKED, 'LOCKED', `another fleet run on ${fleetName} is in progress (PID ${pid})`, {
          hint: `wait for it to finish; if PID ${pid} is not vm-provision, remove ${path}`, context: { pid, file: path },
        });
      }
      unlinkSync(path); // the holder died: its lock is stale
    }
  }
  throw new FleetError(FLEET_EXIT.LOCKED, 'LOCKED', `cannot take the fleet lock ${path}`);
}
