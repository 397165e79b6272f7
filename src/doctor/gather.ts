// Gathers doctor's evidence through the Host: only reads and read-only commands, no lock, nothing written.
import type { Host } from '../host/host.ts';
import { gatherFacts } from '../facts/gather.ts';
import { couldNotAsk, parseConfigSources, parseConfigValVerbose, type KnobSource } from '../condor/config-val.ts';
import { JOURNAL_FILE, type JournalData } from '../engine/journal.ts';
import type { Evidence, OpenResult } from './evidence.ts';
import { DOCTOR_SLOT_ATTRS, parseDoctorSlots, parseMtimes, parseOpenResult } from './parse.ts';
import { relevantKnobs } from './knob-set.ts';
import { gatherPackages } from './checks-packages.ts';
import { gatherNodeEvidence } from './gather-node.ts';

const KVM = '/dev/kvm';

export async function gatherEvidence(host: Host): Promise<Evidence> {
  const [facts, uid, now] = await Promise.all([gatherFacts(host), host.uid(), host.now()]);
  const files = facts.condor.knobSources ?? {};
  const vmType = files.VM_TYPE?.defined ? files.VM_TYPE.value?.trim().toLowerCase() : undefined;
  const logDir = facts.condor.log ?? '/var/log/condor';
  const paths = { startLog: `${logDir}/StartLog`, vmGahpLog: facts.condor.vmGahpLog ?? `${logDir}/VMGahpLog`, masterLog: `${logDir}/MasterLog` };
  const machine = facts.condor.fullHostname ?? host.name;
  const installed = facts.condor.installed;
  const [configFiles, running, gahp, kvm, libvirt, xenBootloader, slots, logs, journal, packages] = await Promise.all([
    installed ? readConfigFiles(host) : Promise.resolve([]),
    installed ? askRunningStartd(host, relevantKnobs(facts.condor.version, vmType)) : Promise.resolve({ error: 'HTCondor is not installed' }),
    readGahp(host, files.VM_GAHP_SERVER),
    vmType === 'kvm' ? probeKvm(host) : Promise.resolve(undefined),
    vmType === 'kvm' || vmType === 'xen' ? connectLibvirt(host, vmType === 'kvm' ? 'qemu:///session' : 'xen:///', facts.libvirt.virsh) : Promise.resolve(undefined),
    vmType === 'xen' && files.XEN_BOOTLOADER?.defined && files.XEN_BOOTLOADER.value ? readBootloader(host, files.XEN_BOOTLOADER.value) : Promise.resolve(undefined),
    installed ? querySlots(host, machine) : Promise.resolve({ machine, ads: [], error: 'HTCondor is not installed' }),
    Promise.all([paths.startLog, paths.vmGahpLog, paths.masterLog].map((p) => host.readFile(p).catch(() => undefined))),
    readJournal(host),
    gatherPackages(host, facts, vmType),
  ]);
  const node = await gatherNodeEvidence(host, facts, journal.data);
  return {
    host: host.name, now, uid, facts, files, configFiles, running, slots, journal, node,
    ...(gahp ? { gahp } : {}), ...(kvm ? { kvm } : {}), ...(libvirt ? { libvirt } : {}), ...(xenBootloader ? { xenBootloader } : {}), ...(packages ? { packages } : {}),
    logs: { startLog: logs[0], vmGahpLog: logs[1], masterLog: logs[2], paths },
  };
}

async function readConfigFiles(host: Host): Promise<Evidence['configFiles']> {
  const r = await host.exec('condor_config_val', ['-config'], { timeoutMs: 30_000 });
  const order = parseConfigSources(r.stdout);
  if (!order.length) return [];
  const [texts, stat] = await Promise.all([
    Promise.all(order.map((p) => host.readFile(p).catch(() => undefined))),
    host.exec('stat', ['-c', '%Y %n', '--', ...new Set(order)], { timeoutMs: 30_000 }),
  ]);
  const mtimes = parseMtimes(stat.stdout);
  return order.map((path, i) => ({ path, ...(texts[i] !== undefined ? { text: texts[i] } : {}), ...(mtimes.has(path) ? { mtime: mtimes.get(path) } : {}) }));
}

async function askRunningStartd(host: Host, names: string[]): Promise<Evidence['running']> {
  const r = await host.exec('condor_config_val', ['-startd', '-v', ...names], { timeoutMs: 30_000 });
  const error = couldNotAsk(r);
  if (error) return { error };
  return { sources: Object.fromEntries(parseConfigValVerbose(r.stdout, names)) };
}

async function readGahp(host: Host, src: KnobSource | undefined): Promise<Evidence['gahp']> {
  const path = src?.defined ? src.value?.trim() : undefined;
  if (!path) return undefined;
  const info = await host.fileInfo(path);
  if (info?.kind !== 'symlink') return { path, ...(info ? { info } : {}) };
  const target = await host.realpath(path);
  const targetInfo = target ? await host.fileInfo(target) : undefined;
  return { path, info, ...(target ? { target } : {}), ...(targetInfo ? { targetInfo } : {}) };
}

/** What open(2) says for reading and for writing, as the gahp (access) and qemu (open) would need. */
async function probeKvm(host: Host): Promise<Evidence['kvm']> {
  const info = await host.fileInfo(KVM);
  if (!info) return {};
  const dd = async (args: string[]): Promise<OpenResult> => parseOpenResult(await host.exec('dd', [...args, 'bs=1', 'count=0', 'status=none'], { timeoutMs: 10_000 }));
  const [read, write] = await Promise.all([dd([`if=${KVM}`, 'of=/dev/null']), dd(['if=/dev/null', `of=${KVM}`, 'conv=notrunc'])]);
  return { info, read, write };
}

async function connectLibvirt(host: Host, uri: string, virsh: string | undefined): Promise<Evidence['libvirt']> {
  if (!virsh) return { uri };
  const r = await host.exec(virsh, ['-c', uri, 'uri'], { timeoutMs: 15_000 });
  return { uri, virsh, exitCode: r.exitCode, output: (r.stderr.trim() || r.stdout.trim()), ...(r.timedOut ? { timedOut: true } : {}) };
}

async function readBootloader(host: Host, path: string): Promise<Evidence['xenBootloader']> {
  const info = await host.fileInfo(path).catch(() => undefined);
  try {
    const text = await host.readFile(path);
    return { path, ...(info ? { info } : {}), readable: text !== undefined };
  } catch (e) {
    return { path, ...(info ? { info } : {}), readable: false, error: (e as NodeJS.ErrnoException).code ?? String(e) };
  }
}

async function querySlots(host: Host, machine: string): Promise<Evidence['slots']> {
  const r = await host.exec('condor_status', ['-af:t', ...DOCTOR_SLOT_ATTRS, '-constraint', `Machine == "${machine.replace(/["\\]/g, '')}"`], { timeoutMs: 30_000 });
  if (r.exitCode !== 0 || r.timedOut) return { machine, ads: [], error: (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ') || `exit ${r.exitCode}` };
  return { machine, ads: parseDoctorSlots(r.stdout) };
}

async function readJournal(host: Host): Promise<Evidence['journal']> {
  const text = await host.readFile(JOURNAL_FILE).catch(() => undefined);
  if (text === undefined) return { present: false };
  try { return { present: true, data: JSON.parse(text) as JournalData }; } catch (e) { return { present: true, error: (e as Error).message }; }
}
