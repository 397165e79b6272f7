import type { ProfileIssue } from './issues.ts';
import type { Profile } from './schema.ts';

export interface NodeFacts {
  memTotalMiB?: number;
}

/** Checks that need facts about the node, run after the profile loaded cleanly. */
export function checkAgainstFacts(
  profile: Profile,
  positionOf: (p: (string | number)[]) => { line: number; col: number },
  file: string,
  facts: NodeFacts,
): ProfileIssue[] {
  const issues: ProfileIssue[] = [];
  const memory = profile.condor.vm.memory;
  if (facts.memTotalMiB !== undefined && memory > facts.memTotalMiB) {
    const { line, col } = positionOf(['condor', 'vm', 'memory']);
    issues.push({
      file,
      line,
      col,
      path: 'condor.vm.memory',
      message: `VM_MEMORY ${memory} MiB is more than this node's RAM (${facts.memTotalMiB} MiB)`,
      hint: 'VM_MEMORY is shared by all VMs on the node; set condor.vm.memory below the RAM, leaving room for the host',
    });
  }
  return issues;
}
