// VMware preflight: the VMware command-line tools and the Perl interpreter that runs HTCondor's VMware control
// script must be on the node (vm-provision cannot install VMware: it is in no distribution's repositories).
import { VmpError } from '../errors/vmp-error.ts';
import { SEARCH_PATH, which, type Host } from '../host/host.ts';
import type { Facts } from '../facts/gather.ts';
import type { Profile } from '../profile/index.ts';

/** What HTCondor's condor_vm_vmware script runs. */
export const VMWARE_TOOLS = ['vmrun', 'vmware-vdiskmanager'] as const;

const isFile = (kind: string | undefined) => kind === 'file' || kind === 'symlink';

/** The interpreter vmware.perl names: an absolute path that exists, or a command found in PATH. */
export async function findPerl(host: Host, perl: string): Promise<string | undefined> {
  if (perl.startsWith('/')) return isFile((await host.fileInfo(perl))?.kind) ? perl : undefined;
  return which(host, perl);
}

const PERL_PACKAGE: Record<string, string> = {
  debian: 'apt-get install perl', rhel: 'dnf install perl', suse: 'zypper install perl',
};

/** Checks the node for VMware and Perl; returns found items for the preflight summary, throws PREFLIGHT naming what is missing. */
export async function vmwareChecks(host: Host, profile: Profile, facts: Facts): Promise<string[]> {
  const perl = profile.vmware?.perl ?? 'perl';
  const script = profile.vmware?.script ?? 'auto';
  const [tools, perlPath, scriptInfo] = await Promise.all([
    Promise.all(VMWARE_TOOLS.map(async (t) => [t, await which(host, t)] as const)),
    findPerl(host, perl),
    script === 'auto' ? Promise.resolve(undefined) : host.fileInfo(script),
  ]);
  const missingTools = tools.filter(([, p]) => !p).map(([t]) => t);
  const problems: string[] = [];
  const hints: string[] = [];
  if (missingTools.length) {
    problems.push(`${missingTools.join(' and ')} not found (looked in ${SEARCH_PATH.join(', ')})`);
    hints.push(`install VMware Workstation/Player or VMware Server so that ${missingTools.join(' and ')} ${missingTools.length > 1 ? 'are' : 'is'} in /usr/bin or /usr/local/bin (vm-provision cannot install VMware)`);
  }
  if (!perlPath) {
    problems.push(`the Perl interpreter ${perl} (vmware.perl) ${perl.startsWith('/') ? 'does not exist' : `is not in ${SEARCH_PATH.join(', ')}`}`);
    const install = PERL_PACKAGE[facts.os.family];
    hints.push(`${install ? `install Perl (${install})` : 'install Perl'}, or set vmware.perl to the interpreter's absolute path`);
  }
  if (script !== 'auto' && !isFile(scriptInfo?.kind)) {
    problems.push(`the VMware control script ${script} (vmware.script) does not exist`);
    hints.push('set vmware.script to HTCondor\'s condor_vm_vmware script, or to auto for the one HTCondor ships');
  }
  if (problems.length) {
    throw new VmpError('PREFLIGHT', `VMware node not ready: ${problems.join('; ')}`, { hint: hints.join('; ') });
  }
  return [
    ...tools.map(([t, p]) => `${t} ${p}`),
    `perl ${perlPath}`,
    ...(script !== 'auto' ? [`VMware script ${script}`] : []),
  ];
}
