import { describe, expect, it } from 'vitest';
import { agentArgv, connectArgv, exitMasterArgv, remoteArgv } from '../../../src/fleet/ssh/argv.ts';
import { checkControlDir, defaultControlDir, maxControlDirLength } from '../../../src/fleet/ssh/control-path.ts';
import { classifyConnectFailure } from '../../../src/fleet/ssh/classify.ts';
import { shellJoin, shellQuote } from '../../../src/fleet/ssh/quote.ts';
import { host, readFixture } from './helpers.ts';

const settings = { hostKeys: 'strict' as const, connectTimeout: 10, controlDir: '/run/user/1000/vmp' };

describe('ssh argv', () => {
  it('connect phase: BatchMode, host keys, timeout, a shared master with %C, user/port/key from the inventory', () => {
    const h = host('wn01', { address: '10.0.0.1', user: 'admin', port: 2222, identityFile: '/k/id' });
    expect(connectArgv(h, settings)).toEqual([
      'ssh', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '-o', 'StrictHostKeyChecking=yes',
      '-o', 'ControlMaster=auto', '-o', 'ControlPersist=120', '-o', 'ControlPath=/run/user/1000/vmp/%C',
      '-o', 'ServerAliveInterval=15', '-o', 'ServerAliveCountMax=3',
      '-l', 'admin', '-p', '2222', '-i', '/k/id', '-o', 'IdentitiesOnly=yes', '-T', '--', '10.0.0.1', 'true',
    ]);
    expect(connectArgv(host('wn02'), { ...settings, hostKeys: 'accept-new' })).toContain('StrictHostKeyChecking=accept-new');
    expect(connectArgv(host('wn02'), settings)).not.toContain('-l');
  });

  it('runs the agent under timeout on the node, with sudo -n only when become and not root', () => {
    const argv = agentArgv('/var/lib/vm-provision/bin/vm-provision-4c1e.mjs', '/var/lib/vm-provision/profiles/kvm node.yaml', false);
    const asAdmin = remoteArgv(host('wn01', { user: 'admin', become: true }), settings, argv, { timeoutSeconds: 1800 });
    expect(asAdmin.slice(-3)).toEqual(['--', 'wn01', "sudo -n -- timeout -k 30 1800 node /var/lib/vm-provision/bin/vm-provision-4c1e.mjs apply '/var/lib/vm-provision/profiles/kvm node.yaml' --json"]);
    expect(remoteArgv(host('wn01', { user: 'root', become: true }), settings, ['true']).at(-1)).toBe('true');
    expect(remoteArgv(host('wn01', { become: false }), settings, agentArgv('/b.mjs', '/p.yaml', true)).at(-1)).toBe('node /b.mjs plan /p.yaml --json');
    expect(exitMasterArgv(host('wn01'), settings).slice(-4)).toEqual(['-O', 'exit', '--', 'wn01']);
  });

  it('quotes words for the remote shell', () => {
    expect(shellQuote('plain-word_1.2/x')).toBe('plain-word_1.2/x');
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('$(rm -rf /)')).toBe("'$(rm -rf /)'");
    expect(shellQuote('')).toBe("''");
    expect(shellJoin(['echo', 'a b', 'c;d'])).toBe("echo 'a b' 'c;d'");
  });
});

describe('ControlPath length', () => {
  it('leaves 49 bytes for the directory on Linux, 45 on macOS (measured: 49 works, 50 fails with OpenSSH 9.2)', () => {
    expect(maxControlDirLength('linux')).toBe(49);
    expect(maxControlDirLength('darwin')).toBe(45);
    expect(() => checkControlDir('/tmp/' + 'y'.repeat(44), 'linux')).not.toThrow();
    expect(() => checkControlDir('/tmp/' + 'y'.repeat(45), 'linux')).toThrow(/50 bytes long; at most 49/);
    try { checkControlDir('/very/long/home/'.repeat(5), 'linux'); } catch (e) { expect((e as { exitCode: number }).exitCode).toBe(78); }
  });

  it('prefers $XDG_RUNTIME_DIR/vmp, else /tmp/vmp-<uid>', () => {
    expect(defaultControlDir({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000)).toBe('/run/user/1000/vmp');
    expect(defaultControlDir({}, 1000)).toBe('/tmp/vmp-1000');
  });
});

describe('connect failures, from real OpenSSH 9.2 stderr (fixtures/ssh-stderr, captured on 127.0.0.1 only)', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['refused.txt', 'refused', /^ssh: connect to host 127\.0\.0\.1 port 1: Connection refused$/],
    ['dns.txt', 'dns', /Could not resolve hostname nosuchhost\.invalid/],
    ['banner-timeout.txt', 'timeout', /Connection timed out during banner exchange/],
    ['auth.txt', 'auth', /Permission denied \(publickey\)/],
    ['accept-new.txt', 'auth', /Permission denied/], // a new key recorded (a warning), then the login refused
    ['unknown.txt', 'hostkey-unknown', /No ED25519 host key is known/],
    ['changed.txt', 'hostkey-changed', /REMOTE HOST IDENTIFICATION HAS CHANGED/],
    ['changed-accept-new.txt', 'hostkey-changed', /REMOTE HOST IDENTIFICATION HAS CHANGED/],
    ['kex-closed.txt', 'other', /kex_exchange_identification/],
  ];
  for (const [file, kind, cause] of cases) {
    it(`${file} → ${kind}`, () => {
      const r = classifyConnectFailure('wn01', 255, readFixture(`ssh-stderr/${file}`));
      expect(r?.kind).toBe(kind);
      expect(r?.cause).toMatch(cause);
      expect(r?.hint).toBeTruthy();
    });
  }

  it('a too-long ControlPath is the controller\'s problem, not an unreachable host', () => {
    expect(classifyConnectFailure('wn01', 255, readFixture('ssh-stderr/controlpath-too-long.txt'))).toMatchObject({ controller: true });
  });

  it('never decides on exit 255 alone: a remote `exit 255` with no stderr is "other", exit ≠ 255 is reached', () => {
    expect(readFixture('ssh-stderr/remote255.txt')).toBe('');
    expect(classifyConnectFailure('wn01', 255, '')).toMatchObject({ kind: 'other', cause: 'ssh exited 255 without saying why' });
    expect(classifyConnectFailure('wn01', 0, '')).toBeUndefined();
    expect(classifyConnectFailure('wn01', 1, 'Connection refused')).toBeUndefined();
  });

  it('retries only transient kinds', () => {
    expect(classifyConnectFailure('h', 255, readFixture('ssh-stderr/refused.txt'))?.retryable).toBe(true);
    expect(classifyConnectFailure('h', 255, readFixture('ssh-stderr/changed.txt'))?.retryable).toBe(false);
    expect(classifyConnectFailure('h', 255, readFixture('ssh-stderr/auth.txt'))?.retryable).toBe(false);
    // A kept master (ssh.persist) that went away between runs: OpenSSH's mux.c messages; the retry drops it first.
    for (const line of ['mux_client_request_session: read from master failed: Broken pipe', 'mux_client_hello_exchange: write packet: Broken pipe']) {
      expect(classifyConnectFailure('h', 255, `${line}\n`)).toMatchObject({ kind: 'other', retryable: true, cause: line });
    }
  });
});
