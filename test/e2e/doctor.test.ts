// vm-provision doctor on a real `full` node: healthy once converged, then one fault at a time — the libvirt daemon
// masked, VM_MEMORY = 0 in a later file, the gahp binary not executable — each named as the first problem with its
// next action, and healthy again once the fault is removed; then a node set up by hand (no vm-provision file, no
// journal) is healthy; last, a startd the master holds back after two condor_restart in a row is named. Between
// faults the startd is restarted with condor_off/condor_on: unlike condor_restart, an explicit off/on does not grow
// the master's restart backoff (11, 13, 17, 25 … s), which would make this file take minutes longer.
// VMP_RELIABILITY_RESULTS=<dir>: the measured results are written to <dir>/doctor.json (scripts/gen-reliability.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodes, type TestNode } from '../testbed/nodes.ts';
import { kvmTitle, testbedReason } from '../testbed/harness.ts';
import { installAgent, nodeFingerprint, restartStartd, startdStart, vmp } from './agent.ts';
import { writeResults, type FaultResult } from '../../scripts/gen-reliability.ts';

const FAULT_FILE = '/etc/condor/config.d/99-doctor-fault.config';
const GAHP = '/usr/sbin/condor_vm-gahp';
const LIBVIRT_UNITS = ['libvirtd.service', 'libvirtd.socket', 'libvirtd-ro.socket', 'libvirtd-admin.socket'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (m: string) => process.stderr.write(`[doctor e2e] ${m}\n`);

const results: FaultResult[] = [];
const started = new Date().toISOString();

interface DoctorRun { exitCode: number; out: string; problems: string[]; nexts: string[] }

async function doctor(node: TestNode): Promise<DoctorRun> {
  const r = await vmp(node, ['doctor'], { timeoutMs: 120_000 });
  const out = r.stdout + r.stderr;
  return { exitCode: r.exitCode, out, problems: [...r.stdout.matchAll(/^PROBLEM (\S+): (.*)$/gm)].map((m) => `${m[1]}: ${m[2]}`), nexts: [...r.stdout.matchAll(/^ {2}next: (.*)$/gm)].map((m) => m[1]!) };
}

/** Injects a fault, restarts, runs doctor; then removes it, restarts, and runs doctor again. */
async function fault(node: TestNode, f: { name: string; cause: string; inject: string; remove: string; restartAfterRemoval?: boolean }): Promise<{ during: DoctorRun; after: DoctorRun }> {
  await node.sh(f.inject);
  await restartStartd(node);
  const during = await doctor(node);
  log(`${f.name}: exit ${during.exitCode}\n${during.out}`);
  await node.sh(f.remove);
  if (f.restartAfterRemoval !== false) await restartStartd(node);
  const after = await doctor(node);
  if (after.exitCode !== 0) log(`${f.name}, after removal: exit ${after.exitCode}\n${after.out}`);
  results.push({
    fault: f.name, injected: true, expectedCause: f.cause,
    doctor: { exitCode: during.exitCode, causeNamed: during.problems[0]?.startsWith(`${f.cause}:`) ?? false, causeLine: during.problems[0] ?? null, nextAction: during.nexts[0] ?? null },
    apply: null, nodeLeftAsPolicy: null, convergedAfterRemoval: after.exitCode === 0,
  });
  return { during, after };
}

describe.skipIf(testbedReason())(kvmTitle('doctor: a converged node, three faults, a node set up by hand'), () => {
  let node: TestNode;
  beforeAll(async () => {
    [node] = await startNodes({ flavor: 'full' }) as [TestNode];
    await installAgent(node);
    const r = await vmp(node, ['apply', '/root/examples/kvm-node.yaml', '--no-progress']);
    if (r.exitCode !== 0) throw new Error(`apply did not converge the node: ${r.stdout}${r.stderr}`);
  });
  afterAll(async () => {
    writeResults({ format: 'vm-provision/reliability-results/v1', source: 'test/e2e/doctor.test.ts', started, finished: new Date().toISOString(), nodes: 1, faults: results, kills: null });
    await node?.stop();
  });

  it('a converged node: exit 0, healthy; doctor takes no lock and changes nothing', async () => {
    const before = await nodeFingerprint(node);
    const d = await doctor(node);
    expect(d.exitCode, d.out).toBe(0);
    expect(d.out).toMatch(/^healthy: nothing keeps this node from running VM jobs/m);
    expect(d.out).toMatch(/^ok +advertised: 1 slot advertises HasVM = true, VM_Type = kvm/m);
    expect(d.out).toMatch(/^ok +libvirt: libvirt answers at qemu:\/\/\/session/m);
    const json = JSON.parse((await vmp(node, ['doctor', '--json'])).stdout) as { healthy: boolean; findings: Array<{ check: string; status: string }> };
    expect(json.healthy).toBe(true);
    expect(json.findings.map((f) => f.check)).toEqual(expect.arrayContaining(['vm-type', 'vm-memory', 'gahp-binary', 'kvm-device', 'libvirt', 'restart-owed', 'gahp-test', 'advertised', 'journal']));
    expect(await nodeFingerprint(node)).toBe(before);
    expect((await node.ssh(['test', '-e', '/run/vm-provision.lock'])).exitCode).not.toBe(0);
  });

  it('the libvirt daemon masked: exit 1, libvirt named first with unmask as the next action', async () => {
    const { during, after } = await fault(node, {
      name: 'libvirt daemon masked', cause: 'libvirt',
      inject: `systemctl mask --now ${LIBVIRT_UNITS.join(' ')}`,
      remove: `systemctl unmask ${LIBVIRT_UNITS.join(' ')} && systemctl start libvirtd.socket libvirtd.service`,
    });
    expect(during.exitCode, during.out).toBe(1);
    expect(during.problems[0], during.out).toMatch(/^libvirt: libvirt is not reachable at qemu:\/\/\/session/);
    expect(during.problems).toHaveLength(1);
    expect(during.out).toMatch(/^ {2}so gahp-test: the last gahp test failed/m);
    expect(during.out).toMatch(/VMGahpLog: .*Failed to create libvirt connection/);
    expect(during.nexts[0]).toMatch(/^systemctl unmask libvirtd\.service/);
    expect(after.exitCode, after.out).toBe(0);
  });

  it('VM_MEMORY = 0 in a later file: a restart owed before the restart, then vm-memory named with the file and line', async () => {
    await node.ssh(['tee', FAULT_FILE], { input: 'VM_MEMORY = 0\n' });
    const owed = await doctor(node);
    expect(owed.exitCode, owed.out).toBe(1);
    expect(owed.problems.map((p) => p.split(':')[0])).toEqual(['vm-memory', 'restart-owed']);
    expect(owed.out).toContain(`VM_MEMORY: the running startd has 1024, the files say 0 (${FAULT_FILE}, line 1)`);
    const { during, after } = await fault(node, { name: 'VM_MEMORY = 0 in a later file', cause: 'vm-memory', inject: 'true', remove: `rm -f ${FAULT_FILE}` });
    expect(during.exitCode, during.out).toBe(1);
    expect(during.problems[0], during.out).toMatch(/^vm-memory: VM_MEMORY is 0/);
    expect(during.out).toContain(`${FAULT_FILE}, line 1: VM_MEMORY = 0`);
    expect(during.out).toContain('overrides /etc/condor/config.d/50-vm-universe.config');
    expect(during.out).toMatch(/^ {2}so gahp-test: the last gahp test failed/m);
    expect(during.out).toContain("'VM_MEMORY' is not defined");
    expect(during.nexts[0]).toContain(`fix or remove VM_MEMORY at ${FAULT_FILE}, line 1`);
    expect(after.exitCode, after.out).toBe(0);
  });

  it('the gahp binary not executable: exit 1, gahp-binary named with its mode and chmod as the next action', async () => {
    const { during, after } = await fault(node, { name: 'gahp binary not executable', cause: 'gahp-binary', inject: `chmod a-x ${GAHP}`, remove: `chmod 755 ${GAHP}` });
    expect(during.exitCode, during.out).toBe(1);
    expect(during.problems[0], during.out).toMatch(/^gahp-binary: VM_GAHP_SERVER \/usr\/sbin\/condor_vm-gahp is not executable \(mode 0644\)/);
    expect(during.out).toMatch(/^ {2}so gahp-test: the last gahp test failed/m);
    expect(during.out).toMatch(/StartLog: .*To support vm universe, '\/usr\/sbin\/condor_vm-gahp' must be executable/);
    expect(during.nexts[0]).toMatch(/^chmod 755 \/usr\/sbin\/condor_vm-gahp/);
    expect(after.exitCode, after.out).toBe(0);
  });

  it('a node set up by hand (its own knobs, no vm-provision file, no journal): healthy', async () => {
    await node.sh('rm -rf /var/lib/vm-provision /etc/condor/config.d/50-vm-universe.config');
    await node.ssh(['tee', '/etc/condor/config.d/60-by-hand.config'], { input: 'VM_TYPE = kvm\nVM_MEMORY = 512\nVM_MAX_NUMBER = 1\n' });
    await restartStartd(node);
    const d = await doctor(node);
    log(`by hand: exit ${d.exitCode}\n${d.out}`);
    expect(d.exitCode, d.out).toBe(0);
    expect(d.out).toMatch(/^ok +vm-memory: VM_MEMORY = 512 MiB/m);
    expect(d.out).toMatch(/^ok +journal: no vm-provision journal/m);
  });

  it('a startd held in the master\'s restart backoff (two condor_restart in a row): backoff named with the seconds left, healthy once the master starts it', async () => {
    const restarting = async () => (await node.sh('grep -c "restarting .*condor_startd in" /var/log/condor/MasterLog || true')).stdout.trim();
    const first = await startdStart(node);
    await node.ssh(['condor_restart', '-startd']);
    for (let end = Date.now() + 300_000; (await startdStart(node)) <= first;) { if (Date.now() > end) throw new Error('the first restart did not come back'); await sleep(2000); }
    const seen = await restarting();
    const second = await startdStart(node);
    await node.ssh(['condor_restart', '-startd']);
    for (let end = Date.now() + 120_000; (await restarting()) === seen;) { if (Date.now() > end) break; await sleep(500); }
    const d = await doctor(node);
    log(`backoff: exit ${d.exitCode}\n${d.out}\nMasterLog:\n${(await node.sh('grep -h "condor_startd" /var/log/condor/MasterLog | tail -n 8')).stdout}`);
    expect(d.exitCode, d.out).toBe(1);
    expect(d.problems[0], d.out).toMatch(/^backoff: the master holds the startd back: it restarts it in \d+ s/);
    expect(d.out).toMatch(/^ {4}\/var\/log\/condor\/MasterLog: .*restarting \/usr\/sbin\/condor_startd in \d+ seconds$/m);
    expect(d.nexts[0]).toMatch(/^wait \d+ s; do not condor_restart the startd meanwhile/);
    for (let end = Date.now() + 300_000; (await startdStart(node)) <= second;) { if (Date.now() > end) throw new Error('the startd did not come back'); await sleep(2000); }
    const after = await doctor(node);
    expect(after.exitCode, after.out).toBe(0);
    results.push({
      fault: 'startd held in the master\'s restart backoff', injected: true, expectedCause: 'backoff',
      doctor: { exitCode: d.exitCode, causeNamed: d.problems[0]?.startsWith('backoff:') ?? false, causeLine: d.problems[0] ?? null, nextAction: d.nexts[0] ?? null },
      apply: null, nodeLeftAsPolicy: null, convergedAfterRemoval: after.exitCode === 0,
    });
  });
});
