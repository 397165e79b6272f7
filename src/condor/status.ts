// Reads this node's slot ads from the collector: what the startd advertises about the VM universe.
import type { Host } from '../host/host.ts';

export interface SlotVm { name: string; hasVm: boolean; vmType?: string; vmMemory?: number; daemonStartTime?: number }

export const SLOT_ATTRS = ['Name', 'HasVM', 'VM_Type', 'VM_Memory', 'DaemonStartTime'];

/** `condor_status -af:t Name HasVM VM_Type VM_Memory DaemonStartTime`: one tab-separated line per slot. */
export function parseSlotLines(stdout: string): SlotVm[] {
  return stdout.split('\n').filter((l) => l.trim()).map((l) => {
    const [name, hasVm, vmType, vmMemory, start] = l.split('\t');
    const num = (s?: string) => (s && /^\d+$/.test(s) ? Number(s) : undefined);
    const str = (s?: string) => (s && s !== 'undefined' ? s.replace(/^"|"$/g, '') : undefined);
    return { name: name ?? '', hasVm: hasVm === 'true', vmType: str(vmType), vmMemory: num(vmMemory), daemonStartTime: num(start) };
  });
}

export async function querySlots(host: Host, machine: string): Promise<{ slots: SlotVm[]; error?: string }> {
  const r = await host.exec('condor_status', ['-af:t', ...SLOT_ATTRS, '-constraint', `Machine == "${machine.replace(/["\\]/g, '')}"`], { timeoutMs: 30_000 });
  if (r.exitCode !== 0) return { slots: [], error: (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ') };
  return { slots: parseSlotLines(r.stdout) };
}

export interface Expected { vmType: string; vmMemory: number }

export function slotsMatch(slots: SlotVm[], want: Expected): boolean {
  return slots.length > 0 && slots.every((s) => s.hasVm && s.vmType?.toLowerCase() === want.vmType && s.vmMemory === want.vmMemory);
}
