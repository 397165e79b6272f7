// vm-provision fleet on real testbed nodes: 5 `full` nodes (3 healthy, one with libvirt masked, one without node)
// plus one host that is unreachable on this machine only (127.0.0.1, a port checked closed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { startNodes, type TestNode } from '../testbed/nodes.ts';
import { kvmTitle, testbedReason } from '../testbed/harness.ts';
import { DIST, ROOT, jsonLines, nodeFingerprint, startdPid, steadyStartd, vmStatus } from './agent.ts';

const example = readFileSync(join(ROOT, 'examples/kvm-node.yaml'), 'utf8');
const MASK = ['libvirtd.service', 'libvirtd.socket', 'libvirtd-ro.socket', 'libvirtd-admin.socket'];

/** A port on 127.0.0.1 where nothing listens: bound, released, then checked refused. */
async function closedPort(): Promise<number> {
  const port = await new Promise<number>((res) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => res(p)); }); });
  const refused = await new Promise<boolean>((res) => { const c = connect(port, '127.0.0.1'); c.on('connect', () => { c.destroy(); res(false); }); c.on('error', () => res(true)); });
  if (!refused) throw new Error(`port ${port} on 127.0.0.1 is not closed`);
  return port;
}

type Line = Record<string, unknown>;
const hostLines = (stdout: string) => jsonLines(stdout).filter((l) => l.type === 'host') as Array<Line & { host: string; outcome: string }>;
const byHost = (stdout: string) => Object.fromEntries(hostLines(stdout).map((l) => [l.host, l]));
const summaryOf = (stdout: string) => jsonLines(stdout).find((l) => l.type === 'summary') as Line & { exitCode: number; stopReason?: string; run: string };

