// What a run killed mid-write leaves: a temp file of writeFileAtomic beside its target (never renamed), and the
// staged config (removed once the real file is checked). Only removed under the run lock, by a run that may write.
import { dirname } from 'node:path';
import type { Host } from '../host/host.ts';
import { BACKUP_DIR } from '../condor/render.ts';
import { STATE_DIR } from './journal.ts';

export const STAGED_DIR = `${STATE_DIR}/staged`;
/** LocalHost.writeFileAtomic's temp name: `.<name>.vmp-tmp-<16 hex>`. */
const TEMP = /^\..+\.vmp-tmp-[0-9a-f]{16}$/;

/** Removes our temp files in the directories we write to, and the staged files; returns what it removed. */
export async function sweepLeftovers(host: Host, configDirs: string[]): Promise<string[]> {
  const removed: string[] = [];
  const dirs = [...new Set([STATE_DIR, BACKUP_DIR, ...configDirs.map((d) => d.replace(/\/+$/, ''))])];
  for (const dir of dirs) {
    for (const name of (await host.listDir(dir)) ?? []) {
      if (TEMP.test(name)) { await host.remove(`${dir}/${name}`); removed.push(`${dir}/${name}`); }
    }
  }
  for (const name of (await host.listDir(STAGED_DIR)) ?? []) {
    await host.remove(`${STAGED_DIR}/${name}`);
    removed.push(`${STAGED_DIR}/${name}`);
  }
  return removed;
}

/** The directories a profile's config file may be written to. */
export function configDirs(localConfigDirs: string[], configFile: string): string[] {
  return configFile === 'auto' ? localConfigDirs : [...localConfigDirs, dirname(configFile)];
}
