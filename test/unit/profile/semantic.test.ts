import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkAgainstFacts, loadProfile } from '../../../src/profile/index.ts';

const example = readFileSync(fileURLToPath(new URL('../../../examples/kvm-node.yaml', import.meta.url)), 'utf8');

function loaded(memory: number) {
  const result = loadProfile('kvm.yaml', example.replace('memory: 1024', `memory: ${memory}`));
  if (!result.ok) throw new Error('example should load');
  return result;
}

describe('checkAgainstFacts', () => {
  it('flags VM memory above the node RAM at condor.vm.memory', () => {
    const r = loaded(4096);
    const issues = checkAgainstFacts(r.profile, r.positionOf, r.file, { memTotalMiB: 2048 });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      file: 'kvm.yaml',
      line: 15,
      col: 13,
      path: 'condor.vm.memory',
      message: "VM_MEMORY 4096 MiB is more than this node's RAM (2048 MiB)",
    });
  });

  it('accepts memory that fits, and skips the check without the fact', () => {
    const r = loaded(2048);
    expect(checkAgainstFacts(r.profile, r.positionOf, r.file, { memTotalMiB: 2048 })).toEqual([]);
    expect(checkAgainstFacts(r.profile, r.positionOf, r.file, {})).toEqual([]);
  });
});
