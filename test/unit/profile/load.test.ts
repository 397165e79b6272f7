import { describe, expect, it } from 'vitest';
import { formatIssue, loadProfile, MAX_PROFILE_BYTES } from '../../../src/profile/index.ts';

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
        restart: { mode: 'graceful', timeout: 86400, drain: { how: 'graceful', reason: 'vm-provision: enable VM universe' } },
        vm: { memory: 512, maxNumber: 1, networking: { enabled: false, types: ['nat'], default: 'nat', bridgeInterface: null } },
      },
      verify: { timeout: 900, onFailure: 'rollback' },
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

  it.each([
    ['xen', 'xen: {kernelVersion: "-rf"}\n', 'xen.kernelVersion', 'must be auto or a kernel release'],
    ['xen', 'xen: {kernelVersion: ../../etc}\n', 'xen.kernelVersion', 'must be auto or a kernel release'],
    ['xen', 'xen: {kernelVersion: 6.1/x}\n', 'xen.kernelVersion', 'must be auto or a kernel release'],
    ['xen', 'xen: {initrd: {drivers: [xennet, --omit]}}\n', 'xen.initrd.drivers.1', 'must be a kernel module name'],
    ['xen', 'xen: {initrd: {drivers: [""]}}\n', 'xen.initrd.drivers.0', 'must be a kernel module name'],
    ['vmware', 'vmware: {perl: -e}\n', 'vmware.perl', 'must be a command name'],
    ['vmware', 'vmware: {perl: ""}\n', 'vmware.perl', 'must be a command name'],
  ])('refuses an option-like or empty value that reaches argv (%s: %j)', (hypervisor, extra, path, words) => {
    const issues = issuesOf(minimal(hypervisor, extra));
    expect(issues.map((i) => i.path)).toEqual([path]);
    expect(issues[0]!.message).toContain(words);
  });

  it.each(['-br0', 'eth0:1', '""', 'a23456789012345x'])('refuses bridgeInterface %s', (iface) => {
    const text = minimal().replace('memory: 512', `memory: 512\n    networking: {types: [bridge], default: bridge, bridgeInterface: ${iface}}`);
    const issues = issuesOf(text);
    expect(issues.map((i) => i.path)).toEqual(['condor.vm.networking.bridgeInterface']);
    expect(issues[0]!.message).toContain('must be a Linux interface name');
  });

  it.each([
    ['"$ENV(HOME)"', '"$ENV("'],
    ['"x $EVAL(1)"', '"$EVAL("'],
    ['"$RANDOM_INTEGER(1,2)"', '"$RANDOM_INTEGER("'],
    ['"$CHOICE(0,a)"', '"$CHOICE("'],
    ['"$$(Memory)"', '"$$("'],
    ['"a\\u0085b"', 'U+0085'],
    ['"a\\u009Bb"', 'U+009B'],
    ['"a\\u2028b"', 'U+2028'],
    ['"a\\u2029b"', 'U+2029'],
  ])('refuses the config string %s', (value, words) => {
    const [issue] = issuesOf(minimal().replace('{name: node-1}', () => `{name: node-1, description: ${value}}`));
    expect(issue).toMatchObject({ path: 'metadata.description', line: 3, col: 39 });
    expect(issue!.message).toContain(words);
  });
});

describe('loadProfile on hostile YAML', () => {
  it('refuses deeply nested YAML with a position instead of overflowing the stack', () => {
    for (const text of ['- '.repeat(5000) + 'x\n', '['.repeat(20000) + ']'.repeat(20000), 'a: ' + '{a: '.repeat(3000) + '1' + '}'.repeat(3000)]) {
      const issues = issuesOf(text);
      expect(issues).toHaveLength(1);
      expect(issues[0]!.message).toContain('nests more than 64 levels deep');
      expect(issues[0]!.line).toBe(1);
      expect(issues[0]!.col).toBeGreaterThan(64);
    }
  });

  it('still reads a profile nested as deep as a real one', () => {
    const result = loadProfile('p.yaml', minimal('kvm', 'verify: {timeout: 60}\n'));
    expect(result.ok).toBe(true);
  });

  it.each([
    ['!foo 512', '!foo'],
    ['!!js/function "function () {}"', '!!js/function'],
  ])('refuses the unknown tag in %s with its position', (value, tag) => {
    const issues = issuesOf(minimal().replace('memory: 512', `memory: ${value}`));
    expect(issues[0]).toMatchObject({ line: 7, col: 13, path: 'condor.vm.memory', hint: `remove ${tag}` });
    expect(issues[0]!.message).toContain(`unknown YAML tag ${tag}`);
  });

  it('refuses an unknown tag on a mapping', () => {
    const [issue] = issuesOf(minimal().replace('metadata: {name: node-1}', 'metadata: !thing {name: node-1}'));
    expect(issue).toMatchObject({ line: 3, col: 11, path: 'metadata' });
  });

  it('accepts the core tags', () => {
    const result = loadProfile('p.yaml', minimal().replace('memory: 512', 'memory: !!int 512').replace('{name: node-1}', '{name: !!str node-1}'));
    if (!result.ok) expect.fail(result.issues.map(formatIssue).join('\n'));
    expect(result.profile.condor.vm.memory).toBe(512);
  });

  it.each(['9007199254740993', '12345678901234567890', '-9007199254740993', '0x20000000000001'])(
    'refuses the integer %s beyond 2^53 as written, with its position',
    (value) => {
      const issues = issuesOf(minimal().replace('memory: 512', `memory: ${value}`));
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatchObject({ line: 7, col: 13, path: 'condor.vm.memory' });
      expect(issues[0]!.message).toBe(`${value} is too large to be read exactly (the largest whole number is 9007199254740991)`);
    },
  );

  it('refuses an unsafe integer where a string is expected too, naming the number as written', () => {
    const [issue] = issuesOf(minimal().replace('{name: node-1}', '{name: node-1, description: 12345678901234567890}'));
    expect(issue).toMatchObject({ path: 'metadata.description', message: expect.stringContaining('12345678901234567890 is too large') });
  });

  it('accepts the largest safe integer (and then checks it as usual)', () => {
    const result = loadProfile('p.yaml', minimal().replace('memory: 512', 'memory: 9007199254740991'));
    expect(result.ok).toBe(true);
  });

  it('refuses a profile larger than 1 MiB without parsing it', () => {
    const text = minimal() + '#'.repeat(MAX_PROFILE_BYTES);
    expect(issuesOf(text)).toEqual([
      { file: 'p.yaml', line: 1, col: 1, path: '', message: 'the profile is larger than 1 MiB: a host profile is a few hundred bytes' },
    ]);
  });
});
