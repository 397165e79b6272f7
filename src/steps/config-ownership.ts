// Which config file vm-provision may replace (only one it wrote), and whether a rendered file changes what
// HTCondor reads (comments and the header do not).
import { createHash } from 'node:crypto';
import { VmpError } from '../errors/vmp-error.ts';
import type { JournalData } from '../engine/journal.ts';

/** The first words of the header every file vm-provision writes starts with (templates/vm-universe.config.tmpl). */
export const OUR_HEADER = '# Written by vm-provision ';

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The lines HTCondor acts on: no comments, no blank lines, no trailing blanks. Pure. */
export function settingsOf(text: string): string[] {
  return text.split('\n').map((l) => l.trimEnd()).filter((l) => l.trim() && !/^\s*#/.test(l));
}

export function sameSettings(a: string, b: string): boolean {
  const x = settingsOf(a);
  const y = settingsOf(b);
  return x.length === y.length && x.every((l, i) => l === y[i]);
}

/** Ours: it starts with our header, or the journal recorded writing exactly this content there. Pure. */
export function isOurConfig(text: string, path: string, journal: JournalData): boolean {
  if (text.startsWith(OUR_HEADER)) return true;
  const last = journal.lastConfig;
  return last?.path === path && last.sha256 === sha256(text);
}

/** Throws CONFIG when `path` holds a file vm-provision did not write (the admin's LOCAL_CONFIG_FILE, any other). */
export function refuseForeignConfig(path: string, text: string | undefined, journal: JournalData, localConfigFiles: string[]): void {
  if (text === undefined || isOurConfig(text, path, journal)) return;
  const what = localConfigFiles.includes(path)
    ? 'it is the node\'s LOCAL_CONFIG_FILE, the admin\'s own config (CONDOR_HOST, security settings, …)'
    : 'it is an existing file vm-provision did not write (no vm-provision header, not in its journal)';
  throw new VmpError('CONFIG', `refusing to replace ${path}: ${what}; vm-provision only creates its own file or replaces one it wrote`, {
    hint: 'use condor.configFile: auto (a drop-in of its own in the last LOCAL_CONFIG_DIR), or a path in a LOCAL_CONFIG_DIR that does not exist yet',
    context: { file: path },
  });
}
