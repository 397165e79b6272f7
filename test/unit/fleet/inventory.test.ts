import { describe, expect, it } from 'vitest';
import { expandHostRange, parseHostPattern } from '../../../src/fleet/inventory/host-pattern.ts';
import { iniValue, shlexSplit } from '../../../src/fleet/inventory/ansible-ini.ts';
import { ansibleBoolean } from '../../../src/fleet/inventory/connection.ts';
import { InventoryError } from '../../../src/fleet/inventory/errors.ts';
import { looksLikeYamlInventory } from '../../../src/fleet/inventory/ansible-yaml.ts';
import { parseMachines, poolQueryArgv } from '../../../src/fleet/inventory/pool.ts';
import { asAnsibleList, inventoryFrom, readFixture } from './helpers.ts';

// The expected JSON is real `ansible-inventory -i FILE --list` output (ansible-core 2.14.18, Debian 12),
// captured into fixtures/*.ansible-inventory.json. Regenerate: cd test/unit/fleet/fixtures && ansible-inventory -i pool.ini --list > pool.ini.ansible-inventory.json
// The same comparison against a live ansible-inventory belongs to the e2e suite (the testbed installs host tools).
const RELEVANT = ['ansible_host', 'ansible_port', 'ansible_user', 'ansible_ssh_private_key_file', 'ansible_become'];

function expectedFrom(json: string) {
  const list = JSON.parse(json) as Record<string, { hosts?: string[]; children?: string[] }> & { _meta: { hostvars: Record<string, Record<string, unknown>> } };
  const hostvars: Record<string, Record<string, unknown>> = {};
  for (const [h, vars] of Object.entries(list._meta.hostvars)) {
    hostvars[h] = Object.fromEntries(Object.entries(vars).filter(([k]) => RELEVANT.includes(k))
      .map(([k, v]) => [k, k === 'ansible_become' ? ansibleBoolean(v) : v]));
  }
  const { _meta: _, ...groups } = list;
  return { hostvars, groups };
}

describe.each([['pool.ini'], ['pool.yaml']])('Ansible inventory %s', (name) => {
  const inv = inventoryFrom(name, readFixture(name));
  const ours = asAnsibleList(inv) as { _meta: { hostvars: Record<string, unknown> } } & Record<string, unknown>;
  const theirs = expectedFrom(readFixture(`${name}.ansible-inventory.json`));

  it('has the hosts ansible-inventory --list has, with the same connection variables', () => {
    expect(Object.keys(ours._meta.hostvars).sort()).toEqual(Object.keys(theirs.hostvars).sort());
    expect(ours._meta.hostvars).toEqual(theirs.hostvars);
  });

  it('has the same groups, hosts per group and children, in order', () => {
    const { _meta: _, ...groups } = ours;
    expect(groups).toEqual(theirs.groups);
  });

  it('lists all hosts in the order Ansible targets them (all, breadth first)', () => {
    const limits = JSON.parse(readFixture('limit.ansible.json')) as { limits: Record<string, Record<string, string[]>> };
    expect(inv.allHosts()).toEqual(limits.limits[name]!.all);
  });
});

describe('host patterns', () => {
  it('expands numeric ranges with zero padding, steps, letters and several ranges', () => {
    expect(expandHostRange('wn[01:04].example.org')).toEqual(['wn01.example.org', 'wn02.example.org', 'wn03.example.org', 'wn04.example.org']);
    expect(expandHostRange('wn[08:12:2]')).toEqual(['wn08', 'wn10', 'wn12']);
    expect(expandHostRange('wn[1:10:4]')).toEqual(['wn1', 'wn5', 'wn9']);
    expect(expandHostRange('gpu-[a:c]')).toEqual(['gpu-a', 'gpu-b', 'gpu-c']);
    expect(expandHostRange('r[1:2]n[a:b]')).toEqual(['r1na', 'r1nb', 'r2na', 'r2nb']);
    expect(expandHostRange('h[:2]')).toEqual(['h0', 'h1', 'h2']);
  });

  it('rejects ranges Ansible rejects', () => {
    expect(() => expandHostRange('wn[01:100]')).toThrow(/same number of digits/);
    expect(() => expandHostRange('wn[1]')).toThrow(/begin:end/);
    expect(() => expandHostRange('wn[c:a]')).toThrow(/begin ≤ end/);
    expect(() => expandHostRange('wn[1:')).toThrow(/not closed/);
  });

  it('reads host:port, [v6]:port and leaves bare IPv6 alone', () => {
    expect(parseHostPattern('old-xen.example.org:2222')).toEqual({ names: ['old-xen.example.org'], port: 2222 });
    expect(parseHostPattern('wn[01:02]:2200')).toEqual({ names: ['wn01', 'wn02'], port: 2200 });
    expect(parseHostPattern('[2001:db8::1]:22')).toEqual({ names: ['2001:db8::1'], port: 22 });
    expect(parseHostPattern('2001:db8::1')).toEqual({ names: ['2001:db8::1'] });
  });
});

