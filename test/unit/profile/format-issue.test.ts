import { describe, expect, it } from 'vitest';
import { formatIssue } from '../../../src/profile/index.ts';

describe('formatIssue', () => {
  it('writes FILE:LINE:COL: path: message', () => {
    expect(formatIssue({ file: 'p.yaml', line: 3, col: 7, path: 'condor.vm.memory', message: 'must be at least 1' })).toBe(
      'p.yaml:3:7: condor.vm.memory: must be at least 1',
    );
  });

  it('adds the hint on an indented second line', () => {
    expect(
      formatIssue({ file: 'p.yaml', line: 1, col: 2, path: 'packages.install', message: 'expected true or false', hint: 'write true' }),
    ).toBe('p.yaml:1:2: packages.install: expected true or false\n  hint: write true');
  });

  it('leaves out the path for document-level issues', () => {
    expect(formatIssue({ file: 'p.yaml', line: 1, col: 1, path: '', message: 'the profile is empty' })).toBe(
      'p.yaml:1:1: the profile is empty',
    );
  });
});
