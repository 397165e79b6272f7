import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { registerFleetCommand } from '../../../src/cli/fleet-command.ts';
import { fixture } from './helpers.ts';

let stdout: string[];
let stderr: string[];

beforeEach(() => {
  stdout = []; stderr = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => { stdout.push(String(s)); return true; });
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => { stderr.push(String(s)); return true; });
  process.exitCode = undefined;
  process.env.XDG_STATE_HOME = mkdtempSync(`${tmpdir()}/vmp-state-`);
});
afterEach(() => { vi.restoreAllMocks(); process.exitCode = undefined; });

async function run(...args: string[]): Promise<number> {
  const program = new Command('vm-provision').exitOverride();
  registerFleetCommand(program);
  await program.parseAsync(['node', 'vm-provision', 'fleet', ...args]);
  return Number(process.exitCode ?? 0);
}

describe('vm-provision fleet', () => {
  it('hosts: the plan and a row per host with batch and profile, without connecting', async () => {
    expect(await run('hosts', fixture('fleets/fleet.yaml'), '--limit', 'wn*', '--batch', '1,50%')).toBe(0);
    const text = stdout.join('');
    expect(text).toMatch(/^fleet test-pool: 6 hosts\nbatches: 1, 3, 2 \(the first is the canary/);
    expect(text).toMatch(/max-fail 1: stop when more than 1 host fails/);
    expect(text).toMatch(/max-unreachable 20% of 6 = 1/);
    expect(text).toMatch(/\n1\* +wn1 +- +root +- +no +kvm-node/);
  });

  it('hosts --json: one object with the plan and the hosts', async () => {
    expect(await run('hosts', fixture('fleets/fleet.yaml'), '--json')).toBe(0);
    const o = JSON.parse(stdout.join('')) as { type: string; hosts: Array<{ name: string; batch: number; become: boolean; address: string }> };
    expect(o.type).toBe('hosts');
    expect(o.hosts.find((h) => h.name === 'xen1')).toMatchObject({ batch: 4, become: true, address: '10.0.0.9' });
  });

  it('an invalid fleet is exit 65 with FILE:LINE:COL lines; --json gives an error object with the issues', async () => {
    expect(await run('hosts', fixture('fleets/fleet-bad-profile.yaml'))).toBe(65);
    expect(stderr.join('')).toMatch(/fleet-bad-profile\.yaml:8:27: profiles\.1\.profile: profile .*bad-profile\.yaml is invalid/);
    stdout = [];
    expect(await run('apply', fixture('fleets/fleet-bad-profile.yaml'), '--json')).toBe(65);
    expect(JSON.parse(stdout.join(''))).toMatchObject({ type: 'error', code: 'PROFILE_INVALID', exitCode: 65, issues: expect.any(Array) });
  });

  it('bad option values are usage errors (64)', async () => {
    expect(await run('hosts', fixture('fleets/fleet.yaml'), '--batch', '0')).toBe(64);
    expect(await run('apply', fixture('fleets/fleet.yaml'), '--max-fail', 'lots')).toBe(64);
    expect(await run('apply', fixture('fleets/fleet.yaml'), '--concurrency', '0')).toBe(64);
    expect(await run('apply', fixture('fleets/fleet.yaml'), '--rerun', 'sometimes')).toBe(64);
    expect(await run('apply', fixture('fleets/fleet.yaml'), '--rerun', 'failed')).toBe(64);
    expect(stderr.join('')).toMatch(/no run record yet for fleet test-pool/);
  });

  it('apply and plan validate everything, then refuse without a build to ship (78) before any connection', async () => {
    process.env.VMP_FLEET_BUNDLE = '/nonexistent/vm-provision.mjs';
    try {
      expect(await run('apply', fixture('fleets/fleet.yaml'), '--check', '--limit', 'xen1', '--max-unreachable', '10%', '--detailed-exitcodes')).toBe(78);
      expect(stderr.join('')).toMatch(/cannot read the build to ship, \/nonexistent\/vm-provision\.mjs/);
      expect(await run('plan', fixture('fleets/fleet.yaml'))).toBe(78);
    } finally {
      delete process.env.VMP_FLEET_BUNDLE;
    }
  });
});
