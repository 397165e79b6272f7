// Why the startd disabled the VM universe, read from VMGahpLog and StartLog, with what to do about it.
export interface GahpReason { reason: string; hint: string; log: string; line: string }

interface Pattern { re: RegExp; reason: (m: RegExpExecArray) => string; hint: string | ((m: RegExpExecArray) => string) }

// Message texts: HTCondor's vmgahp_main.cpp, xen_type.linux.cpp, vmgahp_config.cpp, vmuniverse_mgr.cpp (23.0+ at HEAD).
const LIBVIRT_HINT = 'the gahp test (HTCondor 23.0+) connects to qemu:///session as root (xen:/// for Xen): start the libvirt daemon '
  + '(systemctl enable --now libvirtd, or virtqemud on modular layouts); if it is masked: systemctl unmask libvirtd; check as root with: virsh -c qemu:///session version';

const VMGAHP: Pattern[] = [
  { re: /Failed to create libvirt connection: (.*)/, reason: (m) => `libvirt not reachable: ${m[1]}`, hint: LIBVIRT_HINT },
  { re: /'VM_MEMORY' is not defined/, reason: () => 'VM_MEMORY is not defined (or is 0)', hint: 'set condor.vm.memory in the profile' },
  { re: /requires root privilege/, reason: () => 'the VM gahp needs root, but HTCondor does not run as root', hint: 'start condor_master as root (the condor service does by default)' },
  { re: /(Cannot (?:read|write) \/dev\/kvm.*|File\(\/dev\/kvm\) can't be (?:read|modified))/, reason: (m) => `KVM not usable: ${m[1]}`, hint: 'load the kvm module (modprobe kvm_intel or kvm_amd) and enable VT in the BIOS' },
  { re: /(You should define Xen bootloader|Xen bootloader file .* cannot be read)/, reason: (m) => `Xen bootloader: ${m[1]}`, hint: 'install pygrub (xen-utils) and set xen.bootloader' },
  { re: /(Not supported VM TYPE\(\w+\))/, reason: (m) => m[1]!, hint: 'this condor_vm-gahp does not support the hypervisor: VMware needs HTCondor 9.11 or older' },
  { re: /(A VM_TYPE of vmware is no longer supported)/, reason: (m) => m[1]!, hint: 'VMware needs HTCondor 9.11 or older' },
  { re: /(LIBVIRT_XML_SCRIPT not defined)/, reason: (m) => m[1]!, hint: 'HTCondor before 8.1.3 has no default: set LIBVIRT_XML_SCRIPT = $(LIBEXEC)/libvirt_simple_script.awk (vm-provision writes it for those versions)' },
  { re: /(VM networking is disabled.*)/, reason: (m) => m[1]!, hint: 'check condor.vm.networking: types, default and bridgeInterface' },
  { re: /ERROR:? (.*)/, reason: (m) => `VM gahp error: ${m[1]}`, hint: 'see VMGahpLog on the node' },
];

const STARTLOG: Pattern[] = [
  // Said for a gahp that is missing and for one that is there but not executable (access(X_OK) fails for both).
  { re: /(To support vm universe, '(\/[^']*)' must be executable)/, reason: (m) => m[1]!, hint: (m) => `if ${m[2]} is there: chmod 755 ${m[2]} (condor-vm-gahp installs it 0755); if not: install condor-vm-gahp (a separate package) and check VM_GAHP_SERVER` },
  { re: /(To support vm universe, '[^']*' must be (?:defined in condor config file|executable))/, reason: (m) => m[1]!, hint: 'install condor-vm-gahp (a separate package) and check VM_GAHP_SERVER' },
  { re: /(Failed to get output from \S+, ignoring)/, reason: (m) => `${m[1]} (the gahp test did not answer within 5 s)`, hint: LIBVIRT_HINT.replace('start the libvirt daemon', 'a hanging libvirt daemon is the usual cause: restart it') },
  { re: /(Failed to execute \S+, ignoring)/, reason: (m) => m[1]!, hint: 'install condor-vm-gahp and check that VM_GAHP_SERVER is executable' },
  { re: /(A VM_TYPE of vmware is no longer supported)/, reason: (m) => m[1]!, hint: 'VMware needs HTCondor 9.11 or older' },
  { re: /(There is no sufficient memory for virtual machines|There is no VM_Memory in the output of vmgahp)/, reason: (m) => m[1]!, hint: 'check condor.vm.memory against the node\'s memory' },
  { re: /(There is no VM_Type in the output of vmgahp.*|The vmgahp\(.*\) doesn't support this vmtype\(.*\))/, reason: (m) => m[1]!, hint: 'the reason is in VMGahpLog on the node' },
  { re: /(Test of vmgahp for VM_TYPE\('\w+'\) failed.*)/, reason: (m) => m[1]!, hint: 'the reason is in VMGahpLog on the node' },
  { re: /(Warning: '.*' did not produce any valid output\.?)/, reason: (m) => m[1]!, hint: 'the reason is in VMGahpLog on the node (the banner after this line, about condor_vm_xen.sh, is stale)' },
];

/** HTCondor log lines start with `MM/DD/YY HH:MM:SS` in the node's local time. */
export function logLineTime(line: string): number | undefined {
  const m = /^(\d\d)\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d)/.exec(line);
  if (!m) return undefined;
  return Math.floor(new Date(2000 + Number(m[3]), Number(m[1]) - 1, Number(m[2]), Number(m[4]), Number(m[5]), Number(m[6])).getTime() / 1000);
}

function scan(text: string | undefined, patterns: Pattern[], since: number, log: string): GahpReason | undefined {
  if (!text) return undefined;
  const lines = text.split('\n').slice(-2000).filter((l) => { const t = logLineTime(l); return t === undefined || t >= since; });
  for (const p of patterns) {
    for (let i = lines.length - 1; i >= 0; i--) {
      const m = p.re.exec(lines[i]!);
      if (m) return { reason: p.reason(m).trim(), hint: typeof p.hint === 'string' ? p.hint : p.hint(m), log, line: lines[i]!.trim() };
    }
  }
  return undefined;
}

/** The most specific reason: the gahp's own log first, then the startd's. */
export function findGahpReason(logs: { vmGahpLog?: string; startLog?: string }, since: number): GahpReason | undefined {
  return scan(logs.vmGahpLog, VMGAHP, since, 'VMGahpLog') ?? scan(logs.startLog, STARTLOG, since, 'StartLog');
}
