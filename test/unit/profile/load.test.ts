import { describe, expect, it } from 'vitest';
import { formatIssue, loadProfile } from '../../../src/profile/index.ts';

const minimal = (hypervisor = 'kvm', extra = '') =>
  `apiVersion: vm-provision/v1
kind: HostProfile
metadata: {name: node-1}
hypervisor: ${hypervisor}
condor:
  vm:
    memory: 512
${extra}`;

function issuesOf(text: string) {
  const result = loadProfile('p.yaml', text);
  if (result.ok) throw new Error('expected the profile to be rejected');
  return result.issues;
}

describe('loadProfile', () => {
  it('fills in every default', () => {
    const result = loadProfile('p.yaml', minimal());
    if (!result.ok) expect.fail(result.issues.map(formatIssue).join('\n'));
    expect(result.profile).toEqual({
      apiVersion: 'vm-provision/v1',
      kind: 'HostProfile',
      metadata: { name: 'node-1' },
      hypervisor: 'kvm',
      packages: { install: true },
      condor: {
        configFile: 'auto',
        restart: 'startd',
        vm: { memory: 512, maxNumber: 1, networking: { enabled: false, types: ['nat'], default: 'nat', bridgeInterface: null } },
      },
      verify: { timeout: 120, onFailure: 'rollback' },
      xen: undefined,
      vmware: undefined,
    });
    expect(result.file).toBe('p.yaml');
    expect(result.positionOf(['condor', 'vm', 'memory'])).toEqual({ line: 7, col: 13 });
  });

  it('gives hypervisor: xen the xen defaults', () => {
    const result = loadProfile('p.yaml', minimal('xen'));
    if (!result.ok) expect.fail(result.issues.map(formatIssue).join('\n'));
    expect(result.profile.xen).toEqual({
      requireDom0: true,
      kernelVersion: 'auto',
      kernel: 'auto',
      bootloader: 'auto',
      initrd: { build: true, output: '/boot/initrd-{kernelVersion}-condor-xen.img', drivers: ['xennet', 'xenblk'], tool: 'auto' },
    });
    expect(result.profile.vmware).toBeUndefined();
  });

  it('gives hypervisor: vmware the vmware defaults and accepts an absolute perl', () => {
    const plain = loadProfile('p.yaml', minimal('vmware'));
    expect(plain.ok && plain.profile.vmware).toEqual({ perl: 'perl', script: 'auto', networkingType: 'nat' });
    const custom = loadProfile('p.yaml', minimal('vmware', 'vmware: {perl: /usr/bin/perl, networkingType: bridge}\n'));
    expect(custom.ok && custom.profile.vmware).toEqual({ perl: '/usr/bin/perl', script: 'auto', networkingType: 'bridge' });
  });

  it('reports every issue, sorted by position', () => {
    const issues = issuesOf(`apiVersion: vm-provision/v1
kind: HostProfile
metadata: {name: node-1}
hypervisor: kvm
packages: {install: off}
condor:
  restart: always
  vm:
    memory: 0
    maxNumber: 1.5
verify: {timeout: 5}
`);
    expect(issues.map((i) => [i.line, i.path])).toEqual([
      [5, 'packages.install'],
      [7, 'condor.restart'],
      [9, 'condor.vm.memory'],
      [10, 'condor.vm.maxNumber'],
      [11, 'verify.timeout'],
    ]);
    expect(issues[0]!.hint).toBe('YAML 1.2 reads `off` as a string: write true or false');
    expect(issues[3]!.message).toBe('expected a whole number, got number 1.5');
  });

  it('reports the xen/vmware mismatch together with other errors', () => {
    const issues = issuesOf(minimal('vmware', 'xen: {}\nverify: {onFailure: explode}\n'));
    expect(issues.map((i) => i.path)).toEqual(['xen', 'verify.onFailure']);
    expect(issues[0]!.message).toBe('xen section given but hypervisor is vmware');
  });

  it('suggests where a key in the wrong place belongs', () => {
    const [issue] = issuesOf(minimal('kvm', 'maxNumber: 2\n'));
    expect(issue).toMatchObject({ path: 'maxNumber', line: 8, col: 1, hint: 'maxNumber belongs under condor.vm' });
  });

  it('does not also report the key a typo was meant to be', () => {
    const issues = issuesOf(minimal().replace('memory: 512', 'memroy: 512'));
    expect(issues.map((i) => i.message)).toEqual(['unrecognized key "memroy"']);
  });

  it('suggests the quotes go from a quoted number', () => {
    const [issue] = issuesOf(minimal().replace('memory: 512', 'memory: "512"'));
    expect(issue!.hint).toBe('write the number without quotes: 512');
  });

  it('checks paths in the xen section', () => {
    const issues = issuesOf(minimal('xen', 'xen:\n  kernel: vmlinuz\n  initrd: {output: /boot/../initrd.img}\n'));
    expect(issues.map((i) => [i.path, i.message])).toEqual([
      ['xen.kernel', 'must be an absolute path (got "vmlinuz")'],
      ['xen.initrd.output', 'must not contain a ".." segment (got "/boot/../initrd.img"); write the path without it'],
    ]);
  });

  it('rejects unknown keys in the xen and vmware sections', () => {
    const [issue] = issuesOf(minimal('vmware', 'vmware: {scirpt: /opt/x}\n'));
    expect(issue).toMatchObject({ path: 'vmware.scirpt', hint: 'did you mean script?' });
  });

  it('reports a scalar at the top level at 1:1', () => {
    expect(issuesOf('just text\n')[0]).toMatchObject({ line: 1, col: 1, path: '' });
  });
});