describe('INI details', () => {
  it('splits host lines like shlex (quotes, trailing comments)', () => {
    expect(shlexSplit(`h1 a="x y" b='z' # comment`)).toEqual(['h1', 'a=x y', 'b=z']);
    expect(shlexSplit('h1 a=b#c')).toEqual(['h1', 'a=b#c']);
  });

  it('reads values like literal_eval for the simple cases', () => {
    expect(iniValue('22')).toBe(22);
    expect(iniValue('True')).toBe(true);
    expect(iniValue('"quoted"')).toBe('quoted');
    expect(iniValue('yes')).toBe('yes');
  });

  it('ansible_become accepts what Ansible\'s boolean() accepts', () => {
    for (const v of ['yes', 'True', 'on', '1', 't', 'y', true, 1]) expect(ansibleBoolean(v)).toBe(true);
    for (const v of ['no', 'false', 'off', '0', 'f', 'n', false, 0]) expect(ansibleBoolean(v)).toBe(false);
    expect(ansibleBoolean('maybe')).toBeUndefined();
  });

  const bad = (text: string) => {
    try { inventoryFrom('bad.ini', text); } catch (e) { if (e instanceof InventoryError) return e.issue; throw e; }
    throw new Error('no error');
  };

  it('names file and line for errors, as ansible does', () => {
    expect(bad('[a]\nh1\n[b:children]\nc\n')).toMatchObject({ file: 'bad.ini', line: 4, message: expect.stringMatching(/\[b:children\] names the group "c"/) });
    expect(bad('[a:vars]\nx=1\n')).toMatchObject({ line: 1, message: expect.stringMatching(/not defined anywhere/) });
    expect(bad('[a]\nh1 junk\n')).toMatchObject({ line: 2, message: expect.stringMatching(/key=value/) });
    expect(bad('[a:hosts2]\n')).toMatchObject({ line: 1, message: expect.stringMatching(/unknown type/) });
    expect(bad('[a b]\n')).toMatchObject({ line: 1, message: expect.stringMatching(/invalid section/) });
    expect(bad('[a]\nwn[01:100]\n')).toMatchObject({ line: 2 });
  });

  it('a group declared by [g:children] later resolves; vars of a group declared later are fine', () => {
    const inv = inventoryFrom('ok.ini', '[top:children]\nmid\n[mid:vars]\nansible_user=u\n[mid]\nh1\n');
    expect(inv.groupsOf('h1').sort()).toEqual(['all', 'mid', 'top']);
    expect(inv.varsOf('h1').vars.ansible_user).toBe('u');
  });

  it('a child group\'s vars beat its parent\'s; a host var beats both; ties go to the later name', () => {
    const inv = inventoryFrom('p.ini', '[parent:children]\nchild\n[child]\nh1\nh2 ansible_user=own\n[parent:vars]\nansible_user=p\nansible_port=1\n[child:vars]\nansible_user=c\n[zz]\nh1\n[aa]\nh1\n[zz:vars]\nansible_port=3\n[aa:vars]\nansible_port=2\n');
    // ansible-inventory --host h1 says {"ansible_port": 3, "ansible_user": "c"}: parent, aa, zz are all depth 1; zz sorts last.
    expect(inv.varsOf('h1').vars).toMatchObject({ ansible_user: 'c', ansible_port: 3 });
    expect(inv.varsOf('h2').vars).toMatchObject({ ansible_user: 'own' });
  });
});

describe('YAML details', () => {
  it('is told from INI by name or content', () => {
    expect(looksLikeYamlInventory('hosts', 'all:\n  hosts:\n')).toBe(true);
    expect(looksLikeYamlInventory('hosts', '[a]\nh1\n')).toBe(false);
    expect(looksLikeYamlInventory('hosts', 'h1\nh2 ansible_port=2\n')).toBe(false);
    expect(looksLikeYamlInventory('x.yml', '')).toBe(true);
  });

  it('rejects a hosts list and unknown group keys with the line', () => {
    expect(() => inventoryFrom('l.yaml', 'all:\n  hosts:\n    - h1\n')).toThrow(/l\.yaml:3:5: hosts of group "all" must be a mapping/);
    expect(() => inventoryFrom('k.yaml', 'all:\n  host:\n    h1:\n')).toThrow(/k\.yaml:2:3: unexpected key "host"/);
  });
});

describe('pool: source', () => {
  it('asks the collector for one Machine per startd ad', () => {
    expect(poolQueryArgv({ collector: 'cm.example.org', constraint: 'HasVM =!= true' }))
      .toEqual(['condor_status', '-pool', 'cm.example.org', '-startd', '-constraint', 'HasVM =!= true', '-af', 'Machine']);
    expect(poolQueryArgv({ collector: 'cm' })).toEqual(['condor_status', '-pool', 'cm', '-startd', '-af', 'Machine']);
  });

  it('takes one host per Machine (slots repeat it), skips undefined and names that are not hosts', () => {
    const out = 'wn01.example.org\nwn01.example.org\nwn02.example.org\nundefined\n\n-oops\nwn03.example.org\n';
    expect(parseMachines(out)).toEqual({ hosts: ['wn01.example.org', 'wn02.example.org', 'wn03.example.org'], rejected: ['-oops'] });
  });
});
