import { describe, expect, it } from 'vitest';
import { configStringProblem } from '../../../src/profile/config-string.ts';
import { closestMatch } from '../../../src/profile/hints.ts';
import { INTERFACE_PATTERN, KERNEL_MODULE_PATTERN, kernelVersionProblem } from '../../../src/profile/name-rules.ts';
import { absolutePathProblem, perlInterpreterProblem } from '../../../src/profile/path-rules.ts';

describe('configStringProblem', () => {
  it.each([
    ['a\nb', 'newline'],
    ['a\rb', 'carriage return'],
    ['a\u0000b', 'U+0000'],
    ['a\u007fb', 'U+007F'],
    ['C:\\', 'backslash'],
    ['x $(HOME) y', '$('],
    ['$$(Memory)', '"$$("'],
    ['$ENV(HOME)', '"$ENV("'],
    ['a$EVAL(1+1)', '"$EVAL("'],
    ['$RANDOM_INTEGER(1,9)', '"$RANDOM_INTEGER("'],
    ['$CHOICE(0,a,b)', '"$CHOICE("'],
    ['$Fp(FILE)', '"$Fp("'],
    ['a\u0085b', 'U+0085'],
    ['a\u0080b', 'U+0080'],
    ['a\u009fb', 'U+009F'],
    ['a\u2028b', 'U+2028'],
    ['a\u2029b', 'U+2029'],
    [' br0', 'whitespace'],
    ['br0 ', 'whitespace'],
  ])('rejects %j', (value, words) => {
    expect(configStringProblem(value)).toContain(words);
  });

  it('accepts ordinary values, including a lone $ and inner backslashes', () => {
    for (const value of ['kvm-node', 'costs $5', 'a\\b', '/etc/condor/config.d/50-vm-universe.config', '', '$ENV', 'x ( y', 'caf\u00e9']) {
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

  it('refuses an option-like or empty perl (it reaches argv)', () => {
    for (const value of ['-e', '--version', '', '.']) expect(perlInterpreterProblem(value)?.message, value).toContain('command name');
    expect(perlInterpreterProblem('perl5.36')).toBeUndefined();
  });
});

describe('name rules', () => {
  it('takes auto or a kernel release as xen.kernelVersion', () => {
    for (const value of ['auto', '6.12.38+deb13-amd64', '2.6.18-xen', '5.14.0-570.el9.x86_64', '6.1.0~rc1']) {
      expect(kernelVersionProblem(value), value).toBeUndefined();
    }
  });

  it('refuses a kernel version that is a path, has "..", or reads as an option', () => {
    for (const value of ['..', '6.1/../../etc', '../x', '6..1', '-rf', '--add-drivers', '', '/boot', '6.1 x']) {
      expect(kernelVersionProblem(value)?.message, value).toContain('must be auto or a kernel release');
    }
  });

  it('refuses option-like and empty kernel module names', () => {
    for (const value of ['xen-netfront', 'xenblk', 'xen_blkfront']) expect(KERNEL_MODULE_PATTERN.test(value), value).toBe(true);
    for (const value of ['-x', '--omit', '', 'a/b', 'a b']) expect(KERNEL_MODULE_PATTERN.test(value), value).toBe(false);
  });

  it('follows the Linux interface name rule for bridgeInterface', () => {
    for (const value of ['br0', 'virbr0', 'eth0.100', 'a'.repeat(15), 'br_lan-1']) expect(INTERFACE_PATTERN.test(value), value).toBe(true);
    for (const value of ['', '-br0', 'eth0:1', 'a/b', 'br 0', 'a'.repeat(16), '.', '..']) {
      expect(INTERFACE_PATTERN.test(value), value).toBe(false);
    }
  });
});

describe('closestMatch', () => {
  it('counts a swap of neighbours as one edit, so short words still match', () => {
    expect(closestMatch('knid', ['apiVersion', 'kind', 'metadata'])).toBe('kind');
    expect(closestMatch('kmv', ['kvm', 'xen', 'vmware'])).toBe('kvm');
    expect(closestMatch('', ['abc'])).toBeUndefined();
  });

  it('suggests near misses only', () => {
    expect(closestMatch('memroy', ['memory', 'maxNumber', 'networking'])).toBe('memory');
    expect(closestMatch('KVM', ['kvm', 'xen', 'vmware'])).toBe('kvm');
    expect(closestMatch('labels', ['apiVersion', 'kind', 'metadata'])).toBeUndefined();
  });
});