describe.skipIf(testbedReason())(kvmTitle('fleet: rollouts over SSH on 5 full nodes and an unreachable host'), () => {
  let nodes: TestNode[] = [];
  let a: TestNode, b: TestNode, c: TestNode, d: TestNode, e: TestNode;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let fullRun = '';
  const t0 = Date.now();

  const fleet = (...args: string[]) => execa('node', [DIST, 'fleet', ...args], { cwd: dir, env, reject: false, timeout: 900_000 });
  const healthy = () => [a, b, c];
  /** The pids of the fleet's kept SSH masters (ssh -O check on each socket in its control directories). */
  const masterPids = async (): Promise<number[]> => {
    const base = join(dir, 'vmp');
    const sockets = existsSync(base) ? readdirSync(base).flatMap((d) => readdirSync(join(base, d)).map((f) => join(base, d, f))) : [];
    const pids = await Promise.all(sockets.map(async (p) => {
      const r = await execa('ssh', ['-O', 'check', '-o', `ControlPath=${p}`, 'kept-master'], { reject: false });
      return Number(/pid=(\d+)/.exec(r.stderr)?.[1] ?? NaN);
    }));
    return pids.filter((x) => !Number.isNaN(x)).sort((x, y) => x - y);
  };

  beforeAll(async () => {
    nodes = await startNodes({ flavor: 'full', count: 5 });
    [a, b, c, d, e] = nodes as [TestNode, TestNode, TestNode, TestNode, TestNode];
    dir = mkdtempSync('/tmp/vmpf-');
    env = { ...process.env, XDG_STATE_HOME: join(dir, 'state'), XDG_RUNTIME_DIR: dir };
    const port = await closedPort();
    const key = a.identity.key;
    copyFileSync(a.identity.knownHosts, join(dir, 'known_hosts'));
    writeFileSync(join(dir, 'kvm-node.yaml'), example);
    writeFileSync(join(dir, 'kvm-2048.yaml'), example.replace('memory: 1024', 'memory: 2048'));
    // The children order decides host order (a, u, b, c, d, e), as in Ansible: the unreachable host second, so --batch 1 stops mid-way.
    writeFileSync(join(dir, 'hosts.ini'), [
      '[first]', `wn-a ansible_host=${a.address}`, '',
      '[gone]', `wn-u ansible_host=127.0.0.1 ansible_port=${port}`, '',
      '[healthy]', 'wn-a', `wn-b ansible_host=${b.address}`, `wn-c ansible_host=${c.address}`, '',
      '[broken]', `wn-d ansible_host=${d.address}`, `wn-e ansible_host=${e.address}`, '',
      '[workers:children]', 'first', 'gone', 'healthy', 'broken', '',
      '[workers:vars]', 'ansible_user=root', `ansible_ssh_private_key_file=${key}`, '',
    ].join('\n'));
    writeFileSync(join(dir, 'canary.ini'), [
      '[all:vars]', 'ansible_user=root', `ansible_ssh_private_key_file=${key}`,
      '[first]', `wn-d ansible_host=${d.address}`, '[rest]', `wn-a ansible_host=${a.address}`, `wn-b ansible_host=${b.address}`, '',
    ].join('\n'));
    const fleetFile = (name: string, inv: string, profile: string, rollout: string) => writeFileSync(join(dir, name), [
      'apiVersion: vm-provision/v1', 'kind: Fleet', `metadata: {name: ${name.replace('.yaml', '')}}`,
      `inventory: [{ansible: ${inv}}]`, `profiles: [{match: all, profile: ${profile}}]`,
      'ssh: {knownHostsFile: known_hosts, connectRetries: 1, connectTimeout: 5}', `rollout: ${rollout}`, '',
    ].join('\n'));
    fleetFile('fleet.yaml', 'hosts.ini', 'kvm-node.yaml', '{batches: [1, "100%"], maxFail: 2, maxUnreachable: 1, hostTimeout: 600, gate: {timeout: 60}}');
    fleetFile('canary.yaml', 'canary.ini', 'kvm-node.yaml', '{batches: [1, "100%"], hostTimeout: 600}');
    fleetFile('fleet-2048.yaml', 'hosts.ini', 'kvm-2048.yaml', '{batches: ["100%"], maxFail: 2, maxUnreachable: 1, hostTimeout: 600, gate: {timeout: 60}}');
    await d.ssh(['systemctl', 'mask', '--now', ...MASK]);
    await e.sh('rm -f /usr/bin/node /usr/bin/nodejs; ! command -v node');
  });
  afterAll(async () => {
    for (const n of nodes) await n.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    process.stdout.write(`fleet e2e: ${((Date.now() - t0) / 1000).toFixed(0)} s in this file\n`);
  });

  it('an Ansible INI inventory with groups and vars resolves to the hosts ansible-inventory --list gives', async () => {
    const ours = await fleet('hosts', 'fleet.yaml', '--json');
    expect(ours.exitCode, ours.stderr).toBe(0);
    const hosts = (JSON.parse(ours.stdout) as { hosts: Array<{ name: string; address: string; port?: number; user?: string; identityFile?: string }> }).hosts;
    const theirs = JSON.parse((await execa('ansible-inventory', ['-i', join(dir, 'hosts.ini'), '--list'], { env: { ...process.env, ANSIBLE_NOCOLOR: '1' } })).stdout) as
      { _meta: { hostvars: Record<string, Record<string, unknown>> }; workers: { children: string[] } };
    expect(hosts.map((h) => h.name).sort()).toEqual(Object.keys(theirs._meta.hostvars).sort());
    for (const h of hosts) {
      const v = theirs._meta.hostvars[h.name]!;
      expect({ address: h.address, user: h.user, key: h.identityFile, port: h.port })
        .toEqual({ address: v.ansible_host, user: v.ansible_user, key: v.ansible_ssh_private_key_file, port: v.ansible_port === undefined ? undefined : Number(v.ansible_port) });
    }
    expect(theirs.workers.children.sort()).toEqual(['broken', 'first', 'gone', 'healthy']);
  });

  it('a failing canary stops the rollout: no other host is touched', async () => {
    const before = await Promise.all([a, b].map(nodeFingerprint));
    const r = await fleet('apply', 'canary.yaml', '--json');
    expect(r.exitCode, r.stdout + r.stderr).toBe(3);
    const h = byHost(r.stdout);
    // A masked libvirt daemon stops the agent at services, before any config change.
    expect(h['wn-d']).toMatchObject({ outcome: 'failed', failure: 'remote', failedStep: 'services' });
    expect(h['wn-a']?.outcome).toBe('not-run');
    expect(h['wn-b']?.outcome).toBe('not-run');
    expect(summaryOf(r.stdout).stopReason).toBe('canary');
    expect(await Promise.all([a, b].map(nodeFingerprint))).toEqual(before);
    for (const n of [a, b]) expect((await n.sh('ls /var/lib/vm-provision/fleet 2>/dev/null | wc -l')).stdout.trim()).toBe('0');
  });

  it('--check changes nothing on any host', async () => {
    // The canary's rollback restarted wn-d's startd (maybe still in the master's backoff): let it settle first.
    await Promise.all(nodes.map((n) => steadyStartd(n)));
    const before = await Promise.all(nodes.map(nodeFingerprint));
    const r = await fleet('plan', 'fleet.yaml', '--json');
    const h = byHost(r.stdout);
    for (const n of ['wn-a', 'wn-b', 'wn-c']) expect(h[n]?.outcome, r.stdout).toBe('changed');
    expect(h['wn-u']?.outcome).toBe('unreachable');
    expect(await Promise.all(nodes.map(nodeFingerprint))).toEqual(before);
    for (const n of nodes) expect((await n.sh('ls -A /var/lib/vm-provision/fleet 2>/dev/null | grep -c upload || true')).stdout.trim()).toBe('0');
  });

  it('a full rollout converges the healthy hosts and reports the others with kind and cause (exit 1)', async () => {
    const r = await fleet('apply', 'fleet.yaml', '--json');
    expect(r.exitCode, r.stdout + r.stderr).toBe(1);
    fullRun = summaryOf(r.stdout).run;
    const h = byHost(r.stdout);
    for (const n of ['wn-a', 'wn-b', 'wn-c']) expect(h[n]?.outcome, JSON.stringify(h[n])).toBe('changed');
    expect(h['wn-d']).toMatchObject({ outcome: 'failed', failure: 'remote', failedStep: 'services' });
    expect(String(h['wn-d']!.cause) + String(h['wn-d']!.hint)).toMatch(/libvirt/);
    expect(String(h['wn-d']!.cause) + String(h['wn-d']!.hint)).toMatch(/mask/);
    expect(h['wn-e']).toMatchObject({ outcome: 'failed', failure: 'runtime', cause: 'no node (Node.js) on the node' });
    expect(String(h['wn-e']!.hint)).toContain('apt-get install -y nodejs');
    expect(h['wn-u']).toMatchObject({ outcome: 'unreachable', unreachable: 'refused' });
    for (const n of healthy()) expect(await vmStatus(n)).toBe(`slot1@${n.name} kvm 1024`);
    const gates = jsonLines(r.stdout).filter((l) => l.type === 'batch-gate');
    expect(gates.every((g) => g.ok === true), JSON.stringify(gates)).toBe(true);
  });

  it('a second run: every healthy host ok, nothing changed, no startd restarted, the connections reused', async () => {
    const pids = await Promise.all(healthy().map(startdPid));
    const masters = await masterPids();
    const r = await fleet('apply', 'fleet.yaml', '--limit', 'healthy', '--json', '--detailed-exitcodes');
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(hostLines(r.stdout).map((l) => l.outcome)).toEqual(['ok', 'ok', 'ok']);
    expect(await Promise.all(healthy().map(startdPid))).toEqual(pids);
    // ssh.persist (60 s): the masters the first run opened served this one, and are still there for the next.
    expect(masters.length).toBeGreaterThanOrEqual(3);
    expect(await masterPids()).toEqual(masters);
  });

  it('--rerun failed touches only the hosts that failed', async () => {
    const before = await Promise.all(healthy().map(nodeFingerprint));
    const r = await fleet('apply', 'fleet.yaml', '--rerun', 'failed', fullRun, '--json');
    expect(hostLines(r.stdout).map((l) => l.host).sort()).toEqual(['wn-d', 'wn-e']);
    expect(await Promise.all(healthy().map(nodeFingerprint))).toEqual(before);
  });

  it('max-fail and max-unreachable stop where the resolved numbers say', async () => {
    // Order a, u, b, c, d, e; one host per batch.
    const f = await fleet('apply', 'fleet.yaml', '--batch', '1', '--max-fail', '0', '--max-unreachable', '5', '--json');
    expect(f.exitCode, f.stdout + f.stderr).toBe(3);
    expect(summaryOf(f.stdout)).toMatchObject({ stopReason: 'max-fail' });
    expect(Object.fromEntries(hostLines(f.stdout).map((l) => [l.host, l.outcome])))
      .toEqual({ 'wn-a': 'ok', 'wn-u': 'unreachable', 'wn-b': 'ok', 'wn-c': 'ok', 'wn-d': 'failed', 'wn-e': 'not-run' });
    const u = await fleet('apply', 'fleet.yaml', '--batch', '1', '--max-unreachable', '10%', '--json');
    expect(u.exitCode).toBe(3);
    const start = jsonLines(u.stdout).find((l) => l.type === 'run-start') as { plan: { maxUnreachable: { limit: number } } };
    expect(start.plan.maxUnreachable.limit).toBe(0);
    expect(summaryOf(u.stdout)).toMatchObject({ stopReason: 'max-unreachable', stopMessage: '1 host unreachable, more than max-unreachable 0 (10%)' });
    expect(Object.fromEntries(hostLines(u.stdout).map((l) => [l.host, l.outcome])))
      .toEqual({ 'wn-a': 'ok', 'wn-u': 'unreachable', 'wn-b': 'not-run', 'wn-c': 'not-run', 'wn-d': 'not-run', 'wn-e': 'not-run' });
  });

  it('fleet status: healthy hosts advertise kvm, owe no restart, converged to kvm-node', async () => {
    const r = await fleet('status', 'fleet.yaml', '--limit', 'healthy:broken', '--json');
    expect(jsonLines(r.stdout).map((l) => l.host)).toEqual(['wn-a', 'wn-b', 'wn-c', 'wn-d', 'wn-e']);
    const rows = Object.fromEntries(jsonLines(r.stdout).map((l) => [l.host, l]));
    for (const n of ['wn-a', 'wn-b', 'wn-c']) expect(rows[n]).toMatchObject({ reachable: true, vm: true, restartOwed: false, profile: 'kvm-node', converged: true });
    expect(rows['wn-d']).toMatchObject({ reachable: true, vm: false, converged: false });
    // Each node's own doctor, from the build the rollout shipped (wn-e has no node to run it).
    for (const n of ['wn-a', 'wn-b', 'wn-c']) expect(rows[n]!.doctor).toEqual({ healthy: true });
    expect(rows['wn-d']!.doctor, JSON.stringify(rows['wn-d'])).toMatchObject({ healthy: false, problem: expect.any(String), next: expect.any(String) });
    expect(rows['wn-e']!.doctor).toBeUndefined();
    expect(r.exitCode).toBe(1);
  });

  it('a changed host key is refused', async () => {
    const known = join(dir, 'known_hosts');
    const good = readFileSync(known, 'utf8');
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'other')]);
    const other = readFileSync(join(dir, 'other.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    await execa('ssh-keygen', ['-q', '-R', a.address, '-f', known]);
    writeFileSync(known, `${readFileSync(known, 'utf8')}${a.address} ${other}\n`);
    try {
      const r = await fleet('apply', 'fleet.yaml', '--limit', 'wn-a', '--json');
      expect(r.exitCode, r.stdout + r.stderr).toBe(2);
      expect(byHost(r.stdout)['wn-a']).toMatchObject({ outcome: 'unreachable', unreachable: 'hostkey-changed' });
    } finally {
      writeFileSync(known, good);
    }
  });

  it('--install-node installs Node.js with the node\'s package manager, then the host converges', async () => {
    // wn-e's nodejs package is purged and offered by a local apt repository: the package rebuilt from a healthy
    // node's installed files (the testbed's own repository has no nodejs), indexed here with dpkg-scanpackages.
    const repack = [
      'set -e; d=$(mktemp -d); mkdir -p "$d/pkg/DEBIAN"',
      'dpkg-query -L nodejs | while read -r f; do [ -d "$f" ] && [ ! -L "$f" ] || echo "$f"; done | tar -cf - -T - 2>/dev/null | tar -xf - -C "$d/pkg"',
      'dpkg-query -s nodejs | grep -v -E "^(Status|Conffiles):" > "$d/pkg/DEBIAN/control"',
      'dpkg-deb --root-owner-group --build "$d/pkg" /tmp/nodejs-repack.deb >/dev/null',
    ].join('\n');
    expect((await a.sh(repack)).exitCode).toBe(0);
    const repo = join(dir, 'nodejs-repo');
    mkdirSync(repo);
    await execa('scp', ['-q', '-i', a.identity.key, '-o', `UserKnownHostsFile=${a.identity.knownHosts}`, `root@${a.address}:/tmp/nodejs-repack.deb`, join(repo, 'nodejs.deb')]);
    writeFileSync(join(repo, 'Packages'), (await execa('dpkg-scanpackages', ['.', '/dev/null'], { cwd: repo })).stdout + '\n');
    expect((await e.sh('mkdir -p /srv/nodejs-repo')).exitCode).toBe(0);
    for (const f of ['nodejs.deb', 'Packages']) await e.copyIn(join(repo, f), `/srv/nodejs-repo/${f}`);
    const prep = await e.sh([
      'dpkg --purge --force-depends nodejs >/dev/null 2>&1',
      'echo "deb [trusted=yes] file:/srv/nodejs-repo ./" > /etc/apt/sources.list.d/nodejs-test.list',
      'apt-get update -qq >/dev/null 2>&1',
      '! command -v node && apt-cache policy nodejs | grep -q "Candidate: [0-9]"',
    ].join(' && '));
    expect(prep.exitCode, prep.stdout + prep.stderr).toBe(0);

    const without = await fleet('apply', 'fleet.yaml', '--limit', 'wn-e', '--json');
    expect(byHost(without.stdout)['wn-e']).toMatchObject({ outcome: 'failed', failure: 'runtime' });
    expect(String(byHost(without.stdout)['wn-e']!.hint)).toContain('--install-node');

    const r = await fleet('apply', 'fleet.yaml', '--limit', 'wn-e', '--install-node', '--json');
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(byHost(r.stdout)['wn-e']).toMatchObject({ outcome: 'changed' });
    expect((await e.ssh(['node', '-v'])).stdout).toMatch(/^v(2\d|[3-9]\d)\./);
    expect(await vmStatus(e)).toBe(`slot1@${e.name} kvm 1024`);
  });

  it('the controller killed (-9) mid-rollout: a new run converges every host, no half-written file or held lock', async () => {
    const p = execa('node', [DIST, 'fleet', 'apply', 'fleet-2048.yaml', '--limit', 'healthy', '--json'], { cwd: dir, env, reject: false });
    await new Promise<void>((res) => {
      let buf = '';
      p.stdout!.on('data', (chunk: Buffer) => { buf += String(chunk); if (/"step":"condor-config","status":"changed"/.test(buf)) res(); });
      void p.then(() => res());
    });
    p.kill('SIGKILL');
    await p;
    // The agents the dead controller started finish or die on the nodes; the next run must not race them.
    for (const n of healthy()) await n.sh('for i in $(seq 1 120); do pgrep -f "[v]m-provision-" >/dev/null || exit 0; sleep 1; done; exit 1');
    const r = await fleet('apply', 'fleet-2048.yaml', '--limit', 'healthy', '--json');
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    for (const n of healthy()) {
      expect(await vmStatus(n)).toBe(`slot1@${n.name} kvm 2048`);
      expect((await n.sh('ls -A /etc/condor/config.d /var/lib/vm-provision /var/lib/vm-provision/fleet /var/lib/vm-provision/fleet/profiles | grep -E "^\\.|tmp|upload" || true')).stdout.trim()).toBe('');
      expect((await n.sh('pgrep -f "[v]m-provision-" || true')).stdout.trim()).toBe('');
    }
  });
});
