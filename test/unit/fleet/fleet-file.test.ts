import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadFleet } from '../../../src/fleet/load.ts';
import { formatIssue } from '../../../src/fleet/issues.ts';
import { resolveFleet } from '../../../src/fleet/resolve.ts';
import { FleetError, FleetInvalid } from '../../../src/fleet/errors.ts';
import { fleetJsonSchema } from '../../../src/fleet/json-schema.ts';
import { fixture } from './helpers.ts';

const head = 'apiVersion: vm-provision/v1\nkind: Fleet\nmetadata: {name: t}\n';
const issuesOf = (text: string) => {
  const r = loadFleet('f.yaml', text);
  if (r.ok) throw new Error('expected issues');
  return r.issues.map(formatIssue);
};

describe('fleet file validation', () => {
  it('accepts a minimal fleet and fills the defaults', () => {
    const r = loadFleet('f.yaml', `${head}inventory: [{hosts: [a]}]\nprofiles: [{match: all, profile: p.yaml}]\n`);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.fleet.ssh).toEqual({ become: false, hostKeys: 'strict', connectTimeout: 10, persist: 60, connectRetries: 2 });
    expect(r.fleet.rollout).toEqual({ batches: [1, '100%'], concurrency: 20, maxFail: '5%', maxUnreachable: '10%', hostTimeout: 1800, gate: { enabled: true, timeout: 120 } });
  });

  it('reports unknown keys with their position and a did-you-mean', () => {
    expect(issuesOf(`${head}inventory: [{hosts: [a]}]\nprofiles: [{match: all, profile: p.yaml}]\nssh:\n  hostkeys: strict\n`))
      .toEqual(['f.yaml:7:3: ssh.hostkeys: unrecognized key "hostkeys"\n  hint: did you mean hostKeys?']);
    expect(issuesOf(`${head}inventory: [{hosts: [a]}]\nprofiles: [{match: all, profile: p.yaml}]\nrolout: {}\n`)[0])
      .toBe('f.yaml:6:1: rolout: unrecognized key "rolout"\n  hint: did you mean rollout?');
  });

  it('says what a batch size or threshold must be', () => {
    const out = issuesOf(`${head}inventory: [{hosts: [a]}]\nprofiles: [{match: all, profile: p.yaml}]\nrollout: {batches: [1, 0, "5 %"], maxFail: -1, hostTimeout: 5}\n`);
    expect(out).toEqual([
      'f.yaml:6:24: rollout.batches.1: must be at least 1 (got 0)',
      'f.yaml:6:27: rollout.batches.2: must be a whole number or a percentage from 1% to 100% (got "5 %")\n  hint: write e.g. 5 or "25%"',
      'f.yaml:6:44: rollout.maxFail: must be at least 0 (got -1)',
      'f.yaml:6:61: rollout.hostTimeout: must be at least 30 (got 5)',
    ]);
  });

  it('wants exactly one source per inventory entry, and host names that cannot be ssh options', () => {
    const out = issuesOf(`${head}inventory:\n  - {hosts: [a], ansible: x.ini}\n  - {}\n  - hosts: ["-oProxyCommand=x"]\nprofiles: [{match: all, profile: p.yaml}]\n`);
    expect(out[0]).toMatch(/^f\.yaml:5:5: inventory\.0: an inventory entry has exactly one of ansible, hosts or pool \(got ansible and hosts\)/);
    expect(out[1]).toMatch(/^f\.yaml:6:5: inventory\.1: an inventory entry needs one of ansible, hosts or pool/);
    expect(out[2]).toMatch(/^f\.yaml:7:13: inventory\.2\.hosts\.0: "-oProxyCommand=x" starts with "-"/);
  });

  it('missing keys, a wrong kind, a host profile given by mistake', () => {
    expect(issuesOf('apiVersion: vm-provision/v1\nkind: HostProfile\nmetadata: {name: t}\n').join('\n')).toMatch(/this is a host profile, not a fleet file/);
    expect(issuesOf(head)).toEqual([
      'f.yaml:1:1: inventory: missing required key "inventory"',
      'f.yaml:1:1: profiles: missing required key "profiles"',
    ]);
    expect(issuesOf('')).toEqual(['f.yaml:1:1: the fleet file is empty: expected a mapping with apiVersion, kind, metadata, inventory and profiles']);
  });
});

