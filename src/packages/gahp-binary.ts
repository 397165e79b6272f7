// The VM gahp binary: there and executable, or the startd turns the VM universe off after a restart.
import type { Host } from '../host/host.ts';
import type { Facts } from '../facts/gather.ts';
import { VmpError } from '../errors/vmp-error.ts';

/** VM_GAHP_SERVER as the files set it, or HTCondor's default $(SBIN)/condor_vm-gahp. */
export function gahpPath(facts: Facts): string {
  const src = facts.condor.knobSources?.VM_GAHP_SERVER;
  return src?.defined && src.value?.trim() ? src.value.trim() : `${facts.condor.sbin ?? '/usr/sbin'}/condor_vm-gahp`;
}

/**
 * Refuses (before the config changes) a gahp that is there but not executable: the startd would turn the VM universe
 * off after our restart ("To support vm universe, '…' must be executable"). A missing one is left to the packages.
 */
export async function refuseUnexecutableGahp(host: Host, facts: Facts): Promise<void> {
  const path = gahpPath(facts);
  let info = await host.fileInfo(path);
  const target = info?.kind === 'symlink' ? await host.realpath(path) : undefined;
  if (target) info = await host.fileInfo(target);
  if (!info || (info.kind === 'file' && (info.mode & 0o111) !== 0)) return;
  const what = info.kind === 'file' ? `mode 0${info.mode.toString(8)}` : `a ${info.kind}`;
  throw new VmpError('PACKAGES', `the VM gahp ${path}${target ? ` (→ ${target})` : ''} is not executable (${what}): the startd would turn the VM universe off ("To support vm universe, '${path}' must be executable"); the config was not changed`, {
    hint: `chmod 755 ${target ?? path} (condor-vm-gahp installs it 0755), then run vm-provision again`,
  });
}
