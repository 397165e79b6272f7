// `vm-provision render PROFILE [--condor-version X.Y.Z] [--os linux|windows]`: prints the drop-in apply would write
// for that HTCondor version, touching nothing. Values that come from the node at apply time are taken from the
// profile when explicit, else written as placeholders explained in the file's header.
import { Option, type Command } from 'commander';
import { readProfile } from '../engine/apply.ts';
import { VmpError } from '../errors/vmp-error.ts';
import { LocalHost } from '../host/local-host.ts';
import { renderConfig, type RenderResult } from '../condor/render.ts';
import { parseCondorVersionOutput, parseVersion, type CondorVersion } from '../condor/version.ts';
import type { NodeOs } from '../condor/knobs.ts';
import { expandOutput } from '../initrd/names.ts';
import type { Profile } from '../profile/index.ts';

/** Stands for the kernel apply resolves (xen.kernelVersion: auto = the running kernel). */
export const KERNEL_PLACEHOLDER = '<kernelVersion>';
/** Stands for the pygrub apply finds (xen.bootloader: auto); Debian's xen-utils-<version> puts it there. */
export const PYGRUB_PLACEHOLDER = '/usr/lib/xen-<version>/bin/pygrub';

/** The node-derived values for rendering without the node, and header notes saying where each comes from. */
export function previewFound(profile: Profile): { found: Record<string, string | undefined>; notes: Record<string, string> } {
  const x = profile.xen;
  const vmVersion = profile.condor.vm.vmVersion;
  if (profile.hypervisor !== 'xen' || !x) return { found: { VM_VERSION: vmVersion }, notes: {} };
  const notes: Record<string, string> = {};
  const kver = x.kernelVersion === 'auto' ? KERNEL_PLACEHOLDER : x.kernelVersion;
  const bootloader = x.bootloader !== 'auto' ? x.bootloader : PYGRUB_PLACEHOLDER;
  if (x.bootloader === 'auto') notes.XEN_BOOTLOADER = 'the pygrub found on the node at apply time (/usr/bin/pygrub, /usr/lib/xen-<version>/bin/pygrub, ...; <version> = the installed Xen)';
  const kernel = x.kernel !== 'auto' ? x.kernel : `/boot/vmlinuz-${kver}`;
  if (x.kernel === 'auto') notes.XEN_DEFAULT_KERNEL = '/boot/vmlinuz-<kernelVersion> (xen.kernel: auto)';
  const initrd = x.initrd.build ? expandOutput(x.initrd.output, kver) : undefined;
  if (initrd) {
    notes.XEN_DEFAULT_INITRD = 'the initrd apply builds (xen.initrd.output)';
    notes.XenInitrd = 'the initrd apply builds (xen.initrd.output); jobs use it with xen_initrd = $$(XenInitrd)';
  }
  notes[KERNEL_PLACEHOLDER] = 'the running kernel at apply time (xen.kernelVersion: auto)';
  return { found: { VM_VERSION: vmVersion, XEN_BOOTLOADER: bootloader, XEN_KERNEL: kernel, XEN_INITRD: initrd }, notes };
}

/** What `render` prints for this profile, version and OS (pure). */
export function renderPreview(profile: Profile, version: CondorVersion, os: NodeOs): RenderResult {
  const { found, notes } = previewFound(profile);
  return renderConfig({ profile, version, os, found }, { notes });
}

/** "23.9.6" or "9.0" from the command line; anything else is a usage error. */
export function parseVersionFlag(text: string): CondorVersion {
  const v = /^\d+\.\d+(\.\d+)?$/.test(text.trim()) ? parseVersion(text) : undefined;
  if (!v) throw new VmpError('USAGE', `--condor-version must be a version like 23.9.6 (got ${JSON.stringify(text)})`);
  return v;
}

/** The HTCondor version installed here, from condor_version; a usage error when there is none. */
export async function localCondorVersion(host = new LocalHost()): Promise<CondorVersion> {
  const r = await host.exec('condor_version', []);
  if (r.exitCode === 127) {
    throw new VmpError('USAGE', 'HTCondor is not installed here (no condor_version in PATH), so the version to render for is unknown: pass --condor-version X.Y.Z', {
      hint: 'e.g. vm-provision render PROFILE --condor-version 23.9.6',
    });
  }
  const v = r.exitCode === 0 ? parseCondorVersionOutput(r.stdout) : undefined;
  if (!v) {
    throw new VmpError('USAGE', `could not read the HTCondor version from condor_version (exit ${r.exitCode}): pass --condor-version X.Y.Z`, {
      context: { command: ['condor_version'], stderrTail: (r.stderr || r.stdout).trimEnd().split('\n').slice(-4).join('\n') },
    });
  }
  return v;
}

export function registerRenderCommand(program: Command): void {
  program.command('render').argument('<profile>', 'host profile (YAML)')
    .description('print the HTCondor config file apply would write, for a given HTCondor version; touches nothing')
    .option('--condor-version <X.Y.Z>', 'HTCondor version to render for (default: the one installed here, from condor_version)')
    .addOption(new Option('--os <os>', 'operating system of the execute node (default: this one)').choices(['linux', 'windows']))
    .action(async (file: string, flags: { condorVersion?: string; os?: NodeOs }) => {
      const { profile } = await readProfile(file);
      const version = flags.condorVersion !== undefined ? parseVersionFlag(flags.condorVersion) : await localCondorVersion();
      const os: NodeOs = flags.os ?? (process.platform === 'win32' ? 'windows' : 'linux');
      const r = renderPreview(profile, version, os);
      for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
      process.stdout.write(r.content);
    });
}
