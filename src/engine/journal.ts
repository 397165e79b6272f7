// State that must survive a failed or killed run: a restart owed to the startd, the last backup.
import type { Host } from '../host/host.ts';

export const STATE_DIR = '/var/lib/vm-provision';
export const JOURNAL_FILE = `${STATE_DIR}/journal.json`;
/** In /run: the lock must not need a write to /var/lib, so that --check leaves the node exactly as it was. */
export const LOCK_FILE = '/run/vm-provision.lock';

export interface JournalData {
  pendingRestart?: { reason: string; since: string };
  /** Packages vm-provision started installing and has not seen installed: a run killed mid-install left dpkg unfinished. */
  pendingInstall?: { packages: string[]; since: string };
  /** A condor_drain -restart-on-completion vm-provision started and has not seen through: the next run continues or cancels it. */
  pendingDrain?: { requestId: string; target: string; since: string; reason: string };
  /** vm-provision ran condor_off -startd and has not seen its condor_on succeed: the next run turns the startd on. */
  startdOff?: { since: string };
  /**
   * The config file vm-provision last wrote: its sha256 (so a later run knows the file is still ours and as written),
   * the backup of what it replaced (none: it created the file), and whether a restarted startd was verified with it.
   */
  lastConfig?: { path: string; backup?: string; writtenAt: string; sha256?: string; verified?: boolean };
  /** The last apply that failed (for doctor): its step, error code, message and hint; a run that succeeds clears it. */
  lastFailure?: { at: string; step?: string; code: string; message: string; hint?: string };
}

export class Journal {
  constructor(private readonly host: Host, public data: JournalData) {}

  static async load(host: Host): Promise<Journal> {
    const text = await host.readFile(JOURNAL_FILE);
    let data: JournalData = {};
    // A torn or hand-edited journal must not block a run: start fresh but keep any restart owed.
    try { if (text) data = JSON.parse(text) as JournalData; } catch { data = { pendingRestart: { reason: 'journal was unreadable', since: new Date().toISOString() } }; }
    return new Journal(host, data);
  }

  async update(patch: Partial<JournalData>, remove: Array<keyof JournalData> = []): Promise<void> {
    const next: JournalData = { ...this.data, ...patch };
    for (const k of remove) delete next[k];
    await this.host.mkdirp(STATE_DIR, 0o755);
    await this.host.writeFileAtomic(JOURNAL_FILE, JSON.stringify(next, null, 2) + '\n', { mode: 0o644 });
    this.data = next;
  }
}
