import { z } from 'zod';
import { configStringProblem } from './config-string.ts';
import { isStockInitrdName } from '../initrd/stock-names.ts';
import {
  INTERFACE_MESSAGE,
  INTERFACE_PATTERN,
  KERNEL_MODULE_MESSAGE,
  KERNEL_MODULE_PATTERN,
  kernelVersionProblem,
} from './name-rules.ts';
import { absolutePathProblem, perlInterpreterProblem, type RuleProblem } from './path-rules.ts';

export const API_VERSION = 'vm-provision/v1';
export const KIND = 'HostProfile';
export const HYPERVISORS = ['kvm', 'xen', 'vmware'] as const;
export const NETWORK_TYPES = ['nat', 'bridge'] as const;
/** VM_NETWORKING_TYPE values; `user` (passt) is KVM-only, read from HTCondor 25.12.2 (preflight checks the version). */
export const VM_NETWORK_TYPES = ['nat', 'bridge', 'user'] as const;

const NAME_PATTERN = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;
const DEFAULT_INITRD_OUTPUT = '/boot/initrd-{kernelVersion}-condor-xen.img';

type Ctx = z.core.$RefinementCtx<unknown>;

function report(ctx: Ctx, problem: RuleProblem | undefined, input: unknown, path?: (string | number)[]): void {
  if (!problem) return;
  ctx.addIssue({
    code: 'custom',
    message: problem.message,
    input,
    ...(path ? { path } : {}),
    ...(problem.hint ? { params: { hint: problem.hint } } : {}),
  });
}

/** A string that may be written into HTCondor configuration. */
function configString() {
  return z.string().superRefine((value, ctx) => {
    const message = configStringProblem(value);
    // continue: false stops the format/path checks chained after this one from piling on.
    if (message) ctx.addIssue({ code: 'custom', message, input: value, continue: false });
  });
}

/** An absolute path on the node, or the literal `auto` when allowed. */
function nodePath(example: string, opts: { auto: boolean }) {
  return configString().superRefine((value, ctx) => {
    if (opts.auto && value === 'auto') return;
    report(ctx, absolutePathProblem(value, example), value);
  });
}

const isObjectPayload = (payload: { value: unknown }): boolean =>
  typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value);

const Metadata = z
  .strictObject({
    name: configString()
      .max(63)
      .regex(NAME_PATTERN, 'must be lowercase letters, digits, "." and "-", starting and ending with a letter or digit')
      .meta({ description: 'Name of this host profile (1-63 characters, DNS-label style).', examples: ['kvm-node'] }),
    description: configString().optional().meta({ description: 'Free text describing the profile.' }),
  })
  .meta({ description: 'Identifies the profile.' });

const Packages = z
  .strictObject({
    install: z
      .boolean()
      .default(true)
      .meta({ description: "Install missing tools (hypervisor, libvirt, ...) with the node's package manager." }),
  })
  .prefault({})
  .meta({ description: 'Package installation on the node.' });

// Runs even when a field failed (when:) so cross-field errors show up with the others; read defensively.
function checkNetworking(net: Record<string, unknown>, ctx: Ctx): void {
  const types = Array.isArray(net.types) ? net.types.filter((t): t is string => typeof t === 'string') : [];
  types.forEach((type, index) => {
    if (types.indexOf(type) !== index) {
      ctx.addIssue({ code: 'custom', message: `"${type}" is listed more than once in types`, input: type, path: ['types', index] });
    }
  });
  const fallback = net.default;
  if (typeof fallback === 'string' && (VM_NETWORK_TYPES as readonly string[]).includes(fallback) && !types.includes(fallback)) {
    report(ctx, {
      message: `default "${fallback}" is not one of types [${types.join(', ')}]`,
      hint: `add ${fallback} to types, or set default to one of them`,
    }, fallback, ['default']);
  }
  const iface = net.bridgeInterface;
  if (types.includes('bridge') && (iface === null || iface === undefined)) {
    report(ctx, {
      message: 'types includes bridge, so bridgeInterface is required',
      hint: 'name the host bridge the VMs attach to, e.g. bridgeInterface: br0',
    }, iface, ['bridgeInterface']);
  }
  if (typeof iface === 'string' && !types.includes('bridge')) {
    report(ctx, {
      message: `bridgeInterface is set to "${iface}" but types does not include bridge`,
      hint: 'add bridge to types, or remove bridgeInterface',
    }, iface, ['bridgeInterface']);
  }
}

