// Why the connect phase (`ssh … host true`) failed, read from OpenSSH's stderr; exit 255 alone says nothing.
import type { UnreachableKind } from '../events.ts';

export interface ConnectFailure {
  kind: UnreachableKind;
  /** The line of ssh's stderr that decided. */
  cause: string;
  hint: string;
  /** Worth a retry with backoff (a transient network or sshd MaxStartups condition). */
  retryable: boolean;
  /** The controller's own setup is at fault (every host would fail): stop the rollout, exit 78. */
  controller?: boolean;
}

interface Rule { kind: UnreachableKind; re: RegExp; hint: (host: string) => string; retryable: boolean; controller?: boolean }

// Order matters: a changed key also prints "Host key verification failed".
const RULES: Rule[] = [
  { kind: 'other', re: /too long for Unix domain socket/, retryable: false, controller: true,
    hint: () => 'the ControlPath is too long for a Unix socket: set XDG_RUNTIME_DIR to a short private directory' },
  { kind: 'hostkey-changed', re: /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for \S+ has changed/, retryable: false,
    hint: (h) => `the host key of ${h} differs from known_hosts: if the node was reinstalled, check the new key out of band, then \`ssh-keygen -R ${h}\`` },
  { kind: 'hostkey-unknown', re: /No \S+ host key is known for|Host key verification failed/, retryable: false,
    hint: (h) => `${h}'s host key is not in known_hosts: add it (ssh-keyscan, checked out of band), or set ssh.hostKeys: accept-new in the fleet file` },
  { kind: 'dns', re: /Could not resolve hostname|Name or service not known|nodename nor servname|Temporary failure in name resolution|No address associated with hostname/, retryable: false,
    hint: (h) => `${h} does not resolve: check the name, or set ansible_host to its address` },
  { kind: 'refused', re: /Connection refused/, retryable: true,
    hint: (h) => `nothing listens on ${h}'s SSH port: is sshd running, is the port (ansible_port, ssh.port) right?` },
  { kind: 'timeout', re: /timed out|Operation timed out/, retryable: true,
    hint: (h) => `${h} did not answer within ssh.connectTimeout: is it up, is a firewall dropping the port?` },
  { kind: 'auth', re: /Permission denied \(|Too many authentication failures|Authentication failed|no matching host key type|Unable to negotiate/, retryable: false,
    hint: (h) => `${h} refused the login: check the user (ansible_user, ssh.user) and key (ansible_ssh_private_key_file, ssh.identityFile; BatchMode never asks for a password)` },
  // A master kept from an earlier run (ssh.persist) that died or lost its connection: dropped, then connected afresh.
  { kind: 'other', re: /mux_client_\w+: (?:read from master failed|write packet|read header failed)/, retryable: true,
    hint: (h) => `the SSH connection kept for ${h} from an earlier run failed: it was closed and ${h} connected to afresh` },
  { kind: 'other', re: /No route to host|Network is unreachable/, retryable: true,
    hint: (h) => `no route to ${h} from this machine` },
  { kind: 'other', re: /kex_exchange_identification|Connection reset by|Connection closed by/, retryable: true,
    hint: (h) => `${h} closed the connection before the SSH handshake (sshd MaxStartups, TCP wrappers or a firewall)` },
];

const IGNORED = /^(Warning: Permanently added|@@@@|\s*$)/;

/** undefined: the host was reached (exit 0, or the remote command's own status). */
export function classifyConnectFailure(host: string, exitCode: number, stderr: string): ConnectFailure | undefined {
  if (exitCode !== 255) return undefined;
  const lines = stderr.split(/\r?\n/).filter((l) => !IGNORED.test(l));
  for (const rule of RULES) {
    const line = lines.find((l) => rule.re.test(l));
    if (line) return { kind: rule.kind, cause: line.trim(), hint: rule.hint(host), retryable: rule.retryable, ...(rule.controller ? { controller: true } : {}) };
  }
  const last = lines.at(-1)?.trim();
  return {
    kind: 'other', cause: last || 'ssh exited 255 without saying why', retryable: false,
    hint: `run \`ssh -v ${host} true\` by hand to see why the connection fails`,
  };
}
