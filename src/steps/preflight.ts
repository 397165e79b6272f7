// Preflight: refuse before any change when the node cannot run this profile's VM universe.
import { VmpError } from '../errors/vmp-error.ts';
import type { Step } from './step.ts';

export const preflight: Step = {
  id: 'preflight',
  title: 'Preflight: root, HTCondor, hypervisor',
  async run({ facts, profile }) {
    const found: string[] = [];
    if (!facts.isRoot) throw new VmpError('NEEDS_ROOT', 'vm-provision must run as root on the node', { hint: 'run it with sudo, or as root over SSH' });
    if (!facts.condor.installed) {
      throw new VmpError('PREFLIGHT', 'HTCondor is not installed on this node (no condor_version in PATH)', { hint: 'install HTCondor first (Debian/Ubuntu: apt-get install condor); vm-provision turns an existing execute node into a VM-universe node' });
    }
    if (!facts.condor.version) throw new VmpError('PREFLIGHT', `could not read the HTCondor version from condor_version: ${facts.condor.versionLine ?? '(no output)'}`);
    found.push(`HTCondor ${facts.condor.version.text}`);
    if (profile.hypervisor === 'kvm') {
      if (!facts.kvm.devKvm) {
        throw new VmpError('PREFLIGHT', `KVM is not usable: /dev/kvm is missing (CPU flags: ${facts.kvm.vmx ? 'vmx' : facts.kvm.svm ? 'svm' : 'no vmx/svm'})`, {
          hint: facts.kvm.vmx || facts.kvm.svm ? 'load the module: modprobe kvm_intel (or kvm_amd)' : 'enable VT-x/AMD-V in the BIOS, or use a node with hardware virtualization',
        });
      }
      found.push('/dev/kvm present');
    } else {
      throw new VmpError('PREFLIGHT', `hypervisor ${profile.hypervisor} is not supported by this version of vm-provision yet`, { hint: 'use hypervisor: kvm' });
    }
    if (facts.condor.masterRealUser && facts.condor.masterRealUser !== 'root') {
      throw new VmpError('PREFLIGHT', `condor_master runs as ${facts.condor.masterRealUser}, not root: the VM gahp needs root ("VMGahp server for Xen or KVM requires root privilege")`, {
        hint: 'start HTCondor as root (the packaged condor service does)',
      });
    }
    return { status: 'ok', summary: found.join(', ') };
  },
};
