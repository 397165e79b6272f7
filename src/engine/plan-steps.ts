// Which steps a profile runs, in order.
import type { Profile } from '../profile/index.ts';
import type { Step } from '../steps/step.ts';
import { preflight } from '../steps/preflight.ts';
import { packages } from '../steps/packages.ts';
import { services } from '../steps/services.ts';
import { condorConfig } from '../steps/condor-config.ts';
import { restart } from '../steps/restart.ts';
import { verify } from '../steps/verify.ts';
import { initrd } from '../steps/initrd.ts';

export function stepsFor(profile: Profile): Step[] {
  if (profile.hypervisor === 'xen') return [preflight, packages, services, initrd, condorConfig, restart, verify];
  return [preflight, packages, services, condorConfig, restart, verify];
}
