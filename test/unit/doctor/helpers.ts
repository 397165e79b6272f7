// A fake Debian 13 / HTCondor 23.9.6 node for doctor, composed on the shared fakeNode: the commands doctor runs
// beyond apply's (stat, dd on /dev/kvm, virsh -c qemu:///session uri, condor_status with doctor's attributes) and
// the StartLog lines of the startd's gahp test, following the node's state.
import { output } from '../../helpers/fake-host.ts';
import { DROP_IN, HOST, START_LOG, fakeNode, type NodeOptions } from '../../helpers/facts-fixture.ts';
import { runChecks } from '../../../src/doctor/diagnose.ts';
import { gatherEvidence } from '../../../src/doctor/gather.ts';
import type { Diagnosis, Finding } from '../../../src/doctor/finding.ts';

export const OUR_CONFIG = [
  '# Written by vm-provision from host profile "kvm-node" for HTCondor 23.9.6 (linux).',
  'VM_TYPE                        = kvm',
  'VM_GAHP_SERVER                 = $(SBIN)/condor_vm-gahp',
  'VM_GAHP_LOG                    = $(LOG)/VMGahpLog',
  'VM_MEMORY                      = 1024',
  'VM_MAX_NUMBER                  = 2',
  'VM_NETWORKING                  = false',
  '',
].join('\n');
export const GAHP = '/usr/sbin/condor_vm-gahp';
export const MASTER_LOG = '/var/log/condor/MasterLog';
/** An mtime well before the fake startd's DaemonStartTime (1795468548). */
export const OLD_MTIME = 1795400000;

/** A testbed node's root (/proc/self/mountinfo), and df's header. */
export const MOUNTINFO = '1223 1222 0:108 / / rw,relatime shared:639 - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w';
export const DF_HEADER = '1K-blocks     Avail Type    Mounted on';

export interface DoctorNodeOptions extends NodeOptions {
  /** df's row per directory asked (size avail fstype target); default: a roomy overlay on /. */
  df?: Record<string, string>;
  /** What open(2) of /dev/kvm says: ok, or an errno text as dd prints it. */
  kvmOpen?: 'ok' | 'No such device' | 'No such device or address' | 'Permission denied';
  /** Without our drop-in (a node set up by hand, or not at all). */
  noDropIn?: boolean;
  mtimes?: Record<string, number>;
}

export function logTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getMonth() + 1)}/${p(d.getDate())}/${p(d.getFullYear() % 100)} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function doctorNode(opts: DoctorNodeOptions = {}) {
  const files = { ...(opts.noDropIn ? {} : { [DROP_IN]: OUR_CONFIG }), ...opts.files };
  const { host, node } = fakeNode({ ...opts, files });
  const extra: { vmOfflineReason?: string; offlineUniverses?: string } = {};
  host.bin(GAHP);
  const mtimes = opts.mtimes ?? {};
  const append = (path: string, line: string) => host.file(path, `${host.content(path) ?? ''}${line}\n`);
  /** The StartLog of the startd's gahp test at its start: the fake logs failures; a pass and the test's first line are ours. */
  const logTest = (before: string) => {
    const at = logTime(node.startdStart);
    const now = host.content(START_LOG) ?? '';
    host.file(START_LOG, `${before}${at} VM universe will be tested to check if it is available\n${now.slice(before.length)}`);
    if (node.advertised.hasVm) append(START_LOG, `${at} VMType('${node.advertised.vmType}') is supported`);
  };
  logTest('');
  const libvirtUp = () => {
    const svc = node.units.get('libvirtd.service');
    const sock = node.units.get('libvirtd.socket');
    return svc?.loadState !== 'masked' && (svc?.activeState === 'active' || sock?.activeState === 'active');
  };
  host.file('/proc/self/mountinfo', `${MOUNTINFO}\n`);
  host
    .on((c) => c.cmd === 'df', (c) => ({ stdout: `${DF_HEADER}\n${opts.df?.[c.args.at(-1)!] ?? '263174212 81203708 overlay /'}\n` }))
    .on((c) => c.cmd === 'stat', (c) => ({ stdout: c.args.slice(3).filter((p) => host.exists(p)).map((p) => `${mtimes[p] ?? OLD_MTIME} ${p}\n`).join('') }))
    .on((c) => c.cmd === 'dd', () => (opts.kvmOpen && opts.kvmOpen !== 'ok' ? { exitCode: 1, stderr: `dd: failed to open '/dev/kvm': ${opts.kvmOpen}\n` } : {}))
    .on((c) => c.cmd === '/usr/bin/virsh', (c) => (libvirtUp() ? { stdout: `${c.args[1]}\n\n` }
      : { exitCode: 1, stderr: "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/var/run/libvirt/libvirt-sock': Connection refused\n" }))
    .on((c) => c.cmd === 'condor_status' && c.args.includes('VMOfflineReason'), () => {
      if (node.collectorFailure) return node.collectorFailure;
      const a = node.advertised;
      return { stdout: `slot1@${HOST}\t${a.hasVm}\t${a.vmType ?? 'undefined'}\t${a.vmMemory ?? 'undefined'}\t${node.startdStart}\t${extra.offlineUniverses ?? 'undefined'}\t${extra.vmOfflineReason ?? 'undefined'}\n` };
    });
  /** condor_restart -startd as the admin would, then the gahp test's StartLog lines. */
  const restart = async () => {
    const before = host.content(START_LOG) ?? '';
    await host.exec('condor_restart', ['-startd']);
    logTest(before);
  };
  /** The startd is gone (ps no longer lists it), e.g. while the master holds it back. */
  const stopStartd = () => {
    host.on(['ps', '-e', '-o', 'pid=', '-o', 'ruser=', '-o', 'comm='], () => ({ stdout: output('ps-e-pid-ruser-comm.stdout').replace(/^.*condor_startd\n/m, '') }));
    node.startdQueryFailure = { exitCode: 1, stderr: "Can't find address for startd 'default' in local pool\n" };
  };
  return { host, node, extra, mtimes, restart, stopStartd };
}

export async function diagnoseFake(host: Parameters<typeof gatherEvidence>[0]): Promise<Diagnosis> {
  return runChecks(await gatherEvidence(host));
}

export const byCheck = (d: Diagnosis, check: string): Finding => {
  const f = d.findings.find((x) => x.check === check);
  if (!f) throw new Error(`no finding ${check}: ${d.findings.map((x) => x.check).join(', ')}`);
  return f;
};

export const problems = (d: Diagnosis) => d.findings.filter((f) => f.status === 'problem').map((f) => f.check);
export const rootProblems = (d: Diagnosis) => d.findings.filter((f) => f.status === 'problem' && !f.causedBy).map((f) => f.check);
