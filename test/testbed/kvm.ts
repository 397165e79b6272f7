// /dev/kvm for test nodes: the host's device where it has one; otherwise a placeholder device node with the kvm
// module's numbers (char 10:232), so everything vm-provision does stays real while no VM can start.
import { existsSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runSync } from './exec.ts';
import { CACHE_DIR } from './config.ts';

export type KvmMode = 'passthrough' | 'placeholder';

/** `VMP_TESTBED_KVM=placeholder` forces the placeholder on a host that has /dev/kvm, so both paths can be tested. */
export const KVM_ENV = 'VMP_TESTBED_KVM';

export function kvmForced(): boolean {
  return process.env[KVM_ENV] === 'placeholder';
}

export function kvmMode(): KvmMode {
  return kvmForced() || !existsSync('/dev/kvm') ? 'placeholder' : 'passthrough';
}

/** What a node's /dev/kvm is, in words, wherever a node is shown. */
export function kvmNote(mode: KvmMode = kvmMode()): string {
  if (mode === 'passthrough') return '/dev/kvm: the host\'s device';
  const why = kvmForced() ? `forced by ${KVM_ENV}=placeholder` : 'no hardware virtualization here';
  return `placeholder /dev/kvm: ${why}; VMs cannot start, the rest is real`;
}

// On the root file system, not /run: a device node on a nodev mount could not be opened through the bind.
const PLACEHOLDER = join(CACHE_DIR, 'kvm-placeholder');

/** The host path bound at the node's /dev/kvm. */
export function kvmDeviceSource(mode: KvmMode = kvmMode()): string {
  if (mode === 'passthrough') return '/dev/kvm';
  const st = existsSync(PLACEHOLDER) ? lstatSync(PLACEHOLDER) : undefined;
  const ok = st?.isCharacterDevice() && st.rdev === (10 << 8 | 232);
  if (st && !ok) rmSync(PLACEHOLDER, { force: true });
  if (!ok) {
    mkdirSync(CACHE_DIR, { recursive: true });
    const r = runSync('mknod', ['-m', '0660', PLACEHOLDER, 'c', '10', '232']);
    if (r.exitCode !== 0 && !existsSync(PLACEHOLDER)) throw new Error(`testbed: cannot create the placeholder /dev/kvm (mknod ${PLACEHOLDER} c 10 232): ${r.stderr.trim()}`);
  }
  return PLACEHOLDER;
}
