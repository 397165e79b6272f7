import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectionDir, createSshExecutor, hostKeyInputs, nodeInstallCommand, parsePreflight, StartOutput, startScript, uploadScript, type RunOptions, type RunResult } from '../../../src/fleet/ssh/executor.ts';
import { collectorGate, collectorQueryArgv, machineIs, parseSlotAds } from '../../../src/fleet/gate.ts';
import { parseStatus } from '../../../src/fleet/status.ts';
import type { HostJob } from '../../../src/fleet/engine.ts';
import type { FleetPlan } from '../../../src/fleet/resolve.ts';
import { host, planOf } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'vmpx-'));
const bundle = join(dir, 'vm-provision.mjs');
writeFileSync(bundle, 'console.log(1)\n');
const profile = join(dir, 'kvm-node.yaml');
writeFileSync(profile, 'apiVersion: vm-provision/v1\n');

function plan(): FleetPlan {
  const p = planOf(['wn1']);
  p.fleet = { metadata: { name: 't' }, ssh: { hostKeys: 'strict', connectTimeout: 5, connectRetries: 2, become: false, knownHostsFile: 'kh' }, rollout: { gate: { enabled: true, timeout: 0 } }, inventory: [] } as unknown as FleetPlan['fleet'];
  p.hosts = [host('wn1', { profile: { ...p.hosts[0]!.profile, file: profile, profile: { metadata: { name: 'kvm-node' }, hypervisor: 'kvm' } as FleetPlan['hosts'][0]['profile']['profile'] } })];
  return p;
}

/** A runner scripted by the kind of remote command (start script, build shipped on stdin, upload, master, other). */
function fakeRunner(script: (argv: readonly string[], o: RunOptions) => RunResult) {
  const calls: string[][] = [];
  const inputs: Array<number | undefined> = [];
  return { calls, inputs, runner: async (argv: readonly string[], o: RunOptions = {}) => { calls.push([...argv]); inputs.push(o.input?.length); const r = script(argv, o); if (r.stdout) o.onStdout?.(r.stdout); return r; } };
}
const ok = (stdout = ''): RunResult => ({ exitCode: 0, stdout, stderr: '' });
const kind = (argv: readonly string[], o: RunOptions = {}) => {
  const last = argv.at(-1)!;
  if (last === 'true') return 'connect';
  if (argv.includes('-O')) return 'master';
  if (last.includes('VMP-PREFLIGHT')) return o.input !== undefined ? 'ship' : 'start';
  if (last.includes('sha256sum')) return 'upload';
  return 'other';
};
const PRE = (o: { node?: string; bundle?: boolean; profile?: boolean } = {}) =>
  `VMP-PREFLIGHT\nnode=${o.node ?? 'v20.19.2'}\nbundle=${o.bundle ? 1 : 0}\nprofile=${o.profile ? 1 : 0}\nos=debian \ntimeout=1\n`;
const SUMMARY = '{"type":"step","step":"preflight","status":"ok","summary":"fine"}\n{"type":"summary","counts":{"ok":6},"changed":false,"failed":false,"exitCode":0}\n';
/** The start script's output when everything is there: preflight lines, the run mark, the agent's lines. */
const RAN = (agent = SUMMARY, o: { node?: string } = {}) => `${PRE({ ...o, bundle: true, profile: true })}VMP-RUN\n${agent}`;

function job(o: Partial<HostJob> = {}): HostJob & { steps: string[] } {
  const steps: string[] = [];
  return { run: 'r1', host: plan().hosts[0]!, batch: 1, check: false, deadline: Date.now() + 600_000, signal: new AbortController().signal, onStep: (s) => steps.push(s.step), steps, ...o };
}

const make = (runner: ReturnType<typeof fakeRunner>['runner']) =>
  createSshExecutor(plan(), { bundlePath: bundle, controlDir: join(dir, 'cp'), runner, sleep: async () => undefined });

