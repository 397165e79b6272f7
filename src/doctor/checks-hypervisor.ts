// Checks of the hypervisor side, done the way the gahp does them: /dev/kvm as root, libvirt at the URI the gahp
// opens (qemu:///session as root for KVM, xen:/// for Xen), and for Xen the Dom0 and XEN_BOOTLOADER.
import { atLeast } from '../condor/version.ts';
import type { UnitState } from '../facts/parse.ts';
import type { Evidence } from './evidence.ts';
import { ok, problem, warn, type Finding } from './finding.ts';
import { knobEvidence } from './checks-config.ts';

const vmTypeOf = (e: Evidence) => e.files.VM_TYPE?.value?.trim().toLowerCase();
const LOAD_KVM = 'load the kvm module (modprobe kvm_intel or kvm_amd) with VT-x/AMD-V enabled in the firmware; in a VM, enable nested virtualization';

export function checkKvmDevice(e: Evidence): Finding | undefined {
  if (vmTypeOf(e) !== 'kvm') return undefined;
  const k = e.kvm ?? {};
  if (!k.info) {
    return problem('kvm-device', '/dev/kvm is missing: the gahp test fails ("File Permission Error: Cannot read /dev/kvm as root")', LOAD_KVM,
      [`cpu virtualization flags: ${e.facts.kvm.vmx ? 'vmx' : e.facts.kvm.svm ? 'svm' : 'none'}`]);
  }
  if (k.info.kind !== 'other') {
    return problem('kvm-device', `/dev/kvm is a ${k.info.kind}, not a device`, `remove it and ${LOAD_KVM}`, [`/dev/kvm: ${k.info.kind}, mode 0${k.info.mode.toString(8)}`]);
  }
  const opens = [['read', k.read], ['write', k.write]] as const;
  const ev = opens.map(([how, r]) => `open(/dev/kvm) for ${how} as uid ${e.uid}: ${r?.ok ? 'ok' : `${r?.error ?? 'not tried'}${r?.errno ? ` (${r.errno})` : ''}`}`);
  const failed = opens.find(([, r]) => r && !r.ok);
  if (!failed) return ok('kvm-device', '/dev/kvm opens for reading and writing', ev);
  const r = failed[1]!;
  if (r.errno === 'ENXIO' || r.errno === 'ENODEV') {
    // The gahp's test checks access(2) only: it passes, but qemu's open(2) fails when a VM job starts.
    return warn('kvm-device', `/dev/kvm is there and root may read and write it (all the gahp test checks), but open() says "${r.error}" (${r.errno}): no KVM driver behind it, so a VM job could not start`,
      `${LOAD_KVM} (a placeholder device, as on a testbed without hardware virtualization, gives exactly this)`, ev);
  }
  return problem('kvm-device', `/dev/kvm cannot be opened for ${failed[0]} as uid ${e.uid}: ${r.error}${r.errno ? ` (${r.errno})` : ''}`,
    r.errno === 'EACCES' || r.errno === 'EPERM'
      ? 'something denies root the device (a device cgroup — a container without /dev/kvm allowed — or an LSM): allow it, or run HTCondor where /dev/kvm is usable'
      : LOAD_KVM, ev);
}

const unitsLine = (units: UnitState[]) => units.filter((u) => u.loadState && u.loadState !== 'not-found')
  .map((u) => `${u.name}: ${u.loadState}/${u.activeState}/${u.unitFileState || '-'}`).join(', ');

/** What to do about an unreachable libvirt, from the unit states. */
function libvirtAction(units: UnitState[], vmType: string): string {
  const masked = units.filter((u) => u.loadState === 'masked').map((u) => u.name);
  const modular = units.some((u) => u.name === (vmType === 'xen' ? 'virtxend.socket' : 'virtqemud.socket') && u.unitFileState === 'enabled');
  const daemon = modular ? (vmType === 'xen' ? 'virtxend' : 'virtqemud') : 'libvirtd';
  // A masked daemon: its whole family (`systemctl mask --now libvirtd*` masks the -ro and -admin sockets too).
  const family = masked.some((u) => u.startsWith(`${daemon}.`)) ? [`${daemon}.service`, `${daemon}.socket`, `${daemon}-ro.socket`, `${daemon}-admin.socket`] : [];
  const unmask = masked.length ? `systemctl unmask ${[...new Set([...masked, ...family])].join(' ')}; ` : '';
  return `${unmask}systemctl enable --now ${daemon}.socket ${daemon}.service; then condor_restart -startd (the startd re-runs the gahp test only when it starts)`;
}