const Networking = z
  .strictObject({
    enabled: z.boolean().default(false).meta({ description: 'Let VM jobs have network access.' }),
    types: z
      .array(z.enum(VM_NETWORK_TYPES))
      .min(1)
      .default(['nat'])
      .meta({ description: 'VM_NETWORKING_TYPE: the networking types offered to jobs. user = passt (KVM only, HTCondor 25.12.2+).' }),
    default: z
      .enum(VM_NETWORK_TYPES)
      .default('nat')
      .meta({ description: 'VM_NETWORKING_DEFAULT_TYPE: used when a job does not ask for one; must be in types.' }),
    bridgeInterface: configString()
      .regex(INTERFACE_PATTERN, INTERFACE_MESSAGE)
      .nullable()
      .default(null)
      .meta({ description: 'VM_NETWORKING_BRIDGE_INTERFACE: host bridge for bridge networking; required when types includes bridge.', examples: ['br0'] }),
  })
  .superRefine((net, ctx) => checkNetworking(net, ctx), { when: isObjectPayload })
  .prefault({})
  .meta({ description: 'VM networking (VM_NETWORKING and related settings).' });

const Vm = z
  .strictObject({
    memory: z.int().min(1).meta({ description: 'VM_MEMORY: MiB of memory all VMs on this node may use together.', examples: [1024] }),
    maxNumber: z.int().min(1).default(1).meta({ description: 'VM_MAX_NUMBER: how many VMs may run at once.' }),
    vmVersion: configString()
      .regex(/^[A-Za-z0-9._+-]{1,64}$/, 'must be a version string like server1.0.4 (letters, digits, . _ + -)')
      .optional()
      .meta({ description: 'VM_VERSION: the hypervisor version advertised as VM_Version (HTCondor 7.0–7.3 only; required by 7.2).', examples: ['server1.0.4'] }),
    networking: Networking,
  })
  .meta({ description: 'VM universe settings.' });

export const RESTART_MODES = ['graceful', 'peaceful', 'drain', 'none'] as const;
export const DRAIN_HOWS = ['graceful', 'quick', 'fast'] as const;
export const DEFAULT_DRAIN_REASON = 'vm-provision: enable VM universe';

const RestartObject = z
  .strictObject({
    mode: z.enum(RESTART_MODES).default('graceful').meta({
      description: 'graceful: condor_off -startd, then condor_on -startd (like condor_restart -startd, without the master\'s restart backoff; running jobs are vacated unless MaxJobRetirementTime covers them); peaceful: condor_restart -peaceful -startd (no new jobs; restart when the last one ends); drain: condor_drain -restart-on-completion (HTCondor 8.9.13/9.0+); none: only report the restart as owed.',
    }),
    timeout: z.int().min(10).max(31_536_000).default(86_400).meta({
      description: 'Seconds to wait for running jobs (peaceful, drain) before giving up: the drain is cancelled and the config handled per verify.onFailure.',
    }),
    drain: z
      .strictObject({
        how: z.enum(DRAIN_HOWS).default('graceful').meta({ description: 'condor_drain -graceful (retirement and vacate time honoured), -quick (vacate time only) or -fast (neither).' }),
        reason: configString()
          .min(1)
          .max(200)
          .default(DEFAULT_DRAIN_REASON)
          .meta({ description: 'Advertised as DrainReason while draining; vm-provision recognises its own drains by the leading "vm-provision".' }),
      })
      .prefault({})
      .meta({ description: 'How to drain (mode: drain).' }),
  })
  .meta({ description: 'Restart of the startd after the VM config changed.' });

