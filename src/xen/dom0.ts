// Is this node a Xen Dom0? Decided from kernel-provided files, in the reference's order, naming the signal
// that decided. (Never from systeminformation or dmesg: they cannot tell Dom0 from DomU.)
import type { Host } from '../host/host.ts';

export type XenRole = 'dom0' | 'domU' | 'none' | 'unknown';

export interface XenSignals {
  /** Content of /sys/hypervisor/type, undefined when missing. */
  hypervisorType?: string;
  /** Content of /sys/hypervisor/properties/features (8 hex digits), undefined when missing. */
  features?: string;
  procXen: boolean;
  /** Content of /proc/xen/capabilities; 'unreadable' when it exists but cannot be read (mode 0400, not root). */
  capabilities?: string | 'unreadable';
}

export interface XenDetection { role: XenRole; decidedBy: string; seen: string[] }

const XENFEAT_DOM0 = 0x800; // bit 11

export function detectXenRole(s: XenSignals): XenDetection {
  const type = s.hypervisorType?.trim();
  const seen = [
    type === undefined ? '/sys/hypervisor/type missing' : `/sys/hypervisor/type = ${type || '(empty)'}`,
    s.procXen ? '/proc/xen present' : '/proc/xen missing',
  ];
  if (type !== 'xen' && !s.procXen) return { role: 'none', decidedBy: seen.join(', '), seen };
  const feat = s.features?.trim();
  if (feat !== undefined && /^[0-9a-fA-F]{1,8}$/.test(feat)) {
    seen.push(`/sys/hypervisor/properties/features = ${feat}`);
    const dom0 = (parseInt(feat, 16) & XENFEAT_DOM0) !== 0;
    return { role: dom0 ? 'dom0' : 'domU', decidedBy: `/sys/hypervisor/properties/features = ${feat} (XENFEAT_dom0 bit 11 ${dom0 ? 'set' : 'clear'})`, seen };
  }
  if (s.capabilities === 'unreadable') {
    seen.push('/proc/xen/capabilities unreadable');
    return { role: 'unknown', decidedBy: '/proc/xen/capabilities exists but is readable only by root (xenlinux kernels make it mode 0400): run as root', seen };
  }
  if (s.capabilities !== undefined) {
    const dom0 = /\bcontrol_d\b/.test(s.capabilities);
    seen.push(`/proc/xen/capabilities = ${s.capabilities.trim() || '(empty)'}`);
    return { role: dom0 ? 'dom0' : 'domU', decidedBy: `/proc/xen/capabilities ${dom0 ? 'contains' : 'lacks'} control_d`, seen };
  }
  seen.push('no /sys/hypervisor/properties/features, no /proc/xen/capabilities');
  return {
    role: 'unknown',
    decidedBy: 'a Xen kernel, but neither /sys/hypervisor/properties/features nor /proc/xen/capabilities is there: xenfs is not mounted (mount -t xenfs xenfs /proc/xen)',
    seen,
  };
}

export async function readXenSignals(host: Host): Promise<XenSignals> {
  const [type, features, procXen, capsInfo] = await Promise.all([
    host.readFile('/sys/hypervisor/type'),
    host.readFile('/sys/hypervisor/properties/features'),
    host.fileInfo('/proc/xen'),
    host.fileInfo('/proc/xen/capabilities'),
  ]);
  let capabilities: XenSignals['capabilities'];
  if (capsInfo) {
    try { capabilities = (await host.readFile('/proc/xen/capabilities')) ?? ''; } catch { capabilities = 'unreadable'; }
  }
  return { hypervisorType: type, features, procXen: procXen !== undefined, capabilities };
}