export function checkLibvirt(e: Evidence): Finding | undefined {
  const t = vmTypeOf(e);
  if (t !== 'kvm' && t !== 'xen') return undefined;
  const l = e.libvirt;
  const units = e.facts.libvirt.units;
  const ev = units.length ? [`systemctl: ${unitsLine(units) || 'no libvirt unit installed'}`] : [];
  const v = e.facts.condor.version;
  // Before 23.0 the gahp test did not open libvirt: HasVM is advertised and jobs fail when they start.
  const effect = v && !atLeast(v, '23.0.0') ? `HTCondor ${v.text}'s gahp test does not check libvirt: the node advertises HasVM, and VM jobs fail at start ("Failed to create libvirt connection")`
    : 'the gahp test fails ("Failed to create libvirt connection"), so the startd turns the VM universe off';
  if (!l?.virsh) {
    const masked = units.filter((u) => u.loadState === 'masked');
    if (masked.length) return problem('libvirt', `libvirt is masked (${masked.map((u) => u.name).join(', ')}): ${effect}`, libvirtAction(units, t), ev);
    return warn('libvirt', `virsh is not installed: cannot connect to ${l?.uri ?? 'libvirt'} the way the gahp does`, 'install libvirt-clients (virsh) to check; the gahp needs the libvirt daemon running', ev);
  }
  const cmd = `${l.virsh} -c ${l.uri} uri (as uid ${e.uid}): ${l.timedOut ? 'no answer in 15 s' : l.exitCode === 0 ? 'connected' : l.output}`;
  if (l.exitCode === 0 && !l.timedOut) return ok('libvirt', `libvirt answers at ${l.uri}, the URI the gahp opens as root`, [cmd]);
  const why = l.timedOut ? 'libvirt does not answer (a hanging daemon: the gahp test gives up after 5 s, "Failed to get output")' : `libvirt is not reachable at ${l.uri}, the URI the gahp opens as root`;
  return problem('libvirt', `${why}: ${effect}`, libvirtAction(units, t), [cmd, ...ev]);
}

export function checkXen(e: Evidence): Finding[] {
  if (vmTypeOf(e) !== 'xen') return [];
  const out: Finding[] = [];
  const x = e.facts.xen;
  out.push(x.role === 'dom0' ? ok('xen-dom0', `this node is a Xen Dom0 (${x.decidedBy})`)
    : problem('xen-dom0', `not a Xen Dom0 (${x.role}): ${x.decidedBy}`, 'boot the Xen entry of the boot loader (GRUB "Debian GNU/Linux, with Xen hypervisor"), then condor_restart -startd', x.seen));
  const s = e.files.XEN_BOOTLOADER;
  const b = e.xenBootloader;
  if (!s?.defined || !s.value?.trim()) {
    out.push(problem('xen-bootloader', 'XEN_BOOTLOADER is not defined: the gahp refuses Xen ("You should define Xen bootloader")',
      'set XEN_BOOTLOADER to pygrub (xen-utils; vm-provision apply finds it), then condor_restart -startd', s ? [knobEvidence(s)] : []));
  } else if (!b?.readable) {
    out.push(problem('xen-bootloader', `XEN_BOOTLOADER ${s.value} ${b?.info ? `cannot be read${b.error ? ` (${b.error})` : ''}` : 'does not exist'}: the gahp refuses Xen ("Xen bootloader file … cannot be read")`,
      'install pygrub (the xen-utils package) and point XEN_BOOTLOADER at it, then condor_restart -startd', [knobEvidence(s)]));
  } else {
    out.push(ok('xen-bootloader', `XEN_BOOTLOADER ${s.value} is readable`, [knobEvidence(s)]));
  }
  return out;
}