const { $schema: _restartDialect, ...restartObjectJson } = z.toJSONSchema(RestartObject, { io: 'input' }) as Record<string, unknown>;

/** `startd` (= mode graceful) and `none` are the original short forms; both become the object before validation. */
const Restart = z
  .preprocess((value, ctx) => {
    if (value === 'startd') return { mode: 'graceful' };
    if (value === 'none') return { mode: 'none' };
    if (typeof value === 'string') {
      ctx.addIssue({
        code: 'custom', input: value,
        message: `must be startd, none, or a mapping {mode, timeout, drain}, got the string ${JSON.stringify(value.slice(0, 40))}`,
        params: { hint: 'e.g. restart: {mode: peaceful} (modes: graceful, peaceful, drain, none)' },
      });
      return z.NEVER;
    }
    return value;
  }, RestartObject)
  .prefault('startd')
  // The JSON Schema shows both written forms (zod would show only the object).
  .meta({
    description: 'How to restart the startd after writing the config: startd (= mode graceful), none, or {mode, timeout, drain}.',
    type: undefined, properties: undefined, additionalProperties: undefined, default: 'startd',
    anyOf: [{ type: 'string', enum: ['startd', 'none'] }, restartObjectJson],
  } as Record<string, unknown>);

const Condor = z
  .strictObject({
    configFile: nodePath('/etc/condor/config.d/50-vm-universe.config', { auto: true })
      .default('auto')
      .meta({
        description:
          'Config file to write: auto = <last directory of LOCAL_CONFIG_DIR>/50-vm-universe.config, otherwise an absolute path.',
        examples: ['auto', '/etc/condor/config.d/50-vm-universe.config'],
      }),
    restart: Restart,
    vm: Vm,
  })
  .meta({ description: 'HTCondor configuration.' });

export const XenSectionSchema = z
  .strictObject({
    requireDom0: z.boolean().default(true).meta({ description: 'Refuse to provision unless running in a Xen dom0.' }),
    kernelVersion: configString()
      .superRefine((value, ctx) => report(ctx, kernelVersionProblem(value), value))
      .default('auto').meta({ description: 'Kernel version for VMs; auto = the running kernel.' }),
    kernel: nodePath('/boot/vmlinuz-6.1.0-xen', { auto: true })
      .default('auto')
      .meta({ description: 'XEN_DEFAULT_KERNEL: absolute path, or auto.' }),
    bootloader: nodePath('/usr/bin/pygrub', { auto: true })
      .default('auto')
      .meta({ description: 'XEN_BOOTLOADER: absolute path, or auto.' }),
    initrd: z
      .strictObject({
        build: z.boolean().default(true).meta({ description: 'Build an initrd with the Xen front-end drivers.' }),
        output: nodePath(DEFAULT_INITRD_OUTPUT, { auto: false })
          .superRefine((value, ctx) => {
            if (value.startsWith('/') && !value.split('/').includes('..') && isStockInitrdName(value)) {
              report(ctx, {
                message: `${value} is the distribution's own (stock) initrd name: the node boots with that image, vm-provision never writes it`,
                hint: `use a separate image, e.g. ${DEFAULT_INITRD_OUTPUT}`,
              }, value);
            }
          })
          .default(DEFAULT_INITRD_OUTPUT)
          .meta({ description: 'XEN_DEFAULT_INITRD: where the initrd goes; {kernelVersion} is replaced.' }),
        drivers: z
          .array(configString().regex(KERNEL_MODULE_PATTERN, KERNEL_MODULE_MESSAGE))
          .default(['xennet', 'xenblk'])
          .meta({ description: 'Kernel modules to put in the initrd.' }),
        tool: z
          .enum(['auto', 'dracut', 'mkinitrd', 'mkinitramfs'])
          .default('auto')
          .meta({ description: 'Tool that builds the initrd; auto = whichever the node has.' }),
      })
      .prefault({})
      .meta({ description: 'Initrd for Xen VMs.' }),
  })
  .meta({ description: 'Xen settings; only with hypervisor: xen.' });

