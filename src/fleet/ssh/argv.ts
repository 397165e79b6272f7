// The system OpenSSH client's argv for one host: connect phase, agent run, master exit. Pure.
import type { FleetHost } from '../resolve.ts';
import { controlPath } from './control-path.ts';
import { shellJoin } from './quote.ts';

export interface SshSettings {
  hostKeys: 'strict' | 'accept-new';
  connectTimeout: number;
  controlDir: string;
  /** Seconds an idle master stays after a run (ControlPersist); 0: the fleet closes it after each batch. */
  persist?: number;
  /** UserKnownHostsFile: the known_hosts file host keys are checked against (default: ssh's own). */
  knownHostsFile?: string;
}

/** Options for every ssh call to `host`; the user's ~/.ssh/config still applies to everything we do not set. */
export function sshOptions(host: FleetHost, s: SshSettings): string[] {
  const o = (kv: string) => ['-o', kv];
  return [
    ...o('BatchMode=yes'),
    ...o(`ConnectTimeout=${s.connectTimeout}`),
    ...o(`StrictHostKeyChecking=${s.hostKeys === 'strict' ? 'yes' : 'accept-new'}`),
    ...(s.knownHostsFile !== undefined ? o(`UserKnownHostsFile=${s.knownHostsFile}`) : []),
    ...o('ControlMaster=auto'),
    // persist 0: the master is closed with `-O exit` after its batch; 120 s only covers a controller killed before.
    ...o(`ControlPersist=${s.persist || 120}`),
    ...o(`ControlPath=${controlPath(s.controlDir)}`),
    ...o('ServerAliveInterval=15'),
    ...o('ServerAliveCountMax=3'),
    ...(host.user !== undefined ? ['-l', host.user] : []),
    ...(host.port !== undefined ? ['-p', String(host.port)] : []),
    ...(host.identityFile !== undefined ? ['-i', host.identityFile, ...o('IdentitiesOnly=yes')] : []),
  ];
}

/** The connect phase: opens the shared master and runs `true`; its stderr says why a host is unreachable. */
export function connectArgv(host: FleetHost, s: SshSettings): string[] {
  return ['ssh', ...sshOptions(host, s), '-T', '--', host.address, 'true'];
}

/** Whether the remote command needs `sudo -n`: become is set and the login user is not root. */
export function needsSudo(host: FleetHost): boolean {
  return host.become && host.user !== 'root';
}

/**
 * A command on the node, through the master: `timeout` enforces the deadline there (killing the local ssh
 * does not stop a remote command), `sudo -n` never prompts.
 */
export function remoteArgv(host: FleetHost, s: SshSettings, argv: readonly string[], opts: { timeoutSeconds?: number } = {}): string[] {
  const withTimeout = opts.timeoutSeconds !== undefined ? ['timeout', '-k', '30', String(opts.timeoutSeconds), ...argv] : [...argv];
  const command = needsSudo(host) ? ['sudo', '-n', '--', ...withTimeout] : withTimeout;
  return ['ssh', ...sshOptions(host, s), '-T', '--', host.address, shellJoin(command)];
}

/** The agent run: `node <bundle> apply|plan <profile> --json [--diff]` on the node (`plan` is apply --check --diff). */
export function agentArgv(bundlePath: string, profilePath: string, check: boolean, diff = false): string[] {
  return ['node', bundlePath, check ? 'plan' : 'apply', profilePath, '--json', ...(diff && !check ? ['--diff'] : [])];
}

/** Closes the master after the host is done. */
export function exitMasterArgv(host: FleetHost, s: SshSettings): string[] {
  return ['ssh', ...sshOptions(host, s), '-O', 'exit', '--', host.address];
}