describe('ssh executor', () => {
  it('a converged host is one round trip: connect, preflight, profile written if missing, agent under timeout', async () => {
    const f = fakeRunner((argv, o) => ({ start: ok(RAN()), ship: ok(), upload: ok(), master: ok(), connect: ok(), other: ok() })[kind(argv, o)]);
    const ex = make(f.runner);
    const j = job();
    const r = await ex.runHost(j);
    expect(r).toMatchObject({ outcome: 'ok', agentExitCode: 0 });
    expect(r.connectMs).toBeTypeOf('number');
    expect(j.steps).toEqual(['preflight']);
    expect(f.calls.map((c) => kind(c))).toEqual(['start']);
    const script = f.calls[0]!.at(-1)!;
    expect(script).toMatch(/exec timeout -k 30 \d+ node \/var\/lib\/vm-provision\/fleet\/vm-provision-[0-9a-f]{64}\.mjs apply \/var\/lib\/vm-provision\/fleet\/profiles\/kvm-node-[0-9a-f]{16}\.yaml --json/);
    expect(script).toContain(Buffer.from('apiVersion: vm-provision/v1\n').toString('base64'));
    expect(f.calls[0]).toContain(`UserKnownHostsFile=${join('/f', 'kh')}`);
    // ssh.persist (60 s by default): the master stays for the next run, nothing closes it.
    await ex.close!();
    expect(f.calls.map((c) => kind(c))).toEqual(['start']);
    expect(f.calls[0]).toContain('ControlPersist=60');
  });

  it('ssh.persist 0: the master is closed after its batch', async () => {
    const f = fakeRunner((argv, o) => ({ start: ok(RAN()), ship: ok(), upload: ok(), master: ok(), connect: ok(), other: ok() })[kind(argv, o)]);
    const p = plan();
    (p.fleet.ssh as { persist?: number }).persist = 0;
    const ex = createSshExecutor(p, { bundlePath: bundle, controlDir: join(dir, 'cp'), runner: f.runner, sleep: async () => undefined });
    await ex.runHost(job());
    await ex.afterBatch!(p.hosts);
    expect(f.calls.map((c) => kind(c))).toEqual(['start', 'master']);
    expect(f.calls[1]).toEqual(expect.arrayContaining(['-O', 'exit']));
  });

  it('masters are kept per known_hosts content: a changed entry means a fresh, checked connection', () => {
    const files = new Map([[join(dir, 'kh'), 'wn1 ssh-ed25519 AAAA1\n']]);
    const read = (f: string) => files.get(f) ?? '';
    const a = connectionDir('/run/user/0/vmp', { hostKeys: 'strict', knownHostsFile: join(dir, 'kh') }, read);
    expect(a).toMatch(/^\/run\/user\/0\/vmp\/[0-9a-f]{8}$/);
    expect(connectionDir('/run/user/0/vmp', { hostKeys: 'strict', knownHostsFile: join(dir, 'kh') }, read)).toBe(a);
    expect(connectionDir('/run/user/0/vmp', { hostKeys: 'accept-new', knownHostsFile: join(dir, 'kh') }, read)).not.toBe(a);
    files.set(join(dir, 'kh'), 'wn1 ssh-ed25519 BBBB2\n');
    expect(connectionDir('/run/user/0/vmp', { hostKeys: 'strict', knownHostsFile: join(dir, 'kh') }, read)).not.toBe(a);
    expect(hostKeyInputs(undefined, '/root')).toEqual(expect.arrayContaining(['/root/.ssh/known_hosts', '/etc/ssh/ssh_known_hosts', '/root/.ssh/config']));
  });

  it('without the build: a second round trip ships it on stdin and runs the agent', async () => {
    const f = fakeRunner((argv, o) => ({ start: ok(PRE({ profile: true })), ship: ok(RAN()), upload: ok(), master: ok(), connect: ok(), other: ok() })[kind(argv, o)]);
    const r = await make(f.runner).runHost(job());
    expect(r).toMatchObject({ outcome: 'ok' });
    expect(f.calls.map((c, i) => kind(c, { ...(f.inputs[i] !== undefined ? { input: '' } : {}) }))).toEqual(['start', 'ship']);
    expect(f.inputs[1]).toBe('console.log(1)\n'.length);
  });

  it('--check stages what is missing in a temporary directory, removed by the script itself', async () => {
    const f = fakeRunner((argv, o) => ({ start: ok(PRE({ profile: true })), ship: ok(RAN()), upload: ok(), master: ok(), connect: ok(), other: ok() })[kind(argv, o)]);
    await make(f.runner).runHost(job({ check: true }));
    expect(f.calls).toHaveLength(2);
    expect(f.calls[0]!.at(-1)).not.toContain('base64 -d');
    const ship = f.calls[1]!.at(-1)!;
    expect(ship).toMatch(/trap .{0,4}rm -rf \/tmp\/vm-provision-check\.r1.{0,4} EXIT/);
    expect(ship).toMatch(/node \/tmp\/vm-provision-check\.r1\/vm-provision-[0-9a-f]+\.mjs plan \/var\/lib\/vm-provision\/fleet\/profiles\//);
    expect(ship).not.toMatch(/exec timeout/);
  });

  it('retries a refused connect with backoff, then reports unreachable/refused; never runs anything', async () => {
    const sleeps: number[] = [];
    const f = fakeRunner(() => ({ exitCode: 255, stdout: '', stderr: 'ssh: connect to host wn1 port 22: Connection refused\n' }));
    const ex = createSshExecutor(plan(), { bundlePath: bundle, controlDir: join(dir, 'cp'), runner: f.runner, sleep: async (ms) => { sleeps.push(ms); } });
    const r = await ex.runHost(job());
    expect(r).toMatchObject({ outcome: 'unreachable', unreachable: 'refused' });
    expect(sleeps).toEqual([1000, 3000]);
    // Before each retry a master kept from an earlier run is stopped: it may be the connection that failed.
    expect(f.calls.map((c) => kind(c))).toEqual(['start', 'master', 'start', 'master', 'start']);
  });

  it('a changed host key is not retried', async () => {
    const f = fakeRunner(() => ({ exitCode: 255, stdout: '', stderr: '@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\nHost key verification failed.\n' }));
    expect(await make(f.runner).runHost(job())).toMatchObject({ outcome: 'unreachable', unreachable: 'hostkey-changed' });
    expect(f.calls).toHaveLength(1);
  });

  it('exit 255 after the node answered is not unreachable: the agent lost its connection', async () => {
    const f = fakeRunner(() => ({ exitCode: 255, stdout: `${PRE({ bundle: true, profile: true })}VMP-RUN\n{"type":"step","step":"packages","status":"ok","summary":"x"}\n`, stderr: 'Connection to wn1 closed by remote host.\n' }));
    expect(await make(f.runner).runHost(job())).toMatchObject({ outcome: 'failed', failure: 'lost' });
    expect(f.calls).toHaveLength(1);
  });

  it('a ControlPath too long for a socket is the controller\'s problem: exit 78, not unreachable', async () => {
    const f = fakeRunner(() => ({ exitCode: 255, stdout: '', stderr: 'unix_listener: path "/x/%C.abc" too long for Unix domain socket\n' }));
    await expect(make(f.runner).runHost(job())).rejects.toMatchObject({ exitCode: 78 });
  });

  it('no node, or one older than 20: runtime, with the distribution\'s install command', async () => {
    for (const node of ['', 'v18.19.0']) {
      const f = fakeRunner((argv, o) => ({ start: ok(PRE({ node, bundle: true, profile: true })), ship: ok(RAN()), upload: ok(), master: ok(), connect: ok(), other: ok() })[kind(argv, o)]);
      const r = await make(f.runner).runHost(job());
      expect(r).toMatchObject({ outcome: 'failed', failure: 'runtime' });
      expect(r.hint).toContain('apt-get install -y nodejs');
      expect(f.calls.map((c) => kind(c))).toEqual(['start']);
    }
    expect(nodeInstallCommand('rocky rhel centos fedora')).toBe('dnf install -y nodejs');
    expect(nodeInstallCommand('opensuse-leap suse opensuse')).toMatch(/zypper/);
  });

  it('a hash mismatch on the node is a transfer failure; sudo wanting a password is become', async () => {
    const t = fakeRunner((argv, o) => ({ start: ok(PRE({ profile: true })), ship: { exitCode: 3, stdout: 'VMP-PREFLIGHT\ntransfer=bundle\n', stderr: '' }, upload: ok(), master: ok(), connect: ok(), other: ok() })[kind(argv, o)]);
    expect(await make(t.runner).runHost(job())).toMatchObject({ outcome: 'failed', failure: 'transfer' });
    const s = fakeRunner((argv, o) => ({ start: { exitCode: 1, stdout: '', stderr: 'sudo: a password is required\n' }, ship: ok(), upload: ok(), master: ok(), connect: ok(), other: ok() })[kind(argv, o)]);
    expect(await make(s.runner).runHost(job())).toMatchObject({ outcome: 'failed', failure: 'become' });
  });

  it('trusts the summary line over ssh\'s exit; without one: 255 is lost, 124 is timeout', async () => {
    const run = async (agent: RunResult) => make(fakeRunner((argv, o) => ({ start: { ...agent, stdout: RAN(agent.stdout) }, ship: ok(), upload: ok(), master: ok(), connect: ok(), other: ok() })[kind(argv, o)]).runner).runHost(job());
    expect(await run({ exitCode: 255, stdout: SUMMARY, stderr: 'Connection to wn1 closed by remote host.' })).toMatchObject({ outcome: 'ok' });
    expect(await run({ exitCode: 255, stdout: '{"type":"step","step":"packages","status":"ok","summary":"x"}\n', stderr: 'client_loop: send disconnect: Broken pipe' })).toMatchObject({ outcome: 'failed', failure: 'lost' });
    expect(await run({ exitCode: 124, stdout: '', stderr: '' })).toMatchObject({ outcome: 'failed', failure: 'timeout' });
  });

  it('the start script asks node -v once per node binary: kept next to the build, asked again when the binary changes; --check only reads', async () => {
    const { execa } = await import('execa');
    const { chmodSync, mkdirSync, readFileSync, utimesSync, writeFileSync } = await import('node:fs');
    const d = mkdtempSync(join(tmpdir(), 'vmpn-'));
    const bin = join(d, 'bin');
    mkdirSync(bin);
    mkdirSync(join(d, 'b'));
    const calls = join(d, 'calls');
    writeFileSync(join(bin, 'node'), `#!/bin/sh\necho "$@" >> ${calls}\necho v20.19.2\n`);
    chmodSync(join(bin, 'node'), 0o755);
    const o = { bundle: join(d, 'b/vm.mjs'), profile: join(d, 'p.yaml'), agent: ['true'], timeoutSeconds: 5 };
    const env = { PATH: `${bin}:/usr/bin:/bin` };
    const asked = () => { try { return readFileSync(calls, 'utf8').split('\n').filter(Boolean).length; } catch { return 0; } };
    const check = await execa('sh', ['-c', startScript({ ...o, readOnly: true })], { env, reject: false });
    expect(check.stdout).toContain('node=v20.19.2');
    expect(() => readFileSync(join(d, 'b/node-version'))).toThrow();
    const r1 = await execa('sh', ['-c', startScript(o)], { env, reject: false });
    const r2 = await execa('sh', ['-c', startScript(o)], { env, reject: false });
    expect([r1.stdout, r2.stdout].every((x) => x.includes('node=v20.19.2'))).toBe(true);
    expect(asked()).toBe(2); // the --check run and the first run; the second read the file
    expect(readFileSync(join(d, 'b/node-version'), 'utf8')).toMatch(/^\d+:\d+:\d+:\d+ v20\.19\.2\n$/);
    utimesSync(join(bin, 'node'), new Date(), new Date(Date.now() + 5000));
    await execa('sh', ['-c', startScript(o)], { env, reject: false });
    expect(asked()).toBe(3);
  });

  it('the start script\'s output splits at the run mark, whatever the chunks', () => {
    const agent: string[] = [];
    const so = new StartOutput((c) => agent.push(c));
    const text = RAN();
    for (let i = 0; i < text.length; i += 7) so.push(text.slice(i, i + 7));
    expect(so.reached).toBe(true);
    expect(so.running).toBe(true);
    expect(agent.join('')).toBe(SUMMARY);
    expect(parsePreflight(so.head)).toMatchObject({ bundle: true, profile: true, nodeMajor: 20 });
  });

  it('the start script, run by a real sh: writes the profile from the command and the build from stdin (hash-checked), then runs', async () => {
    const { execa } = await import('execa');
    const { createHash } = await import('node:crypto');
    const { existsSync, readFileSync } = await import('node:fs');
    const sha = (b: string) => createHash('sha256').update(b).digest('hex');
    const d = mkdtempSync(join(tmpdir(), 'vmps-'));
    const o = { bundle: join(d, 'b/vm.mjs'), profile: join(d, 'p/prof.yaml'), agent: ['echo', 'agent ran'], timeoutSeconds: 5 };
    const prof = Buffer.from("kind: 'x'\n");
    const r1 = await execa('sh', ['-c', startScript({ ...o, profileInline: { bytes: prof, sha: sha("kind: 'x'\n") } })], { reject: false });
    expect(r1.stdout).toMatch(/^VMP-PREFLIGHT\n(.*\n)*node=v\d+.*\nbundle=0\nprofile=1\n/);
    expect(r1.stdout).not.toContain('VMP-RUN');
    expect(readFileSync(o.profile, 'utf8')).toBe("kind: 'x'\n");
    const bad = await execa('sh', ['-c', startScript({ ...o, bundleFromStdin: sha('other') })], { input: 'bundle bytes', reject: false });
    expect(bad.exitCode).toBe(3);
    expect(bad.stdout).toContain('transfer=bundle');
    expect(existsSync(o.bundle)).toBe(false);
    const good = await execa('sh', ['-c', startScript({ ...o, bundleFromStdin: sha('bundle bytes') })], { input: 'bundle bytes', reject: false });
    expect(good.stdout).toMatch(/bundle=1\nprofile=1\n(.*\n)*VMP-RUN\nagent ran$/);
    expect(readFileSync(o.bundle, 'utf8')).toBe('bundle bytes');
    const stage = join(d, 'stage');
    const staged = await execa('sh', ['-c', startScript({ ...o, profile: join(stage, 'prof.yaml'), profileInline: { bytes: prof, sha: sha("kind: 'x'\n") }, stage })], { reject: false });
    expect(staged.stdout).toMatch(/VMP-RUN\nagent ran$/);
    expect(existsSync(stage)).toBe(false);
    // After a successful agent run, the after script's output follows in the same session.
    const agentLines: string[] = [];
    const so = new StartOutput((c) => agentLines.push(c));
    const withAfter = await execa('sh', ['-c', startScript({ ...o, agent: ['printf', '{"type":"summary"}'], after: 'echo n1 slot1@n1 true kvm\nexit 0' })], { reject: false });
    so.push(withAfter.stdout);
    so.end();
    expect(agentLines.join('')).toBe('{"type":"summary"}\n');
    expect(so.after).toEqual({ stdout: 'n1 slot1@n1 true kvm\n', exitCode: 0 });
    const failed = await execa('sh', ['-c', startScript({ ...o, agent: ['false'], after: 'echo never' })], { reject: false });
    expect(failed.exitCode).toBe(1);
    expect(failed.stdout).not.toContain('never');
  });

  it('the per-node gate\'s first look comes from the agent\'s session, once', async () => {
    const out = `${PRE({ bundle: true, profile: true })}VMP-RUN\n${SUMMARY}\nVMP-AFTER\nwn1 slot1@wn1 true kvm\nVMP-AFTER-EXIT=0\n`;
    const f = fakeRunner((argv, o) => ({ start: ok(out), ship: ok(), upload: ok(), master: ok(), connect: ok(), other: ok() })[kind(argv, o)]);
    const ex = createSshExecutor(plan(), { bundlePath: bundle, controlDir: join(dir, 'cp'), runner: f.runner, sleep: async () => undefined, afterAgent: 'SLOTS' });
    const h = plan().hosts[0]!;
    expect(await ex.runHost(job())).toMatchObject({ outcome: 'ok' });
    expect(f.calls[0]!.at(-1)).toContain('SLOTS');
    expect(ex.prefetched(h, 'OTHER')).toBeUndefined();
    await ex.runHost(job());
    expect(ex.prefetched(h, 'SLOTS')).toEqual({ exitCode: 0, stdout: 'wn1 slot1@wn1 true kvm\n', stderr: '' });
    expect(ex.prefetched(h, 'SLOTS')).toBeUndefined();
    const checked = fakeRunner((argv, o) => ({ start: ok(RAN()), ship: ok(), upload: ok(), master: ok(), connect: ok(), other: ok() })[kind(argv, o)]);
    await createSshExecutor(plan(), { bundlePath: bundle, controlDir: join(dir, 'cp'), runner: checked.runner, afterAgent: 'SLOTS' }).runHost(job({ check: true }));
    expect(checked.calls[0]!.at(-1)).not.toContain('SLOTS');
  });

  it('preflight and upload scripts', () => {
    expect(parsePreflight('junk')).toBeUndefined();
    expect(parsePreflight(PRE({ node: 'v22.3.0', bundle: true }))).toEqual({ node: 'v22.3.0', nodeMajor: 22, bundle: true, profile: false, os: 'debian', timeout: true });
    const up = uploadScript('/var/lib/vm-provision/fleet/x.mjs', 'ab'.repeat(32));
    expect(up).toContain('t=/var/lib/vm-provision/fleet/.upload.$$');
    expect(up).toMatch(/sha256sum -c --status -; then mv -f "\$t" \/var\/lib\/vm-provision\/fleet\/x\.mjs; else rm -f "\$t"; exit 3; fi/);
  });
});

describe('collector gate', () => {
  const p = plan();
  const h = p.hosts[0]!;
  it('asks a central collector once per batch, matching Machine to names or addresses', async () => {
    expect(machineIs(h, 'wn1.example.org')).toBe(true);
    expect(machineIs(h, 'wn10.example.org')).toBe(false);
    const argv = collectorQueryArgv('cm.example.org', [h]);
    expect(argv.slice(0, 5)).toEqual(['condor_status', '-pool', 'cm.example.org', '-startd', '-constraint']);
    let asked = 0;
    const pc = { ...p, fleet: { ...p.fleet, rollout: { gate: { enabled: true, timeout: 0, collector: 'cm.example.org' } } } } as FleetPlan;
    const gate = collectorGate(pc, { queryCollector: async () => { asked++; return 'wn1.example.org slot1@wn1.example.org true kvm\n'; }, onNode: async () => { throw new Error('not per node'); }, sleep: async () => undefined });
    expect(await gate({ index: 1, hosts: [h], results: [{ host: 'wn1', address: 'wn1', batch: 1, outcome: 'changed', profile: '', durationMs: 1 }] })).toMatchObject({ ok: true });
    expect(asked).toBe(1);
  });

  it('without a collector asks each node; a slot without HasVM fails the gate, failed hosts are not asked', async () => {
    const gate = collectorGate(p, { queryCollector: async () => '', onNode: async () => ({ exitCode: 0, stdout: 'node1 slot1@node1 undefined undefined\n', stderr: '' }), sleep: async () => undefined });
    const g = await gate({ index: 1, hosts: [h], results: [{ host: 'wn1', address: 'wn1', batch: 1, outcome: 'ok', profile: '', durationMs: 1 }] });
    expect(g).toMatchObject({ ok: false, hosts: ['wn1'] });
    expect(g.message).toMatch(/slot1@node1 HasVM=undefined VM_Type=undefined \(want true kvm\)/);
    expect(await gate({ index: 1, hosts: [h], results: [{ host: 'wn1', address: 'wn1', batch: 1, outcome: 'failed', profile: '', durationMs: 1 }] })).toMatchObject({ ok: true });
    expect(parseSlotAds('a b true kvm\n\n')).toEqual([{ machine: 'a', name: 'b', hasVM: 'true', vmType: 'kvm' }]);
  });

  it('status reads the journal, the config header and the slots', () => {
    const out = 'VMP-STATUS\njournal={  "pendingRestart": {"reason": "config changed"},  "lastConfig": {"path": "/etc/condor/config.d/50-vm-universe.config", "verified": false}}\nheader=# Written by vm-provision from host profile "kvm-node" for HTCondor 23.9.6 (linux).\nslots:\nn slot1@n true kvm\n';
    expect(parseStatus(h, out)).toMatchObject({ vm: true, restartOwed: true, restartReason: 'config changed', profile: 'kvm-node', verified: false, converged: false });
  });
});
