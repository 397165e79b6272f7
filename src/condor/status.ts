// Reads this node's slot ads from the collector: what the startd advertises about the VM universe.
import type { Host } from '../host/host.ts';
import { couldNotAsk, parseConfigValVerbose, type KnobSource } from './config-val.ts';

export interface SlotVm {
  name: string; hasVm: boolean; vmType?: string; vmMemory?: number; daemonStartTime?: number;
  /** The work on the slot, for what a restart costs (see slot-work.ts). */
  state?: string; activity?: string; remoteOwner?: string; remoteUser?: string; jobId?: string; jobStart?: number;
  enteredActivity?: number; draining?: boolean; drainRequestId?: string; retirement?: number; vacate?: number;
  address?: string; drainReason?: string;
}

/** DrainReason is free text: last, so that a tab in it cannot shift the other columns. */
export const SLOT_ATTRS = [
  'Name', 'HasVM', 'VM_Type', 'VM_Memory', 'DaemonStartTime', 'State', 'Activity', 'RemoteOwner', 'RemoteUser', 'JobId',
  'JobStart', 'EnteredCurrentActivity', 'Draining', 'DrainingRequestId', 'MaxJobRetirementTime', 'MachineMaxVacateTime',
  'MyAddress', 'DrainReason',
];

/** `condor_status -af:t <SLOT_ATTRS>`: one tab-separated line per slot (-af evaluates expressions, strings unquoted). */
export function parseSlotLines(stdout: string): SlotVm[] {
  return stdout.split('\n').filter((l) => l.trim()).map((l) => {
    const [name, hasVm, vmType, vmMemory, start, state, activity, owner, user, jobId, jobStart, entered, draining, requestId,
      retirement, vacate, address, ...reason] = l.split('\t');
    const num = (s?: string) => (s && /^-?\d+$/.test(s) ? Number(s) : undefined);
    const str = (s?: string) => (s && s !== 'undefined' ? s.replace(/^"|"$/g, '') : undefined);
    const slot: SlotVm = { name: name ?? '', hasVm: hasVm === 'true', vmType: str(vmType), vmMemory: num(vmMemory), daemonStartTime: num(start) };
    const extra: Partial<SlotVm> = {
      state: str(state), activity: str(activity), remoteOwner: str(owner), remoteUser: str(user), jobId: str(jobId),
      jobStart: num(jobStart), enteredActivity: num(entered), draining: draining === undefined ? undefined : draining === 'true',
      drainRequestId: str(requestId), retirement: num(retirement), vacate: num(vacate), address: str(address),
      drainReason: str(reason.length ? reason.join('\t') : undefined),
    };
    for (const [k, v] of Object.entries(extra)) if (v !== undefined) (slot as unknown as Record<string, unknown>)[k] = v;
    return slot;
  });
}

/** `condor_status -af:t ATTRS -constraint Machine == "machine"`: stdout, or the error's last lines. */
async function slotStatus(host: Host, machine: string, attrs: string[]): Promise<{ stdout: string; error?: string }> {
  const r = await host.exec('condor_status', ['-af:t', ...attrs, '-constraint', `Machine == "${machine.replace(/["\\]/g, '')}"`], { timeoutMs: 30_000 });
  return r.exitCode === 0 ? { stdout: r.stdout } : { stdout: '', error: (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ') };
}

export async function querySlots(host: Host, machine: string): Promise<{ slots: SlotVm[]; error?: string }> {
  const r = await slotStatus(host, machine, SLOT_ATTRS);
  return r.error !== undefined ? { slots: [], error: r.error } : { slots: parseSlotLines(r.stdout) };
}

/**
 * querySlots with each ad's LastHeardFrom (the collector's clock) in front: preflight's clock check and the restart
 * step's look at the slots in one condor_status. heard is empty when the collector could not be asked.
 */
export async function querySlotsHeard(host: Host, machine: string): Promise<{ slots: SlotVm[]; heard: number[]; error?: string }> {
  const r = await slotStatus(host, machine, ['LastHeardFrom', ...SLOT_ATTRS]);
  if (r.error !== undefined) return { slots: [], heard: [], error: r.error };
  const heard: number[] = [];
  const rest = r.stdout.split('\n').filter((l) => l.trim()).map((l) => {
    const tab = l.indexOf('\t');
    const first = (tab < 0 ? l : l.slice(0, tab)).trim();
    if (/^\d+$/.test(first)) heard.push(Number(first));
    return tab < 0 ? '' : l.slice(tab + 1);
  });
  return { slots: parseSlotLines(rest.join('\n')), heard };
}

export interface Expected { vmType: string; vmMemory: number }

/**
 * HasVM with the profile's VM_Type on every slot. VM_Memory is not compared: the startd advertises the *free* VM
 * memory, lower than VM_MEMORY while VM jobs run; what it was configured with comes from askStartd.
 */
export function slotsAdvertiseVm(slots: SlotVm[], want: Expected): boolean {
  return slots.length > 0 && slots.every((s) => s.hasVm && s.vmType?.toLowerCase() === want.vmType);
}

export type StartdAnswer = { sources: Map<string, KnobSource>; error?: undefined } | { sources?: undefined; error: string };

/** `condor_config_val -startd -v NAMES`: the values the running startd was configured with (its own param table). */
export async function askStartd(host: Host, names: string[]): Promise<StartdAnswer> {
  const r = await host.exec('condor_config_val', ['-startd', '-v', ...names], { timeoutMs: 30_000 });
  const error = couldNotAsk(r);
  return error ? { error } : { sources: parseConfigValVerbose(r.stdout, names) };
}

/** Knobs whose running value differs from the wanted one, as "NAME=running (wanted)"; undefined = not defined. */
export function runningDiffers(running: Map<string, KnobSource>, wanted: Record<string, string | undefined>): string[] {
  const out: string[] = [];
  for (const [name, want] of Object.entries(wanted)) {
    const s = running.get(name);
    const have = s?.defined ? s.value : undefined;
    if ((have ?? '') !== (want ?? '')) out.push(`${name}=${have ?? 'undefined'} (the config says ${want ?? 'undefined'})`);
  }
  return out;
}
