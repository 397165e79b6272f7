// SSH to test nodes with a key and known_hosts file private to one test run.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { run, runSync, type RunResult } from './exec.ts';
import { STATE_DIR } from './config.ts';

export interface SshIdentity { dir: string; key: string; knownHosts: string }

export async function ensureIdentity(runId: string): Promise<SshIdentity> {
  const dir = join(STATE_DIR, 'runs', runId);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const key = join(dir, 'id_ed25519');
  if (!existsSync(key)) await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `vm-provision-testbed-${runId}`, '-f', key]);
  return { dir, key, knownHosts: join(dir, 'known_hosts') };
}

export function sshOptions(id: SshIdentity): string[] {
  return [
    '-i', id.key, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=accept-new',
    '-o', `UserKnownHostsFile=${id.knownHosts}`, '-o', 'ConnectTimeout=3', '-o', 'LogLevel=ERROR',
  ];
}

/** Quote argv for the remote shell (ssh always hands the remote side one command line). */
export function shellQuote(args: string[]): string {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export function sshCommandLine(id: SshIdentity, address: string): string {
  return shellQuote(['ssh', '-i', id.key, '-o', `UserKnownHostsFile=${id.knownHosts}`, '-o', 'StrictHostKeyChecking=accept-new', `root@${address}`]);
}

export async function sshRun(id: SshIdentity, address: string, argv: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return run('ssh', [...sshOptions(id), `root@${address}`, '--', shellQuote(argv)], {
    allowFail: true, input: opts.input, timeout: opts.timeoutMs ?? 300_000,
  });
}

export async function scpIn(id: SshIdentity, address: string, local: string, remote: string): Promise<void> {
  await run('scp', ['-q', ...sshOptions(id), local, `root@${address}:${remote}`]);
}

export function closeMaster(id: SshIdentity, address: string): void {
  runSync('ssh', [...sshOptions(id), '-O', 'exit', `root@${address}`]);
}
