// Facts and whole nodes for step and engine tests: a Facts object built by hand (factsFixture), and a
// FakeHost that behaves like a Debian 13 HTCondor 23.9.6 execute node (fakeNode) for gatherFacts and apply().
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Facts } from '../../src/facts/gather.ts';
import { LIBVIRT_UNITS } from '../../src/facts/gather.ts';
import { parseSystemctlShow, type UnitState } from '../../src/facts/parse.ts';
import { detectXenRole } from '../../src/xen/dom0.ts';
import { loadProfile, type Profile } from '../../src/profile/index.ts';
import { Journal, type JournalData } from '../../src/engine/journal.ts';
import { newRunState, type RunContext, type RunState } from '../../src/steps/step.ts';
import { FakeHost, condorConfigVal, output, readCondorConfig, type CondorConfigView, type ExecReply, type FakeHostOptions } from './fake-host.ts';

export const HOST = 'vmp-clim4ti-1';
export const MAIN_CONFIG = '/etc/condor/condor_config';
export const CONFIG_DIRS = ['/usr/share/condor/config.d', '/etc/condor/config.d'];
export const DROP_IN = '/etc/condor/config.d/50-vm-universe.config';
export const VMGAHP_LOG = '/var/log/condor/VMGahpLog';
export const START_LOG = '/var/log/condor/StartLog';
/** What packagesFor(KVM_NEEDS, 'debian') asks for. */
export const DEBIAN_KVM_PACKAGES = ['libvirt-daemon-system', 'libvirt-daemon-driver-qemu', 'libvirt-clients', 'qemu-system-x86', 'condor-vm-gahp'];

// ---- units ----

export function unitState(name: string, loadState = 'loaded', activeState = 'active', unitFileState = 'enabled'): UnitState {
  return { name, loadState, activeState, unitFileState };
}
export const notFound = (name: string) => unitState(name, 'not-found', 'inactive', '');

export const UNITS = {
  /** Debian 13 with libvirt-daemon-system: libvirtd enabled and running, modular daemons present but off. */
  debianActive: () => parseSystemctlShow(output('systemctl-show-libvirt-debian-active.stdout')),
  /** `systemctl mask libvirtd` on Debian 13. */
  debianMasked: () => parseSystemctlShow(output('systemctl-show-libvirt-debian-masked.stdout')),
  /** No libvirt installed. */
  none: () => parseSystemctlShow(output('systemctl-show-libvirt-none.stdout')),
  /** Rocky 9 / Fedora: modular virtqemud, socket-activated; libvirtd.service present but disabled. */
  modular: () => [
    unitState('libvirtd.service', 'loaded', 'inactive', 'disabled'), unitState('libvirtd.socket', 'loaded', 'inactive', 'disabled'),
    unitState('virtqemud.service', 'loaded', 'inactive', 'disabled'), unitState('virtqemud.socket', 'loaded', 'active', 'enabled'),
    notFound('virtxend.service'), notFound('virtxend.socket'),
  ],
};

export function systemctlShowOutput(units: UnitState[], names: string[] = units.map((u) => u.name)): string {
  return names.map((n) => {
    const u = units.find((x) => x.name === n) ?? notFound(n);
    return `Id=${u.name}\nLoadState=${u.loadState}\nActiveState=${u.activeState}\nUnitFileState=${u.unitFileState}\n`;
  }).join('\n');
}

// ---- Facts ----

type DeepPartial<T> = T extends Array<unknown> ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

function merge<T>(base: T, over: DeepPartial<T> | undefined): T {
  if (over === undefined) return base;
  const out = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over as Record<string, unknown>)) {
    const b = out[k];
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) && b !== null && typeof b === 'object' && !Array.isArray(b)
      ? merge(b, v as DeepPartial<typeof b>) : v;
  }
  return out as T;
}

/** What gatherFacts returns on the captured Debian 13 node with everything in place; override any part. */
export function factsFixture(over: DeepPartial<Facts> = {}): Facts {
  const base: Facts = {
    hostname: HOST,
    os: { id: 'debian', idLike: [], versionId: '13', prettyName: 'Debian GNU/Linux 13 (trixie)', family: 'debian' },
    packageManager: 'apt-get',
    kernelRelease: '6.12.57+deb13-amd64',
    isRoot: true,
    memTotalMiB: 3918,
    kvm: { vmx: true, svm: false, devKvm: true },
    condor: {
      installed: true,
      version: { major: 23, minor: 9, patch: 6, text: '23.9.6' },
      versionLine: '$CondorVersion: 23.9.6 2026-07-12 PackageID: 23.9.6+dfsg-2.1+b10 $',
      localConfigDirs: [...CONFIG_DIRS],
      localConfigFiles: [],
      sbin: '/usr/sbin',
      log: '/var/log/condor',
      fullHostname: HOST,
      vmGahpLog: VMGAHP_LOG,
      daemons: ['condor_master', 'condor_procd', 'condor_shared_p', 'condor_startd'],
      masterRealUser: 'root',
      startdPid: 3120,
    },
    libvirt: { virsh: '/usr/bin/virsh', units: UNITS.debianActive() },
    // A KVM node: no /sys/hypervisor/type, no /proc/xen.
    xen: detectXenRole({ procXen: false }),
  };
  return merge<Facts>(base, over);
}

