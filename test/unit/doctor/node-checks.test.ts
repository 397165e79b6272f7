// doctor's checks of the node under HTCondor, on the fake node: a run in progress (the run lock's holder), a
// read-only or full directory where apply writes, the clock against the collector's, the last failed apply, and a
// collector of the node's own that is down. Each is named as the first problem, with what follows under it.
import { describe, expect, it } from 'vitest';
import { DROP_IN, HOST } from '../../helpers/facts-fixture.ts';
import { formatDiagnosis } from '../../../src/doctor/format.ts';
import { JOURNAL_FILE, LOCK_FILE } from '../../../src/engine/journal.ts';
import { DF_HEADER, MOUNTINFO, byCheck, diagnoseFake, doctorNode, rootProblems } from './helpers.ts';

const firstProblem = (text: string) => /^PROBLEM (\S+):/m.exec(text)?.[1];

describe('doctor: the node under HTCondor', () => {
  it('a vm-provision run in progress (its PID runs vm-provision): named first, wait for it', async () => {
    const { host } = doctorNode();
    host.file(LOCK_FILE, '{"pid":4242,"since":"2026-12-01T18:00:00.000Z","argv":"apply /root/kvm.yaml"}\n')
      .file('/proc/4242/cmdline', 'node\0/usr/local/bin/vm-provision\0apply\0/root/kvm.yaml\0');
    const d = await diagnoseFake(host);
    const f = byCheck(d, 'apply-running');
    expect(f.status).toBe('problem');
    expect(f.summary).toMatch(/^a vm-provision run is in progress: PID 4242 \(since 2026-12-01T18:00:00\.000Z\): vm-provision apply \/root\/kvm\.yaml/);
    expect(f.action).toBe(`wait for PID 4242 to finish (it holds ${LOCK_FILE}), then run vm-provision doctor again`);
    expect(firstProblem(formatDiagnosis(d))).toBe('apply-running');
  });

  it('a lock file left by a killed run (its PID gone, or reused by another program) is no run in progress', async () => {
    const { host } = doctorNode();
    host.file(LOCK_FILE, '{"pid":4242,"since":"2026-12-01T18:00:00.000Z","argv":"apply x"}\n');
    expect((await diagnoseFake(host)).findings.some((f) => f.check === 'apply-running')).toBe(false);
    host.file('/proc/4242/cmdline', '/usr/sbin/sshd\0-D\0');
    const d = await diagnoseFake(host);
    expect(d.findings.some((f) => f.check === 'apply-running')).toBe(false);
    expect(d.healthy).toBe(true);
  });

  it('/etc/condor bind-mounted read-only: read-only names the mount and the remount; the failed apply follows from it', async () => {
    const { host } = doctorNode();
    host.file('/proc/self/mountinfo', `${MOUNTINFO}\n1475 1223 0:108 /etc/condor /etc/condor ro,relatime shared:639 - overlay overlay rw,lowerdir=/l\n`)
      .file(JOURNAL_FILE, JSON.stringify({ lastFailure: { at: '2026-12-01T18:50:38.000Z', step: 'condor-config', code: 'FILESYSTEM', message: 'cannot write /etc/condor/config.d/50-vm-universe.config: /etc/condor/config.d is on a read-only file system (EROFS)', hint: 'remount it read-write' } }));
    const d = await diagnoseFake(host);
    expect(rootProblems(d)).toEqual(['read-only']);
    expect(byCheck(d, 'read-only').summary).toBe('/etc/condor/config.d is on a read-only mount (/etc/condor, overlay): vm-provision apply cannot write the HTCondor config there');
    expect(byCheck(d, 'read-only').action).toMatch(/^make \/etc\/condor writable \(mount -o remount,rw \/etc\/condor/);
    expect(byCheck(d, 'last-apply')).toMatchObject({ status: 'problem', causedBy: 'read-only' });
    const text = formatDiagnosis(d);
    expect(firstProblem(text)).toBe('read-only');
    expect(text).toMatch(/^ {2}so last-apply: the last vm-provision apply failed \(2026-12-01T18:50:38\.000Z, step condor-config\): cannot write/m);
  });

  it('a full tmpfs on /var/lib/vm-provision: disk-full names the directory, what is free and where to free space', async () => {
    const { host } = doctorNode({ df: { '/var/lib/vm-provision': '256 0 tmpfs /var/lib/vm-provision' } });
    host.dir('/var/lib/vm-provision');
    const d = await diagnoseFake(host);
    expect(rootProblems(d)).toEqual(['disk-full']);
    expect(byCheck(d, 'disk-full').summary).toBe(`/var/lib/vm-provision is full: 0 KiB free of 256 KiB (tmpfs on /var/lib/vm-provision): vm-provision apply cannot write its journal (${JOURNAL_FILE}) there`);
    expect(byCheck(d, 'disk-full').action).toMatch(/^free space on \/var\/lib\/vm-provision \(df -h \/var\/lib\/vm-provision/);
    expect(host.commandLines()).toContain('df -k --output=size,avail,fstype,target -- /var/lib/vm-provision');
  });

  it('without /var/lib/vm-provision yet, df asks for its nearest existing parent', async () => {
    const { host } = doctorNode();
    host.dir('/var/lib');
    const d = await diagnoseFake(host);
    expect(byCheck(d, 'writable').summary).toMatch(/^\/etc\/condor\/config\.d writable, \d+ MiB free; \/var\/lib writable, \d+ MiB free$/);
    expect(host.commandLines()).toContain('df -k --output=size,avail,fstype,target -- /var/lib');
  });

  it('the clock 5 years ahead of the collector\'s LastHeardFrom: clock named first with the fix', async () => {
    const { host } = doctorNode();
    const now = host.clock;
    host.on((c) => c.cmd === 'condor_status' && c.args[1] === 'LastHeardFrom', { stdout: `${now - 5 * 365 * 86400}\n` });
    const d = await diagnoseFake(host);
    expect(rootProblems(d)).toEqual(['clock']);
    expect(byCheck(d, 'clock').summary).toMatch(/^this node's clock \(\S+\) is about 5\.0 years ahead of the collector's \(it last heard from this node at \S+, by its clock\)/);
    expect(byCheck(d, 'clock').action).toMatch(/^set the clock \(timedatectl set-ntp true/);
  });

  it('a failed apply and no VM_TYPE (the build failed before the config was written): the failed apply is the cause, VM_TYPE follows', async () => {
    const { host } = doctorNode({ noDropIn: true });
    host.file(JOURNAL_FILE, JSON.stringify({ lastFailure: { at: '2026-12-01T19:00:00.000Z', step: 'initrd', code: 'INITRD', message: 'dracut failed to build the Xen initrd for kernel 6.12.48+deb13-amd64 (exit 1)', hint: 'read dracut\'s last lines below, fix the cause, then run vm-provision again' } }));
    const d = await diagnoseFake(host);
    expect(rootProblems(d)).toEqual(['last-apply']);
    expect(byCheck(d, 'vm-type')).toMatchObject({ status: 'problem', causedBy: 'last-apply' });
    expect(byCheck(d, 'last-apply').action).toBe('read dracut\'s last lines below, fix the cause; then run vm-provision apply PROFILE again (a run that succeeds clears this)');
    expect(firstProblem(formatDiagnosis(d))).toBe('last-apply');
  });

  it('the collector of a one-node pool stopped (condor_off -collector): named as ours, with condor_on -collector', async () => {
    const { host, node } = doctorNode();
    host.on(['condor_config_val', 'DAEMON_LIST'], { stdout: 'MASTER, COLLECTOR, NEGOTIATOR, SCHEDD, STARTD\n' });
    node.collectorFailure = { exitCode: 1, stderr: 'Error: communication error\nCEDAR:6001:Failed to connect to <127.0.0.1:9618>\n' };
    const d = await diagnoseFake(host);
    expect(rootProblems(d)).toEqual(['collector']);
    expect(byCheck(d, 'collector').summary).toBe('the collector runs on this node (DAEMON_LIST has COLLECTOR) and condor_collector is not running: no one can ask it for this machine\'s ads');
    expect(byCheck(d, 'collector').action).toMatch(/^condor_on -collector/);
    expect(byCheck(d, 'collector').evidence[1]).toContain(`Machine == "${HOST}"`);
  });

  it('DF_HEADER and the default df row parse as a roomy root', async () => {
    const { host } = doctorNode();
    const d = await diagnoseFake(host);
    expect(DF_HEADER).toMatch(/^1K-blocks/);
    expect(byCheck(d, 'writable').summary).toContain(`${DROP_IN.replace(/\/[^/]+$/, '')} writable`);
  });
});
