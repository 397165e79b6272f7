// Preflight: refuse before any change when the node cannot run this profile's VM universe.
import { VmpError } from '../errors/vmp-error.ts';
import type { RunContext, Step } from './step.ts';
import { xenKernelVersion } from './initrd.ts';
import { expandOutput, refuseForeignOutput, refuseStockOutput } from '../initrd/index.ts';
import { targetPath } from './condor-config.ts';
import { refuseForeignConfig } from './config-ownership.ts';
import { checkSupport } from '../condor/support.ts';
import { checkNetworkingTypes } from '../condor/knobs.ts';
import { vmwareChecks } from '../vmware/checks.ts';
import { checkRestartMode } from '../condor/restart-modes.ts';
import { CLOCK_HINT, clockSkew, describeSkew } from '../condor/clock.ts';
import { querySlotsHeard } from '../condor/status.ts';

function kvmChecks(ctx: RunContext, found: string[]) {
  const { kvm } = ctx.facts;
  if (!kvm.devKvm) {
    throw new VmpError('PREFLIGHT', `KVM is not usable: /dev/kvm is missing (CPU flags: ${kvm.vmx ? 'vmx' : kvm.svm ? 'svm' : 'no vmx/svm'})`, {
      hint: kvm.vmx || kvm.svm ? 'load the module: modprobe kvm_intel (or kvm_amd)' : 'enable VT-x/AMD-V in the BIOS, or use a node with hardware virtualization',
    });
  }
  found.push('/dev/kvm present');
}

/** Is this run staged (Xen tooling prepared now, restart and verification after booting into Xen)? */
export function isStaged(ctx: RunContext): boolean {
  return ctx.profile.hypervisor === 'xen' && ctx.facts.xen.role !== 'dom0' && ctx.profile.xen?.requireDom0 === false;
}

function xenChecks(ctx: RunContext, found: string[]) {
  const { xen, kernelRelease } = ctx.facts;
  if (xen.role === 'dom0') { found.push(`Xen Dom0 (${xen.decidedBy})`); return; }
  if (ctx.profile.xen?.requireDom0 !== false) {
    const what = xen.role === 'domU' ? 'a Xen DomU (guest), not the Dom0' : xen.role === 'unknown' ? 'a Xen kernel whose role could not be told' : 'not a Xen Dom0';
    throw new VmpError('PREFLIGHT', `${what}: ${xen.role === 'none' ? xen.seen.join(', ') : xen.decidedBy}; running kernel ${kernelRelease}`, {
      hint: xen.role === 'domU'
        ? 'run vm-provision in the Dom0 of this Xen host'
        : 'boot the Xen hypervisor entry of the boot loader (e.g. GRUB\'s "… with Xen hypervisor"), or set xen.requireDom0: false to prepare the node now (staged) and finish after that boot',
    });
  }
  found.push(`staged: not a Xen Dom0 (${xen.role}; ${xen.seen.join(', ')}), restart and verification deferred`);
}

/** Before any change: a clock far off from the collector's would make verify judge the restart wrong. */
async function clockCheck(ctx: RunContext): Promise<void> {
  const q = await querySlotsHeard(ctx.host, ctx.facts.condor.fullHostname ?? ctx.facts.hostname);
  ctx.state.preflightSlots = q.error ? { slots: [], error: q.error, at: Date.now() } : { slots: q.slots, at: Date.now() };
  const skew = clockSkew(await ctx.host.now(), q.heard);
  if (!skew) return;
  throw new VmpError('PREFLIGHT', `${describeSkew(skew)}: vm-provision tells the restarted startd by its DaemonStartTime, and HTCondor compares clocks across the pool; nothing was changed`, {
    hint: CLOCK_HINT,
  });
}

export const preflight: Step = {
  id: 'preflight',
  title: 'Preflight: root, HTCondor, hypervisor',
  async run(ctx) {
    const { facts, profile } = ctx;
    const found: string[] = [];
    if (!facts.isRoot) throw new VmpError('NEEDS_ROOT', 'vm-provision must run as root on the node', { hint: 'run it with sudo, or as root over SSH' });
    if (!facts.condor.installed) {
      throw new VmpError('PREFLIGHT', 'HTCondor is not installed on this node (no condor_version in PATH)', { hint: 'install HTCondor first (Debian/Ubuntu: apt-get install condor); vm-provision turns an existing execute node into a VM-universe node' });
    }
    if (!facts.condor.version) throw new VmpError('PREFLIGHT', `could not read the HTCondor version from condor_version: ${facts.condor.versionLine ?? '(no output)'}`);
    found.push(`HTCondor ${facts.condor.version.text}`);
    checkSupport(profile.hypervisor, facts.condor.version);
    // Before any change: a networking type this HTCondor or hypervisor lacks (e.g. user/passt before 25.12.2).
    checkNetworkingTypes({ profile, version: facts.condor.version, os: 'linux', found: {} });
    checkRestartMode(profile.condor.restart, facts.condor.version);
    if (profile.hypervisor === 'kvm') kvmChecks(ctx, found);
    else if (profile.hypervisor === 'xen') {
      xenChecks(ctx, found);
      // The initrd's kernel must exist on the node, and its output be ours to write: find out before anything is installed.
      if (profile.xen?.initrd.build) {
        const kver = await xenKernelVersion(ctx);
        const output = expandOutput(profile.xen.initrd.output, kver);
        await refuseStockOutput(ctx.host, output);
        await refuseForeignOutput(ctx.host, output);
        found.push(`initrd kernel ${kver}`);
      }
    }
    else found.push(...(await vmwareChecks(ctx.host, profile, facts)));
    if (facts.condor.masterRealUser && facts.condor.masterRealUser !== 'root') {
      throw new VmpError('PREFLIGHT', `condor_master runs as ${facts.condor.masterRealUser}, not root: the VM gahp needs root ("VMGahp server for Xen or KVM requires root privilege")`, {
        hint: 'start HTCondor as root (the packaged condor service does)',
      });
    }
    // Only a file vm-provision wrote may be replaced: refuse before packages are installed.
    const config = targetPath(ctx);
    refuseForeignConfig(config, await ctx.host.readFile(config), ctx.journal.data, facts.condor.localConfigFiles);
    if (!facts.condor.daemons.includes('condor_master')) found.push('warning: condor_master is not running');
    else await clockCheck(ctx);
    return { status: 'ok', summary: found.join(', ') };
  },
};
