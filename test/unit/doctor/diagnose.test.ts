// doctor against a fake Debian 13 / HTCondor 23.9.6 node: a healthy node, then one fault at a time; each names the
// real cause (with its evidence and next action) and links what follows from it to that cause.
import { describe, expect, it } from 'vitest';
import { DROP_IN, START_LOG, UNITS } from '../../helpers/facts-fixture.ts';
import { JOURNAL_FILE } from '../../../src/engine/journal.ts';
import { formatDiagnosis } from '../../../src/doctor/format.ts';
import { GAHP, MASTER_LOG, OUR_CONFIG, byCheck, diagnoseFake, doctorNode, logTime, problems, rootProblems } from './helpers.ts';

describe('doctor on a fake node', () => {
  it('a converged node is healthy: every check ok, and doctor ran only reads (no write, no lock)', async () => {
    const { host } = doctorNode();
    host.clearLog();
    const d = await diagnoseFake(host);
    expect(d.healthy).toBe(true);
    expect(d.findings.filter((f) => f.status !== 'ok')).toEqual([]);
    expect(d.findings.map((f) => f.check)).toEqual(['htcondor', 'writable', 'clock', 'startd', 'vm-type', 'knobs', 'vm-memory', 'gahp-binary', 'kvm-device', 'libvirt', 'restart-owed', 'gahp-test', 'advertised', 'journal']);
    expect(byCheck(d, 'vm-memory').evidence).toEqual([`${DROP_IN}, line 5: VM_MEMORY = 1024`]);
    expect(byCheck(d, 'advertised').summary).toBe('1 slot advertises HasVM = true, VM_Type = kvm');
    expect(host.mutations()).toEqual([]);
    expect(host.log.some((o) => o.op === 'lock')).toBe(false);
    expect(host.commandLines()).toContain('/usr/bin/virsh -c qemu:///session uri');
  });

  it('libvirt daemon masked: libvirt is the one cause; the failed gahp test and HasVM = false follow from it', async () => {
    const { host, restart } = doctorNode({ units: UNITS.debianMasked() });
    await restart();
    const d = await diagnoseFake(host);
    expect(d.healthy).toBe(false);
    expect(rootProblems(d)).toEqual(['libvirt']);
    const l = byCheck(d, 'libvirt');
    expect(l.summary).toMatch(/^libvirt is not reachable at qemu:\/\/\/session, the URI the gahp opens as root: the gahp test fails/);
    expect(l.evidence[0]).toContain("Failed to connect socket to '/var/run/libvirt/libvirt-sock'");
    expect(l.evidence[1]).toMatch(/^systemctl: libvirtd\.service: masked/);
    expect(l.action).toMatch(/^systemctl unmask libvirtd\.service.*; systemctl enable --now libvirtd\.socket libvirtd\.service; then condor_restart -startd/);
    expect(byCheck(d, 'gahp-test')).toMatchObject({ status: 'problem', causedBy: 'libvirt' });
    expect(byCheck(d, 'gahp-test').summary).toContain('libvirt not reachable');
    expect(byCheck(d, 'advertised')).toMatchObject({ status: 'problem', causedBy: 'gahp-test' });
  });

  it('gahp binary not executable: gahp-binary names the path and mode, and chmod is the next action', async () => {
    const { host, node, restart } = doctorNode();
    host.file(GAHP, '\x7fELF', { mode: 0o644 });
    node.installed.delete('condor-vm-gahp');
    await restart();
    const d = await diagnoseFake(host);
    expect(rootProblems(d)).toEqual(['gahp-binary']);
    const g = byCheck(d, 'gahp-binary');
    expect(g.summary).toBe('VM_GAHP_SERVER /usr/sbin/condor_vm-gahp is not executable (mode 0644): the startd turns the VM universe off');
    expect(g.action).toMatch(/^chmod 755 \/usr\/sbin\/condor_vm-gahp/);
    expect(byCheck(d, 'gahp-test')).toMatchObject({ causedBy: 'gahp-binary' });
    expect(byCheck(d, 'gahp-test').evidence.join('\n')).toContain("must be executable");
  });

  it('an older gahp failure in VMGahpLog (its message on a line without a time) is not blamed for today\'s', async () => {
    const { host, node, restart } = doctorNode();
    host.file('/var/log/condor/VMGahpLog', `${logTime(node.startdStart - 60)} \nERROR: 'VM_MEMORY' is not defined in configuration\n`);
    host.file(GAHP, '\x7fELF', { mode: 0o644 });
    node.installed.delete('condor-vm-gahp');
    await restart();
    const d = await diagnoseFake(host);
    expect(rootProblems(d)).toEqual(['gahp-binary']);
    expect(byCheck(d, 'gahp-test').summary).not.toContain('VM_MEMORY');
    expect(byCheck(d, 'gahp-test').summary).toContain('must be executable');
  });

  it('gahp binary missing: the package is the next action', async () => {
    const { host } = doctorNode();
    host.unlink(GAHP);
    const d = await diagnoseFake(host);
    expect(byCheck(d, 'gahp-binary')).toMatchObject({ status: 'problem', summary: expect.stringContaining('/usr/sbin/condor_vm-gahp does not exist') });
    expect(byCheck(d, 'gahp-binary').action).toMatch(/^install the condor-vm-gahp package/);
  });

  it('VM_MEMORY overridden to 0 by a later file: vm-memory names that file and line and the value it overrides', async () => {
    const { host, restart } = doctorNode({ files: { '/etc/condor/config.d/99-zero.config': '# site\nVM_MEMORY = 0\n' } });
    await restart();
    const d = await diagnoseFake(host);
    expect(rootProblems(d)).toEqual(['vm-memory']);
    const m = byCheck(d, 'vm-memory');
    expect(m.summary).toMatch(/^VM_MEMORY is 0: the gahp test fails without VM memory/);
    expect(m.evidence).toEqual(['/etc/condor/config.d/99-zero.config, line 2: VM_MEMORY = 0', `overrides ${DROP_IN}, line 5: VM_MEMORY = 1024`]);
    expect(m.action).toMatch(/^fix or remove VM_MEMORY at \/etc\/condor\/config\.d\/99-zero\.config, line 2 \(read after the file that sets it > 0, it wins\)/);
    expect(byCheck(d, 'gahp-test')).toMatchObject({ causedBy: 'vm-memory' });
    expect(byCheck(d, 'restart-owed').status).toBe('ok');
  });

  it('VM_MEMORY written but no restart yet: the restart owed names the knob, both values and the file', async () => {
    const { host, mtimes } = doctorNode();
    host.file(DROP_IN, OUR_CONFIG.replace('= 1024', '= 2048'));
    mtimes[DROP_IN] = 1795468590;
    const d = await diagnoseFake(host);
    expect(rootProblems(d)).toEqual(['restart-owed']);
    const r = byCheck(d, 'restart-owed');
    expect(r.summary).toMatch(/^the running startd predates the config \(started 20\d\d-.*\): 1 VM setting changed since it started$/);
    expect(r.evidence[0]).toBe(`VM_MEMORY: the running startd has 1024, the files say 2048 (${DROP_IN}, line 5)`);
    expect(r.evidence[1]).toMatch(new RegExp(`^${DROP_IN}: modified .*, after the startd started$`));
    expect(r.action).toMatch(/^condor_restart -startd/);
  });

  it('the startd cannot be asked but a config file is newer than its DaemonStartTime: a restart may be owed (warning)', async () => {
    const { host, node, mtimes } = doctorNode();
    node.startdQueryFailure = { exitCode: 1, stderr: 'Failed to connect to <10.213.0.2:9618>\n' };
    mtimes[DROP_IN] = 1795468590;
    const d = await diagnoseFake(host);
    expect(byCheck(d, 'restart-owed')).toMatchObject({ status: 'warn', summary: expect.stringMatching(/^cannot ask the running startd for its config \(Failed to connect.*\), and 1 config file changed after it started/) });
    expect(d.healthy).toBe(true);
  });

  it('/dev/kvm missing: kvm-device is a problem with the module as the next action', async () => {
    const { host } = doctorNode();
    host.unlink('/dev/kvm');
    const d = await diagnoseFake(host);
    expect(byCheck(d, 'kvm-device')).toMatchObject({ status: 'problem', summary: expect.stringMatching(/^\/dev\/kvm is missing: the gahp test fails/) });
    expect(byCheck(d, 'kvm-device').action).toMatch(/^load the kvm module/);
    expect(host.callsOf('dd')).toEqual([]);
  });

  it('/dev/kvm not accessible (open says EACCES): a problem naming what open() said', async () => {
    const { host } = doctorNode({ kvmOpen: 'Permission denied' });
    const d = await diagnoseFake(host);
    const k = byCheck(d, 'kvm-device');
    expect(k.status).toBe('problem');
    expect(k.summary).toBe('/dev/kvm cannot be opened for read as uid 0: Permission denied (EACCES)');
    expect(k.action).toMatch(/device cgroup/);
  });

  it('a placeholder /dev/kvm (open says ENODEV) is a warning: the gahp test passes, VM jobs could not start', async () => {
    const { host } = doctorNode({ kvmOpen: 'No such device' });
    const d = await diagnoseFake(host);
    const k = byCheck(d, 'kvm-device');
    expect(k.status).toBe('warn');
    expect(k.summary).toMatch(/open\(\) says "No such device" \(ENODEV\)/);
    expect(k.evidence).toEqual(['open(/dev/kvm) for read as uid 0: No such device (ENODEV)', 'open(/dev/kvm) for write as uid 0: No such device (ENODEV)']);
    expect(d.healthy).toBe(true);
  });

  it('the startd held in the master\'s backoff: one cause (backoff, with the seconds left), the rest follows from it', async () => {
    const { host, node, stopStartd } = doctorNode();
    host.file(MASTER_LOG, [
      `${logTime(host.clock - 200)} restarting /usr/sbin/condor_startd in 73 seconds`,
      `${logTime(host.clock - 127)} Started DaemonCore process "/usr/sbin/condor_startd", pid and pgroup = 4242`,
      `${logTime(host.clock - 10)} The STARTD (pid 4242) exited with status 0`,
      `${logTime(host.clock - 10)} restarting /usr/sbin/condor_startd in 137 seconds`,
      '',
    ].join('\n'));
    stopStartd();
    node.collectorFailure = { stdout: '' };
    const d = await diagnoseFake(host);
    expect(rootProblems(d)).toEqual(['backoff']);
    const b = byCheck(d, 'backoff');
    expect(b.summary).toMatch(/^the master holds the startd back: it restarts it in 127 s/);
    expect(b.evidence).toEqual([`${MASTER_LOG}: ${logTime(host.clock - 10)} restarting /usr/sbin/condor_startd in 137 seconds`]);
    expect(b.action).toMatch(/^wait 127 s; do not condor_restart/);
    expect(byCheck(d, 'startd')).toMatchObject({ status: 'problem', causedBy: 'backoff' });
    expect(byCheck(d, 'advertised')).toMatchObject({ status: 'problem', causedBy: 'backoff' });
  });

  it('a backoff the master has already served (the startd started again) is no finding', async () => {
    const { host } = doctorNode();
    host.file(MASTER_LOG, `${logTime(host.clock - 30)} restarting /usr/sbin/condor_startd in 11 seconds\n${logTime(host.clock - 19)} Started DaemonCore process "/usr/sbin/condor_startd", pid and pgroup = 4243\n`);
    const d = await diagnoseFake(host);
    expect(d.findings.some((f) => f.check === 'backoff')).toBe(false);
    expect(d.healthy).toBe(true);
  });

  it('not advertised with VMOfflineReason: the reason and how to bring the universe back', async () => {
    const { host, node, extra } = doctorNode();
    node.advertised = { hasVm: false };
    extra.vmOfflineReason = 'Failed to create libvirt domain: internal error';
    extra.offlineUniverses = '{ "VM",13 }';
    const d = await diagnoseFake(host);
    const a = byCheck(d, 'advertised');
    expect(a.status).toBe('problem');
    expect(a.summary).toBe('the startd took the VM universe offline: Failed to create libvirt domain: internal error');
    expect(a.evidence[0]).toContain('OfflineUniverses = { "VM",13 }');
    expect(a.action).toContain('condor_update_machine_ad');
  });

  it('collector unreachable: a collector problem with what condor_status said', async () => {
    const { host, node } = doctorNode();
    node.collectorFailure = { exitCode: 1, stderr: 'Error: communication error\nCEDAR:6001:Failed to connect to <10.213.0.1:9618>\n' };
    const d = await diagnoseFake(host);
    expect(rootProblems(d)).toEqual(['collector']);
    expect(byCheck(d, 'collector').summary).toBe('cannot ask the collector for this machine\'s ads: Error: communication error CEDAR:6001:Failed to connect to <10.213.0.1:9618>');
    expect(byCheck(d, 'collector').action).toMatch(/CONDOR_HOST/);
  });

  it('a node set up by hand (its own file, no journal) is healthy', async () => {
    const { host, restart } = doctorNode({ noDropIn: true, files: { '/etc/condor/config.d/60-by-hand.config': 'VM_TYPE = kvm\nVM_MEMORY = 512\n' } });
    await restart();
    const d = await diagnoseFake(host);
    expect(problems(d)).toEqual([]);
    expect(byCheck(d, 'vm-memory').evidence).toEqual(['/etc/condor/config.d/60-by-hand.config, line 2: VM_MEMORY = 512']);
    expect(byCheck(d, 'journal').summary).toMatch(/^no vm-provision journal/);
  });

  it('Xen off a Dom0 with an unreadable XEN_BOOTLOADER: both named; libvirt is asked at xen:///', async () => {
    const { host } = doctorNode({ noDropIn: true, files: { '/etc/condor/config.d/50-xen.config': 'VM_TYPE = xen\nVM_MEMORY = 1024\nXEN_BOOTLOADER = /usr/lib/xen-4.20/bin/pygrub\n' } });
    const d = await diagnoseFake(host);
    expect(byCheck(d, 'xen-dom0')).toMatchObject({ status: 'problem', summary: expect.stringMatching(/^not a Xen Dom0 \(none\): \/sys\/hypervisor\/type missing/) });
    expect(byCheck(d, 'xen-bootloader')).toMatchObject({ status: 'problem', summary: expect.stringContaining('XEN_BOOTLOADER /usr/lib/xen-4.20/bin/pygrub does not exist') });
    expect(host.commandLines()).toContain('/usr/bin/virsh -c xen:/// uri');
    expect(d.findings.some((f) => f.check === 'kvm-device')).toBe(false);
  });

  it('a node with no VM configuration at all: VM_TYPE is the cause', async () => {
    const { host } = doctorNode({ noDropIn: true });
    const d = await diagnoseFake(host);
    expect(rootProblems(d)).toEqual(['vm-type']);
    expect(byCheck(d, 'advertised')).toMatchObject({ causedBy: 'vm-type' });
  });

  it('a knob this version does not read is a warning naming its file and line', async () => {
    const { host } = doctorNode({ files: { '/etc/condor/config.d/70-old.config': 'VM_SCRIPT = $(SBIN)/condor_vm_xen.sh\n' } });
    const d = await diagnoseFake(host);
    expect(byCheck(d, 'knobs')).toMatchObject({ status: 'warn', evidence: ['/etc/condor/config.d/70-old.config, line 1: VM_SCRIPT = $(SBIN)/condor_vm_xen.sh (read by HTCondor 7.4–7.5 only)'] });
  });

  it('a restart owed in our journal while the startd runs the config: a warning to let apply clear it', async () => {
    const { host } = doctorNode({ files: { [JOURNAL_FILE]: JSON.stringify({ pendingRestart: { reason: 'config changed', since: '2026-11-23T21:27:00.000Z' } }) } });
    const d = await diagnoseFake(host);
    expect(byCheck(d, 'journal')).toMatchObject({ status: 'warn', evidence: [`${JOURNAL_FILE}: pendingRestart since 2026-11-23T21:27:00.000Z: config changed`] });
    expect(d.healthy).toBe(true);
  });

  it('a drain of ours still on: a warning with the request id and how to cancel it', async () => {
    const pendingDrain = { requestId: '7', target: '<10.213.0.2:9618>', since: '2026-11-23T21:27:00.000Z', reason: 'config changed' };
    const { host } = doctorNode({ files: { [JOURNAL_FILE]: JSON.stringify({ pendingDrain, pendingRestart: { reason: 'config changed', since: pendingDrain.since } }) } });
    const d = await diagnoseFake(host);
    expect(byCheck(d, 'journal').action).toContain("condor_drain -cancel -request-id 7 '<10.213.0.2:9618>'");
  });

  it('a startd vm-provision turned off and never on (a run killed between condor_off and condor_on): a problem, condor_on -startd', async () => {
    const { host } = doctorNode({ files: { [JOURNAL_FILE]: JSON.stringify({ startdOff: { since: '2026-12-02T01:00:00.000Z' }, pendingRestart: { reason: 'config changed', since: '2026-12-02T01:00:00.000Z' } }) } });
    const d = await diagnoseFake(host);
    expect(byCheck(d, 'journal')).toMatchObject({ status: 'problem', summary: expect.stringMatching(/turned the startd off at 2026-12-02T01:00:00.000Z to restart it/), action: expect.stringMatching(/^condor_on -startd/) });
    expect(d.healthy).toBe(false);
  });

  it('run as a user other than root: a warning that the checks ran as that user', async () => {
    const { host } = doctorNode();
    host.on(['id', '-u'], { stdout: '1000\n' });
    const d = await diagnoseFake(host);
    expect(byCheck(d, 'user')).toMatchObject({ status: 'warn', summary: expect.stringMatching(/^doctor runs as uid 1000, not root/) });
  });

  it('plain output: the cause first and once, what follows under it, then warnings, then the ok checks one line each', async () => {
    const { host, restart } = doctorNode({ units: UNITS.debianMasked(), kvmOpen: 'No such device' });
    await restart();
    const text = formatDiagnosis(await diagnoseFake(host));
    const lines = text.split('\n');
    expect(lines[0]).toBe('vm-provision doctor on vmp-clim4ti-1 (HTCondor 23.9.6, VM_TYPE kvm)');
    expect(lines[1]).toBe('1 problem keeps this node from running VM jobs:');
    expect(lines[2]).toMatch(/^PROBLEM libvirt: /);
    expect(text.match(/^PROBLEM /gm)).toHaveLength(1);
    expect(text.match(/^ {2}next: /gm)?.length).toBe(2);
    expect(text.indexOf('  so gahp-test:')).toBeGreaterThan(text.indexOf('PROBLEM libvirt'));
    expect(text.indexOf('  so advertised:')).toBeGreaterThan(text.indexOf('  so gahp-test:'));
    expect(text.indexOf('WARNING kvm-device')).toBeGreaterThan(text.indexOf('  next: systemctl unmask'));
    expect(lines.filter((l) => l.startsWith('ok ')).map((l) => l.split(':')[0])).toEqual(['ok      htcondor', 'ok      writable', 'ok      clock', 'ok      startd', 'ok      vm-type', 'ok      knobs', 'ok      vm-memory', 'ok      gahp-binary', 'ok      restart-owed', 'ok      journal']);
    // The cause's words once: libvirt's summary; the gahp log line is evidence, not a second cause.
    expect(text.match(/libvirt is not reachable/g)).toHaveLength(1);
    expect(text).toMatch(/^ {2}so gahp-test: the last gahp test failed \([^)]*\)$/m);
    expect(text).toMatch(/^ {2}so advertised: the startd advertises HasVM = false: no VM job can match this node$/m);
    expect(host.content(START_LOG)).toContain('VM universe will be tested');
  });
});
