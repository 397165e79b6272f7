// Which VM knobs matter on this node: the ones its HTCondor version reads, for its hypervisor.
import { KNOBS, forHypervisor, versionReads, type Hypervisor, type KnobSpec } from '../condor/knobs.ts';
import type { CondorVersion } from '../condor/version.ts';

const HYPERVISORS: Hypervisor[] = ['kvm', 'xen', 'vmware'];

export const asHypervisor = (t: string | undefined): Hypervisor | undefined => HYPERVISORS.find((h) => h === t);

/** The knobs (not attributes) this version reads for this hypervisor; all hypervisors' when it is unknown. */
export function relevantSpecs(version: CondorVersion | undefined, vmType: string | undefined): KnobSpec[] {
  const h = asHypervisor(vmType);
  return KNOBS.filter((k) => k.kind !== 'attribute' && (!h || forHypervisor(k, h)) && (!version || versionReads(k, version)));
}

export function relevantKnobs(version: CondorVersion | undefined, vmType: string | undefined): string[] {
  return relevantSpecs(version, vmType).map((k) => k.name);
}
