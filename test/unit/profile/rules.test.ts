import { describe, expect, it } from 'vitest';
import { configStringProblem } from '../../../src/profile/config-string.ts';
import { closestMatch, editDistance } from '../../../src/profile/hints.ts';
import { absolutePathProblem, perlInterpreterProblem } from '../../../src/profile/path-rules.ts';

describe('configStringProblem', () => {
  it.each([
    ['a\nb', 'newline'],
    ['a\rb', 'carriage return'],
    ['a\u0000b', 'U+0000'],
    ['a\u007fb', 'U+007F'],
    ['C:\\', 'backslash'],
    ['x $(HOME) y', '$('],
    [' br0', 'whitespace'],
    ['br0 ', 'whitespace'],
  ])('rejects %j', (value, words) => {
    expect(configStringProblem(value)).toContain(words);
  });

  it('accepts ordinary values, including a lone $ and inner backslashes', () => {
    for (const value of ['kvm-node', 'costs $5', 'a\\b', '/etc/condor/config.d/50-vm-universe.config', '']) {
      expect(configStringProblem(value)).toBeUndefined();
    }
  });
});

describe('path rules', () => {
  it('wants absolute paths without ..', () => {
    expect(absolutePathProblem('/etc/x', '/e')).toBeUndefined();
    expect(absolutePathProblem('etc/x', '/etc/condor/x')?.hint).toBe('paths are on the node; write an absolute path like /etc/condor/x');
    expect(absolutePathProblem('/etc/../x', '/e')?.message).toContain('".."');
    expect(absolutePathProblem('/etc/..x', '/e')).toBeUndefined();
  });

  it('takes perl as a command name or an absolute path, never the script', () => {
    expect(perlInterpreterProblem('perl')).toBeUndefined();
    expect(perlInterpreterProblem('/usr/bin/perl')).toBeUndefined();
    expect(perlInterpreterProblem('/usr/sbin/condor_vm_vmware.pl')?.message).toContain('put the script in vmware.script');
    expect(perlInterpreterProblem('/usr/sbin/condor_vm_vmware')?.message).toContain('not the control script');
    expect(perlInterpreterProblem('bin/perl')?.message).toContain('absolute path');
    expect(perlInterpreterProblem('perl -w')?.message).toContain('command name');
  });
});

describe('closestMatch', () => {
  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('memroy', 'memory')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests near misses only', () => {
    expect(closestMatch('memroy', ['memory', 'maxNumber', 'networking'])).toBe('memory');
    expect(closestMatch('KVM', ['kvm', 'xen', 'vmware'])).toBe('kvm');
    expect(closestMatch('labels', ['apiVersion', 'kind', 'metadata'])).toBeUndefined();
  });
});