// ---- profiles and contexts ----

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));

export function exampleText(name = 'kvm-node.yaml'): string {
  return readFileSync(`${EXAMPLES}${name}`, 'utf8');
}

/** Loads YAML (by default examples/kvm-node.yaml), optionally edited by string replacements first. */
export function profileFrom(text = exampleText(), edits: Array<[string, string]> = []): Profile {
  let t = text;
  for (const [a, b] of edits) {
    if (!t.includes(a)) throw new Error(`profileFrom: ${JSON.stringify(a)} is not in the profile`);
    t = t.replace(a, b);
  }
  const r = loadProfile('profile.yaml', t);
  if (!r.ok) throw new Error(`profile did not load: ${JSON.stringify(r.issues)}`);
  return r.profile;
}

export interface ContextOptions {
  host: FakeHost;
  profile?: Profile;
  facts?: Facts;
  check?: boolean;
  state?: Partial<RunState>;
  journal?: JournalData;
}

/** A RunContext by hand, as apply() builds it; progress messages are collected in ctx.messages. */
export function makeContext(o: ContextOptions): RunContext & { messages: string[] } {
  const messages: string[] = [];
  return {
    host: o.host,
    profile: o.profile ?? profileFrom(),
    profileFile: '/tmp/profile.yaml',
    facts: o.facts ?? factsFixture(),
    check: o.check ?? false,
    state: { ...newRunState(), ...o.state },
    journal: new Journal(o.host, o.journal ?? {}),
    progress: (m) => { messages.push(m); },
    messages,
  };
}

// ---- a whole node ----

export interface NodeOptions extends FakeHostOptions {
  /** A file under test/fixtures/outputs/os-release/. */
  osRelease?: string;
  /** Debian packages installed (besides condor); default: all of DEBIAN_KVM_PACKAGES. */
  installed?: string[];
  /** Units as systemctl shows them; default: libvirtd running when libvirt-daemon-system is installed. */
  units?: UnitState[];
  /** Extra files, e.g. drop-ins in /etc/condor/config.d. */
  files?: Record<string, string>;
  memTotalKiB?: number;
  /** apt-get install fails with this stderr. */
  aptFailure?: string;
  /** condor_master's environment (the startd inherits it: `_CONDOR_*` overrides every file). */
  masterEnv?: Record<string, string>;
}

/** What the startd took at start: vmMemory is the configured VM_MEMORY (the ad shows what is free of it). */
export interface Advertised { hasVm: boolean; vmType?: string; vmMemory?: number }

export interface NodeState {
  installed: Set<string>;
  units: Map<string, UnitState>;
  /** DaemonStartTime of the running startd. */
  startdStart: number;
  /** What the running startd advertises (decided when it starts, as the real one runs the gahp test then). */
  advertised: Advertised;
  restarts: number;
  /** MiB held by running VM jobs: the slot ad's VM_Memory is the configured memory less this (free VM memory). */
  vmJobsMemory: number;
  /** The config the running startd read at its start (what `condor_config_val -startd` answers). */
  startdConfig?: CondorConfigView;
  /** Set: `condor_config_val -startd` gets this reply instead (the daemon cannot be asked). */
  startdQueryFailure?: ExecReply;
  /** Set: condor_status gets this reply (the collector cannot be asked). */
  collectorFailure?: ExecReply;
  /** condor_off -startd ran and no condor_on since: the master holds the startd off. */
  startdOff?: boolean;
}

/** The main config, shaped so that LOCAL_CONFIG_DIR is on line 40 and LOG on line 78 as in the captured output. */
export function mainConfigText(): string {
  const lines: string[] = Array.from({ length: 90 }, (_, i) => (i === 0 ? '##  HTCondor main configuration (test fixture)' : '#'));
  lines[38] = 'LOCAL_DIR = /var';
  lines[39] = `LOCAL_CONFIG_DIR = ${CONFIG_DIRS.join(',')}`;
  lines[77] = 'LOG = $(LOCAL_DIR)/log/condor';
  return lines.join('\n') + '\n';
}

function logTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getMonth() + 1)}/${p(d.getDate())}/${p(d.getFullYear() % 100)} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/**
 * A FakeHost answering like a Debian 13 execute node with HTCondor 23.9.6: files for gatherFacts, and stateful
 * handlers for dpkg-query, apt-get install, systemctl, condor_config_val (from the fake's config files),
 * condor_restart and condor_status. The startd decides HasVM when it (re)starts: VM_TYPE and VM_MEMORY set,
 * condor-vm-gahp installed and libvirt reachable; otherwise it logs why in VMGahpLog.
 */
export function fakeNode(opts: NodeOptions = {}): { host: FakeHost; node: NodeState } {
  const host = new FakeHost({ name: HOST, ...opts });
  const installed = new Set(['condor', ...(opts.installed ?? DEBIAN_KVM_PACKAGES)]);
  const units = new Map((opts.units ?? (installed.has('libvirt-daemon-system') ? UNITS.debianActive() : UNITS.none())).map((u) => [u.name, { ...u }]));
  const node: NodeState = { installed, units, startdStart: 1795468548, advertised: { hasVm: false }, restarts: 0, vmJobsMemory: 0 };
  const masterEnv = opts.masterEnv ?? {};

  host.file('/etc/os-release', output(`os-release/${opts.osRelease ?? 'debian-13'}`))
    .file('/proc/sys/kernel/osrelease', '6.12.57+deb13-amd64\n')
    .file('/proc/meminfo', `MemTotal:        ${opts.memTotalKiB ?? 4012132} kB\nMemFree:         2811504 kB\nMemAvailable:    3490212 kB\n`)
    .file('/proc/cpuinfo', 'processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ss syscall nx lm constant_tsc vmx ssse3 sse4_1 sse4_2 hypervisor\n\n')
    .device('/dev/kvm')
    .bin('/usr/bin/apt-get').bin('/usr/bin/dpkg-query')
    .bin('/usr/bin/condor_version').bin('/usr/bin/condor_config_val').bin('/usr/bin/condor_status').bin('/usr/sbin/condor_restart').bin('/usr/sbin/condor_off').bin('/usr/sbin/condor_on')
    .file(MAIN_CONFIG, mainConfigText())
    .dir('/usr/share/condor/config.d').dir('/etc/condor/config.d').dir('/var/log/condor').dir('/var/lib')
    // Not a Xen host: these are missing (declared so that strictReads accepts reading them).
    .absent('/sys/hypervisor/', '/proc/xen', '/usr/lib/os-release');
  if (installed.has('libvirt-clients')) host.bin('/usr/bin/virsh');
  for (const [p, c] of Object.entries(opts.files ?? {})) host.file(p, c);

  const libvirtReachable = () => {
    const svc = units.get('libvirtd.service') ?? units.get('virtqemud.service');
    const sock = units.get('libvirtd.socket') ?? units.get('virtqemud.socket');
    const masked = svc?.loadState === 'masked';
    return !masked && (svc?.activeState === 'active' || sock?.activeState === 'active');
  };
  const startStartd = (at: number) => {
    node.startdStart = at;
    const cfg = readCondorConfig(host, MAIN_CONFIG, {}, masterEnv)!;
    node.startdConfig = cfg;
    const vmType = cfg.value('VM_TYPE', 'STARTD');
    const vmMemory = Number(cfg.value('VM_MEMORY', 'STARTD') ?? 0);
    if (!vmType) { node.advertised = { hasVm: false }; return; }
    const reachable = libvirtReachable();
    if (installed.has('condor-vm-gahp') && reachable && vmMemory > 0) { node.advertised = { hasVm: true, vmType, vmMemory }; return; }
    node.advertised = { hasVm: false };
    const append = (path: string, line: string) => host.file(path, `${host.content(path) ?? ''}${logTime(at)} ${line}\n`);
    if (!installed.has('condor-vm-gahp')) {
      append(START_LOG, "To support vm universe, 'VM_GAHP_SERVER' must be executable");
      return;
    }
    append(cfg.value('VM_GAHP_LOG') ?? VMGAHP_LOG, reachable ? "'VM_MEMORY' is not defined"
      : "Failed to create libvirt connection: Failed to connect socket to '/var/run/libvirt/libvirt-sock': Connection refused");
    append(START_LOG, `Test of vmgahp for VM_TYPE('${vmType}') failed`);
  };
  startStartd(node.startdStart);

  host
    .on(['id', '-u'], { stdout: '0\n' })
    .on(['ps', '-e', '-o', 'pid=', '-o', 'ruser=', '-o', 'comm='], () => ({ stdout: output('ps-e-pid-ruser-comm.stdout') }))
    .on((c) => c.cmd === 'systemctl' && c.args[0] === 'show', (c) => ({ stdout: systemctlShowOutput([...units.values()], c.args.slice(3)) }))
    .on((c) => c.cmd === 'systemctl' && (c.args[0] === 'start' || c.args[0] === 'enable') && c.args.length === 2, (c) => {
      const u = units.get(c.args[1]!);
      if (!u || u.loadState === 'not-found') return { exitCode: 5, stderr: `Failed to ${c.args[0]} ${c.args[1]}: Unit ${c.args[1]} not found.\n` };
      if (u.loadState === 'masked') return { exitCode: 1, stderr: `Failed to ${c.args[0]} ${c.args[1]}: Unit ${c.args[1]} is masked.\n` };
      if (c.args[0] === 'start') u.activeState = 'active'; else u.unitFileState = 'enabled';
      return {};
    })
    .on(['condor_version'], () => ({ stdout: output('condor_version.stdout') }))
    .onCommand('condor_config_val', condorConfigVal({
      mainConfig: MAIN_CONFIG,
      startd: () => node.startdQueryFailure ?? node.startdConfig ?? { exitCode: 1, stderr: "Can't find address for startd 'default' in local pool\n" },
    }))
    .on((c) => c.cmd === 'dpkg-query' && c.args[0] === '-W', (c) => {
      const names = c.args.slice(3);
      const missing = names.filter((n) => !installed.has(n));
      return {
        exitCode: missing.length ? 1 : 0,
        stdout: names.filter((n) => installed.has(n)).map((n) => `${n}\tii \n`).join(''),
        stderr: missing.map((n) => `dpkg-query: no packages found matching ${n}\n`).join(''),
      };
    })
    .on((c) => c.cmd === 'apt-get' && c.args[0] === 'install', (c) => {
      if (opts.aptFailure) return { exitCode: 100, stderr: opts.aptFailure };
      for (const p of c.args.filter((a) => !a.startsWith('-') && a !== 'install')) installed.add(p);
      if (installed.has('libvirt-daemon-system') && units.get('libvirtd.service')?.loadState !== 'loaded') {
        for (const u of UNITS.debianActive()) units.set(u.name, u);
      }
      if (installed.has('libvirt-clients')) host.bin('/usr/bin/virsh');
      return { stdout: 'Setting up libvirt-daemon-system ...\n' };
    })
    .on(['condor_restart', '-startd'], (_c, h) => {
      node.restarts++;
      startStartd(h.clock + 1);
      return { stdout: 'Sent "Restart" command for "startd" to master vmp-clim4ti-1\n' };
    })
    // The master stops and holds the startd; condor_on starts it again (a restart, as vm-provision's graceful mode).
    .on(['condor_off', '-startd'], () => { node.startdOff = true; return { stdout: 'Sent "Kill-Daemon" command for "startd" to local master\n' }; })
    .on(['condor_on', '-startd'], (_c, h) => {
      if (node.startdOff) { node.restarts++; startStartd(h.clock + 1); }
      node.startdOff = false;
      return { stdout: 'Sent "Spawn-Daemon" command for "startd" to local master\n' };
    })
    .on((c) => c.cmd === 'condor_status' && c.args[0] === '-af:t', (c, h) => node.collectorFailure ?? {
      // preflight asks for LastHeardFrom first (the collector heard from the startd just now)
      stdout: c.args[1] === 'LastHeardFrom' ? slotAdLine(node).split('\n').map((l) => (l ? `${h.clock}\t${l}` : l)).join('\n') : slotAdLine(node),
    })
    // The collector heard from the startd just now (the clock check in preflight).
    .on((c) => c.cmd === 'condor_status' && c.args[0] === '-af' && c.args[1] === 'LastHeardFrom', (_c, h) => node.collectorFailure ?? { stdout: `${h.clock}\n` })
    // An execute node of a pool whose collector runs elsewhere (as in the captured ps output).
    .on(['ps', '-e', '-o', 'comm='], () => ({ stdout: 'condor_master\ncondor_procd\ncondor_shared_p\ncondor_startd\n' }))
    .on(['condor_config_val', 'DAEMON_LIST'], { stdout: 'MASTER, STARTD\n' });
  return { host, node };
}

/** The slot ad line condor_status prints for the node now: VM_Memory is what is free, as the real startd says. */
export function slotAdLine(node: NodeState): string {
  const a = node.advertised;
  const free = a.vmMemory === undefined ? 'undefined' : String(a.vmMemory - node.vmJobsMemory);
  return `slot1@${HOST}\t${a.hasVm}\t${a.vmType ?? 'undefined'}\t${free}\t${node.startdStart}\n`;
}

/** The systemctl show argv gatherFacts and the services step run. */
export const SYSTEMCTL_SHOW = ['systemctl', 'show', '-p', 'Id,LoadState,ActiveState,UnitFileState', ...LIBVIRT_UNITS];
