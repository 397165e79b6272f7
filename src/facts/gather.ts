// Facts about the node, read through the Host (so the same code works locally and over SSH).
import type { Host } from '../host/host.ts';
import { which } from '../host/host.ts';
import { STARTD_VIEW, parseConfigValVerbose, type KnobSource } from '../condor/config-val.ts';
import { KNOBS } from '../condor/knobs.ts';
import { parseCondorVersionOutput, parseVersion, type CondorVersion } from '../condor/version.ts';
import { detectXenRole, readXenSignals, type XenDetection } from '../xen/dom0.ts';
import { splitList } from '../condor/config-order.ts';
import {
  cpuVirtFlags, osFamily, parseMemTotalMiB, parseOsRelease, parsePs, parseSystemctlShow,
  type OsFamily, type OsRelease, type UnitState,
} from './parse.ts';

export type PackageManager = 'apt-get' | 'dnf' | 'yum' | 'zypper';

export interface CondorFacts {
  installed: boolean;
  version?: CondorVersion;
  versionLine?: string;
  localConfigDirs: string[];
  localConfigFiles: string[];
  sbin?: string;
  log?: string;
  fullHostname?: string;
  vmGahpLog?: string;
  /** `condor_config_val -v` of every knob vm-provision may write, as the node has them now. */
  knobSources?: Record<string, KnobSource>;
  /** Daemons running now (condor_master, condor_startd, ...). */
  daemons: string[];
  masterRealUser?: string;
  startdPid?: number;
}

export interface Facts {
  hostname: string;
  os: OsRelease & { family: OsFamily };
  packageManager?: PackageManager;
  kernelRelease: string;
  isRoot: boolean;
  memTotalMiB?: number;
  kvm: { vmx: boolean; svm: boolean; devKvm: boolean };
  condor: CondorFacts;
  libvirt: { virsh?: string; units: UnitState[] };
  xen: XenDetection;
}

export const CONDOR_FACT_KNOBS = ['LOCAL_CONFIG_DIR', 'LOCAL_CONFIG_FILE', 'SBIN', 'LOG', 'FULL_HOSTNAME', 'VM_GAHP_LOG', 'CONDOR_VERSION'];
/** Every knob vm-provision may write, read in the same call so the config step needs no second one. */
export const WRITABLE_KNOBS = [...new Set([...KNOBS.map((k) => k.name), 'STARTD_ATTRS'])];
export const LIBVIRT_UNITS = ['libvirtd.service', 'libvirtd.socket', 'virtqemud.service', 'virtqemud.socket', 'virtxend.service', 'virtxend.socket'];

export async function gatherFacts(host: Host): Promise<Facts> {
  const [osText, kernel, meminfo, cpuinfo, devKvm, uid, condorVersionBin, virsh, ps, units, xen] = await Promise.all([
    host.readFile('/etc/os-release').then(async (t) => t ?? (await host.readFile('/usr/lib/os-release')) ?? ''),
    host.readFile('/proc/sys/kernel/osrelease'),
    host.readFile('/proc/meminfo'),
    host.readFile('/proc/cpuinfo'),
    host.fileInfo('/dev/kvm'),
    host.uid(),
    which(host, 'condor_version'),
    which(host, 'virsh'),
    host.exec('ps', ['-e', '-o', 'pid=', '-o', 'ruser=', '-o', 'comm=']),
    host.exec('systemctl', ['show', '-p', 'Id,LoadState,ActiveState,UnitFileState', ...LIBVIRT_UNITS]),
    readXenSignals(host).then(detectXenRole),
  ]);
  const os = parseOsRelease(osText);
  const packageManager = await detectPackageManager(host, osFamily(os));
  const procs = parsePs(ps.stdout);
  const condor = await gatherCondor(host, condorVersionBin !== undefined);
  condor.daemons = [...new Set(procs.filter((p) => p.comm.startsWith('condor_')).map((p) => p.comm))].sort();
  condor.masterRealUser = procs.find((p) => p.comm === 'condor_master')?.ruser;
  condor.startdPid = procs.find((p) => p.comm === 'condor_startd')?.pid;
  return {
    hostname: host.name,
    os: { ...os, family: osFamily(os) },
    packageManager,
    kernelRelease: (kernel ?? '').trim(),
    isRoot: uid === 0,
    memTotalMiB: meminfo ? parseMemTotalMiB(meminfo) : undefined,
    kvm: { ...cpuVirtFlags(cpuinfo ?? ''), devKvm: devKvm?.kind === 'other' },
    condor,
    libvirt: { virsh, units: units.exitCode === 0 ? parseSystemctlShow(units.stdout) : [] },
    xen,
  };
}

/** The OS family decides (Debian ships a dnf package too); the first one found only for unknown systems. */
async function detectPackageManager(host: Host, family: OsFamily): Promise<PackageManager | undefined> {
  const order: Record<OsFamily, PackageManager[]> = {
    debian: ['apt-get'], rhel: ['dnf', 'yum'], suse: ['zypper'], unknown: ['apt-get', 'dnf', 'yum', 'zypper'],
  };
  for (const pm of order[family]) if (await which(host, pm)) return pm;
  return undefined;
}

async function gatherCondor(host: Host, installed: boolean): Promise<CondorFacts> {
  const none: CondorFacts = { installed: false, localConfigDirs: [], localConfigFiles: [], daemons: [] };
  if (!installed) return none;
  const names = [...CONDOR_FACT_KNOBS, ...WRITABLE_KNOBS];
  // As the startd reads it: a STARTD.NAME line wins over NAME there.
  const cfg = await host.exec('condor_config_val', [...STARTD_VIEW, ...names]);
  const knobs = parseConfigValVerbose(cfg.stdout, names);
  const val = (n: string) => { const k = knobs.get(n) as KnobSource; return k.defined ? k.value : undefined; };
  // CONDOR_VERSION is a built-in macro; condor_version is the fallback for releases without it.
  let version = val('CONDOR_VERSION') ? parseVersion(val('CONDOR_VERSION')!) : undefined;
  let versionLine = version ? `CONDOR_VERSION = ${val('CONDOR_VERSION')}` : undefined;
  if (!version) {
    const ver = await host.exec('condor_version', []);
    version = parseCondorVersionOutput(ver.stdout);
    versionLine = ver.stdout.split('\n')[0];
  }
  return {
    installed: true,
    version,
    versionLine,
    knobSources: Object.fromEntries(WRITABLE_KNOBS.map((n) => [n, knobs.get(n)!])),
    localConfigDirs: splitList(val('LOCAL_CONFIG_DIR')),
    localConfigFiles: splitList(val('LOCAL_CONFIG_FILE')),
    sbin: val('SBIN'),
    log: val('LOG'),
    fullHostname: val('FULL_HOSTNAME'),
    vmGahpLog: val('VM_GAHP_LOG'),
    daemons: [],
  };
}