describe('resolveFleet', () => {
  it('resolves hosts, connection settings, the first matching profile and batches; paths relative to the fleet file', async () => {
    const plan = await resolveFleet(fixture('fleets/fleet.yaml'));
    expect(plan.hosts.map((h) => h.name)).toEqual(['extra1', 'wn1', 'wn2', 'wn3', 'wn4', 'wn5', 'wn6', 'xen1']);
    const xen1 = plan.hosts.find((h) => h.name === 'xen1')!;
    expect(xen1).toMatchObject({ address: '10.0.0.9', user: 'admin', become: true, groups: ['xen'], identityFile: fixture('fleets/keys/id_ed25519') });
    expect(xen1.profile.index).toBe(0);
    expect(plan.hosts.find((h) => h.name === 'wn2')!.profile.index).toBe(1);
    expect(plan.hosts.find((h) => h.name === 'wn5')!.profile).toMatchObject({ index: 2, file: fixture('fleets/kvm.yaml') });
    expect(plan.batches.map((b) => b.map((h) => h.name))).toEqual([['extra1'], ['wn1', 'wn2'], ['wn3', 'wn4', 'wn5', 'wn6'], ['xen1']]);
    expect(plan.maxFail).toEqual({ spec: 1, limit: 1 });
    expect(plan.maxUnreachable).toEqual({ spec: '20%', limit: 1 });
  });

  it('applies --limit and --batch, and --rerun hosts', async () => {
    const plan = await resolveFleet(fixture('fleets/fleet.yaml'), { limit: 'wn*:!wn[56]', batches: [2] });
    expect(plan.batches.map((b) => b.map((h) => h.name))).toEqual([['wn1', 'wn2'], ['wn3', 'wn4']]);
    const rerun = await resolveFleet(fixture('fleets/fleet.yaml'), { only: async (name) => (name === 'test-pool' ? ['wn4', 'gone'] : []) });
    expect(rerun.hosts.map((h) => h.name)).toEqual(['wn4']);
    expect(rerun.warnings).toEqual(['--rerun: gone is no longer in the inventory']);
    await expect(resolveFleet(fixture('fleets/fleet.yaml'), { limit: 'nosuch' })).rejects.toMatchObject({ exitCode: 64 });
  });

  it('validates every profile first: one bad profile is exit 65 naming the profile and the fleet line', async () => {
    const e = await resolveFleet(fixture('fleets/fleet-bad-profile.yaml')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FleetInvalid);
    expect((e as FleetInvalid).exitCode).toBe(65);
    expect((e as FleetInvalid).message.split('\n')).toEqual([
      `${fixture('fleets/fleet-bad-profile.yaml')}:8:27: profiles.1.profile: profile ${fixture('fleets/bad-profile.yaml')} is invalid (1 problem below)`,
      '  hint: fix the profile; `vm-provision validate PROFILE` checks it alone',
      `${fixture('fleets/bad-profile.yaml')}:6:8: condor.vm.memroy: unrecognized key "memroy"`,
      '  hint: did you mean memory?',
    ]);
  });

  it('does not query the collector when a profile is bad, and exits 69 when the query fails', async () => {
    let asked = 0;
    const io = { readFile: async (p: string) => (p.endsWith('fleet.yaml') ? `${head}inventory: [{pool: {collector: cm}}]\nprofiles: [{match: all, profile: bad-profile.yaml}]\n` : readFileSync(p, 'utf8')), queryPool: async () => { asked++; return ''; } };
    await expect(resolveFleet(fixture('fleets/x/../fleet.yaml'), { io })).rejects.toBeInstanceOf(FleetInvalid);
    expect(asked).toBe(0);
    const failing = { ...io, readFile: async (p: string) => (p.endsWith('fleet.yaml') ? `${head}inventory: [{pool: {collector: cm, constraint: 'HasVM =!= true'}}]\nprofiles: [{match: pool, profile: kvm.yaml}]\n` : readFileSync(p, 'utf8')),
      queryPool: async () => { throw new FleetError(69, 'COMMAND', 'collector down'); } };
    await expect(resolveFleet(fixture('fleets/fleet.yaml'), { io: failing })).rejects.toMatchObject({ exitCode: 69 });
    const ok = { ...failing, queryPool: async (argv: string[]) => { expect(argv).toContain('HasVM =!= true'); return 'n1\nn1\nn2\n'; } };
    const plan = await resolveFleet(fixture('fleets/fleet.yaml'), { io: ok });
    expect(plan.hosts.map((h) => [h.name, h.groups])).toEqual([['n1', ['pool']], ['n2', ['pool']]]);
  });

  it('a host no profile rule matches is exit 65 at profiles:', async () => {
    await expect(resolveFleet(fixture('fleets/fleet-unmatched.yaml'))).rejects.toThrow(/fleet-unmatched\.yaml:6:1: profiles: 1 host matches no profiles rule: b/);
  });

  it('an unreadable fleet file is usage (64); a missing inventory is 65 at its line', async () => {
    await expect(resolveFleet('/nonexistent/fleet.yaml')).rejects.toMatchObject({ exitCode: 64 });
    const io = { readFile: async (p: string) => (p.endsWith('fleet.yaml') ? `${head}inventory: [{ansible: nope.ini}]\nprofiles: [{match: all, profile: kvm.yaml}]\n` : readFileSync(p, 'utf8')) };
    await expect(resolveFleet(fixture('fleets/fleet.yaml'), { io })).rejects.toThrow(/fleet\.yaml:4:23: inventory\.0\.ansible: cannot read inventory .*nope\.ini: no such file/);
  });

  it('an inventory error names the inventory file and line', async () => {
    const io = { readFile: async (p: string) => (p.endsWith('fleet.yaml') ? `${head}inventory: [{ansible: hosts.ini}]\nprofiles: [{match: all, profile: kvm.yaml}]\n` : p.endsWith('hosts.ini') ? '[a]\nh1 ansible_port=abc\n' : readFileSync(p, 'utf8')) };
    await expect(resolveFleet(fixture('fleets/fleet.yaml'), { io })).rejects.toThrow(/hosts\.ini:2:1: host h1: ansible_port: expected a port number 1-65535, got "abc"/);
  });
});

describe('schema/fleet.schema.json', () => {
  it('is what scripts/gen-fleet-schema.ts generates', () => {
    const committed = readFileSync(fileURLToPath(new URL('../../../schema/fleet.schema.json', import.meta.url)), 'utf8');
    expect(committed === JSON.stringify(fleetJsonSchema(), null, 2) + '\n', 'schema/fleet.schema.json is stale: run `npx tsx scripts/gen-fleet-schema.ts`').toBe(true);
  });

  it('identifies itself and is strict', () => {
    const s = fleetJsonSchema() as { $id: string; required: string[]; additionalProperties: boolean };
    expect(s.$id).toBe('https://vm-provision.dev/schema/fleet.schema.json');
    expect(s.required.sort()).toEqual(['apiVersion', 'inventory', 'kind', 'metadata', 'profiles']);
    expect(s.additionalProperties).toBe(false);
  });

  it('the example fleet is valid', async () => {
    const plan = await resolveFleet(fileURLToPath(new URL('../../../examples/fleet/fleet.yaml', import.meta.url)));
    expect(plan.hosts.length).toBe(18);
  });
});
