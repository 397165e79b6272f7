// `diagnose(host)`: why does this node not run VM jobs? Gathers the evidence (read-only), then runs the checks.
import type { Host } from '../host/host.ts';
import { gatherEvidence } from './gather.ts';
import type { Evidence } from './evidence.ts';
import type { Diagnosis, Finding } from './finding.ts';
import { checkKnobs, checkRestartOwed, checkVmMemory, checkVmType } from './checks-config.ts';
import { checkGahpBinary, checkGahpTest, checkHtcondor, checkStartd } from './checks-condor.ts';
import { checkKvmDevice, checkLibvirt, checkXen } from './checks-hypervisor.ts';
import { checkAdvertised, checkJournal, checkUser } from './checks-pool.ts';
import { linkCauses } from './causes.ts';
import { checkDpkg, checkPackages } from './checks-packages.ts';
import { checkApplyRunning, checkClock, checkLastApply, checkWritable } from './checks-node.ts';

/** Every check over the evidence, in the order a person would look (pure). */
export function runChecks(e: Evidence): Diagnosis {
  const c = e.facts.condor;
  const found: Array<Finding | undefined> = [checkApplyRunning(e), checkUser(e), checkHtcondor(e), ...checkWritable(e), checkClock(e)];
  if (c.installed) {
    const restart = checkRestartOwed(e);
    found.push(
      checkDpkg(e), checkPackages(e), ...checkStartd(e), checkVmType(e), checkKnobs(e), checkVmMemory(e), checkGahpBinary(e),
      checkKvmDevice(e), checkLibvirt(e), ...checkXen(e),
      restart, checkGahpTest(e), checkAdvertised(e), checkJournal(e, restart?.status === 'problem'), checkLastApply(e),
    );
  }
  const findings = linkCauses(found.filter((f): f is Finding => f !== undefined));
  const vmType = e.files.VM_TYPE?.defined ? e.files.VM_TYPE.value?.trim() : undefined;
  return {
    host: e.host, ...(c.version ? { condorVersion: c.version.text } : {}), ...(vmType ? { vmType } : {}),
    healthy: !findings.some((f) => f.status === 'problem'), findings,
  };
}

export async function diagnose(host: Host): Promise<Diagnosis> {
  return runChecks(await gatherEvidence(host));
}