export const VmwareSectionSchema = z
  .strictObject({
    perl: configString()
      .superRefine((value, ctx) => report(ctx, perlInterpreterProblem(value), value))
      .default('perl')
      .meta({ description: 'VMWARE_PERL: the Perl interpreter, a command name or absolute path.', examples: ['perl', '/usr/bin/perl'] }),
    script: nodePath('/usr/sbin/condor_vm_vmware', { auto: true })
      .default('auto')
      .meta({ description: 'VMWARE_SCRIPT: the condor_vm_vmware control script; auto = the one shipped with HTCondor.' }),
    networkingType: z
      .enum(NETWORK_TYPES)
      .default('nat')
      .meta({ description: 'VMWARE_NETWORKING_TYPE.' }),
  })
  .meta({ description: 'VMware settings; only with hypervisor: vmware.' });

const Verify = z
  .strictObject({
    timeout: z.int().min(10).max(3600).default(900).meta({ description: 'Seconds to wait for the restarted startd to advertise VM support; the default covers a graceful vacate (MachineMaxVacateTime 600 s) and the master restart backoff.' }),
    onFailure: z
      .enum(['rollback', 'keep'])
      .default('rollback')
      .meta({ description: 'rollback restores the previous state if verification fails; keep leaves it for debugging.' }),
  })
  .prefault({})
  .meta({ description: 'Checks after provisioning.' });

function checkSectionsMatchHypervisor(profile: Record<string, unknown>, ctx: Ctx): void {
  const hypervisor = profile.hypervisor;
  if (typeof hypervisor !== 'string' || !(HYPERVISORS as readonly string[]).includes(hypervisor)) return;
  for (const section of ['xen', 'vmware'] as const) {
    if (profile[section] !== undefined && hypervisor !== section) {
      report(ctx, {
        message: `${section} section given but hypervisor is ${hypervisor}`,
        hint: `remove the ${section} section, or set hypervisor: ${section}`,
      }, profile[section], [section]);
    }
  }
}

export const HostProfileInputSchema = z
  .strictObject({
    apiVersion: z.literal(API_VERSION).meta({ description: 'Format version of this file.' }),
    kind: z.literal(KIND).meta({ description: 'Kind of document.' }),
    metadata: Metadata,
    hypervisor: z.enum(HYPERVISORS).meta({ description: 'Hypervisor the VM universe uses on this node.' }),
    packages: Packages,
    condor: Condor,
    xen: XenSectionSchema.optional(),
    vmware: VmwareSectionSchema.optional(),
    verify: Verify,
  })
  .superRefine((profile, ctx) => checkSectionsMatchHypervisor(profile, ctx), { when: isObjectPayload });

/** Parses a host profile; the output is fully defaulted, including the section of the chosen hypervisor. */
export const HostProfileSchema = HostProfileInputSchema.transform((p) => ({
  ...p,
  xen: p.xen ?? (p.hypervisor === 'xen' ? XenSectionSchema.parse({}) : undefined),
  vmware: p.vmware ?? (p.hypervisor === 'vmware' ? VmwareSectionSchema.parse({}) : undefined),
}));

export type Profile = z.output<typeof HostProfileSchema>;
export type ProfileInput = z.input<typeof HostProfileSchema>;
export type XenSection = z.output<typeof XenSectionSchema>;
export type VmwareSection = z.output<typeof VmwareSectionSchema>;
export type RestartSpec = z.output<typeof RestartObject>;
