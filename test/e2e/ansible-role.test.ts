// The Ansible role (playbooks/roles/vm_provision, playbooks/vm-provision.yml) with Debian's ansible-core against
// three real `bare` nodes: a serial rollout stops at a failing first host, the first run converges all three, the
// second changes nothing, and --check --diff shows a change without making it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { startNodes, type TestNode } from '../testbed/nodes.ts';
import { kvmTitle, testbedReason } from '../testbed/harness.ts';
import { run, type RunResult } from '../testbed/exec.ts';
import { which } from '../testbed/prereqs.ts';
import { DIST, ROOT, startdPid } from './agent.ts';

const PLAYBOOK = join(ROOT, 'playbooks/vm-provision.yml');
const EXAMPLE = join(ROOT, 'examples/kvm-node.yaml');
const CONFIG = '/etc/condor/config.d/50-vm-universe.config';
const LIBVIRT_UNITS = ['libvirtd.service', 'libvirtd.socket', 'libvirtd-ro.socket', 'libvirtd-admin.socket'];

const note = (s: string) => process.stderr.write(`[ansible-role] ${s}\n`);

interface Recap { ok: number; changed: number; unreachable: number; failed: number; skipped: number }

/** The PLAY RECAP block (header and host lines) as printed. */
function recapBlock(stdout: string): string {
  const i = stdout.indexOf('PLAY RECAP');
  return i < 0 ? '(no PLAY RECAP)' : stdout.slice(i).trimEnd();
}

function recapOf(stdout: string, host: string): Recap | undefined {
  const m = new RegExp(`^${host.replace(/\./g, '\\.')}\\s+:\\s+ok=(\\d+)\\s+changed=(\\d+)\\s+unreachable=(\\d+)\\s+failed=(\\d+)\\s+skipped=(\\d+)`, 'm').exec(recapBlock(stdout));
  return m ? { ok: +m[1]!, changed: +m[2]!, unreachable: +m[3]!, failed: +m[4]!, skipped: +m[5]! } : undefined;
}

/** Ansible's defaults, without ANSIBLE_* from the caller; no colour; SSH control sockets in this run's directory. */
function ansibleEnv(dir: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ANSIBLE_') && v !== undefined) env[k] = v;
  return { ...env, ANSIBLE_NOCOLOR: '1', ANSIBLE_SSH_CONTROL_PATH_DIR: join(dir, 'cp'), ANSIBLE_LOCAL_TEMP: join(dir, 'tmp') };
}

describe.skipIf(testbedReason())(kvmTitle('Ansible role vm_provision: three bare nodes with ansible-playbook'), () => {
  let nodes: TestNode[] = [];
  let dir = '';
  let inventory = '';

  async function playbook(args: string[], label: string): Promise<RunResult & { seconds: number }> {
    const t0 = Date.now();
    const r = await run('ansible-playbook', ['-i', inventory, ...args, PLAYBOOK], {
      allowFail: true, env: ansibleEnv(dir), extendEnv: false, timeout: 900_000,
    });
    const seconds = (Date.now() - t0) / 1000;
    note(`${label}: ansible-playbook ${args.join(' ')} → exit ${r.exitCode} in ${seconds.toFixed(1)} s`);
    return { ...r, seconds };
  }
  const outOf = (r: RunResult) => `--- stdout ---\n${r.stdout.slice(-12_000)}\n--- stderr ---\n${r.stderr.slice(-3000)}`;
  const vmAds = async (n: TestNode) => (await n.ssh(['condor_status', '-vm', '-af', 'Name', 'VM_Type'])).stdout.trim();

  beforeAll(async () => {
    if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run \`npm run build\` first (npm test does)`);
    if (!which('ansible-playbook')) {
      // Debian's ansible-core, installed the way the testbed installs its host tools.
      note('installing ansible-core with apt-get (ansible-playbook is missing)');
      const env = { DEBIAN_FRONTEND: 'noninteractive' };
      await run('apt-get', ['update', '-q'], { env });
      await run('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'ansible-core'], { env });
    }
    note(`${(await run('ansible-playbook', ['--version'])).stdout.split('\n')[0]}`);
    nodes = await startNodes({ flavor: 'bare', count: 3 });
    dir = mkdtempSync(join(tmpdir(), 'vmp-ansible-'));
    // A snapshot of the build: a rebuild of dist/ by someone else during the test would be a real change to ship.
    const dist = join(dir, 'vm-provision.mjs');
    copyFileSync(DIST, dist);
    const id = nodes[0]!.identity;
    inventory = join(dir, 'inventory.ini');
    writeFileSync(inventory, [
      '[execute_nodes]',
      ...nodes.map((n) => `${n.name} ansible_host=${n.address}`),
      '',
      '[execute_nodes:vars]',
      'ansible_user=root',
      `ansible_ssh_private_key_file=${id.key}`,
      `ansible_ssh_common_args='-o UserKnownHostsFile=${id.knownHosts} -o StrictHostKeyChecking=accept-new -o IdentitiesOnly=yes'`,
      'ansible_python_interpreter=/usr/bin/python3',
      `vm_provision_profile_file=${EXAMPLE}`,
      `vm_provision_dist=${dist}`,
      '',
    ].join('\n'));
  });

  afterAll(async () => {
    try {
      // Ansible's ControlPersist masters for these nodes would otherwise linger up to 60 s.
      const cp = dir ? join(dir, 'cp') : '';
      for (const f of cp && existsSync(cp) ? readdirSync(cp) : []) {
        await run('ssh', ['-o', `ControlPath=${join(cp, f)}`, '-O', 'exit', 'vmp-testbed-node'], { allowFail: true }).catch(() => undefined);
      }
      for (const n of nodes) await n.stop();
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serial: 1 with a failing first host (libvirt masked) stops the play: the cause in Ansible\'s output, the others untouched', async () => {
    const [first, ...others] = nodes as [TestNode, TestNode, TestNode];
    // The units do not exist yet on a bare node: masking them (links to /dev/null) keeps the packages' start away too.
    const m = await first.ssh(['systemctl', 'mask', ...LIBVIRT_UNITS]);
    expect(m.exitCode, m.stderr).toBe(0);
    const r = await playbook(['-e', 'vm_provision_serial=1'], 'serial 1, first host masked');
    expect(r.exitCode, outOf(r)).toBe(2);
    expect(r.stdout).toMatch(new RegExp(`fatal: \\[${first.name}\\]: FAILED!.*vm-provision apply failed on ${first.name}( \\([^)]*\\))? at step [\\w-]+: `));
    expect(r.stdout).toMatch(/libvirt not reachable|masked/);
    expect(r.stdout).toContain('hint: ');
    expect(recapOf(r.stdout, first.name), outOf(r)).toMatchObject({ failed: 1 });
    for (const n of others) {
      expect(recapOf(r.stdout, n.name), `${n.name} must not have run`).toBeUndefined();
      expect((await n.sh(`test -e ${CONFIG} && echo present || echo absent`)).stdout.trim()).toBe('absent');
      expect((await n.ssh(['dpkg-query', '-W', '-f', '${Status}', 'libvirt-daemon-system'])).stdout).not.toMatch(/install ok installed/);
      expect((await n.sh('test -e /usr/local/lib/vm-provision/vm-provision.mjs && echo present || echo absent')).stdout.trim()).toBe('absent');
    }
    const u = await first.ssh(['systemctl', 'unmask', ...LIBVIRT_UNITS]);
    expect(u.exitCode, u.stderr).toBe(0);
  });

  it('the first run converges all three: each advertises kvm, each reports changed', async () => {
    const r = await playbook([], 'first run');
    process.stderr.write(`\n[ansible-role] first run (${r.seconds.toFixed(1)} s):\n${recapBlock(r.stdout)}\n\n`);
    expect(r.exitCode, outOf(r)).toBe(0);
    for (const n of nodes) {
      const recap = recapOf(r.stdout, n.name);
      expect(recap, outOf(r)).toBeDefined();
      expect(recap!.failed).toBe(0);
      expect(recap!.unreachable).toBe(0);
      expect(recap!.changed).toBeGreaterThanOrEqual(1);
      expect(r.stdout).toMatch(new RegExp(`changed: \\[${n.name}\\]`));
      expect(await vmAds(n)).toBe(`slot1@${n.name} kvm`);
    }
  });

  it('the second run reports changed=0 and failed=0 on every host, and restarts no startd', async () => {
    const pids = await Promise.all(nodes.map(startdPid));
    const r = await playbook([], 'second run');
    process.stderr.write(`\n[ansible-role] second run (${r.seconds.toFixed(1)} s):\n${recapBlock(r.stdout)}\n\n`);
    expect(r.exitCode, outOf(r)).toBe(0);
    for (const n of nodes) expect(recapOf(r.stdout, n.name), outOf(r)).toMatchObject({ changed: 0, failed: 0, unreachable: 0 });
    // The build was not sent again: its copy task is ok on every host.
    expect(r.stdout).toMatch(/TASK \[vm_provision : vm-provision \| the single-file build[^\n]*\n(ok: \[[^\]]+\]\n){3}/);
    expect(await Promise.all(nodes.map(startdPid))).toEqual(pids);
  });

  it('--check --diff with another memory (inline profile) shows the change and changes nothing', async () => {
    const profile = parseYaml(readFileSync(EXAMPLE, 'utf8')) as { condor: { vm: { memory: number } } };
    profile.condor.vm.memory = 2048;
    const vars = join(dir, 'memory-2048.json');
    writeFileSync(vars, JSON.stringify({ vm_provision_profile: profile }));
    const before = await Promise.all(nodes.map(async (n) => ({
      pid: await startdPid(n),
      config: (await n.ssh(['sha256sum', CONFIG])).stdout,
      profile: (await n.ssh(['sha256sum', '/etc/vm-provision/host-profile.yaml'])).stdout,
    })));
    const r = await playbook(['-e', `@${vars}`, '--check', '--diff'], 'check with memory 2048');
    expect(r.exitCode, outOf(r)).toBe(0);
    for (const n of nodes) {
      const recap = recapOf(r.stdout, n.name);
      expect(recap, outOf(r)).toMatchObject({ failed: 0 });
      expect(recap!.changed).toBeGreaterThanOrEqual(1);
    }
    // The plan task itself reports the would-be change, and vm-provision's diff is shown.
    expect(r.stdout).toMatch(/TASK \[vm_provision : vm-provision \| apply \(plan in check mode\)\][^\n]*\n(changed: \[[^\]]+\]\n){3}/);
    expect(r.stdout).toContain('-VM_MEMORY      = 1024');
    expect(r.stdout).toContain('+VM_MEMORY      = 2048');
    const after = await Promise.all(nodes.map(async (n) => ({
      pid: await startdPid(n),
      config: (await n.ssh(['sha256sum', CONFIG])).stdout,
      profile: (await n.ssh(['sha256sum', '/etc/vm-provision/host-profile.yaml'])).stdout,
    })));
    expect(after).toEqual(before);
    for (const n of nodes) {
      expect(await vmAds(n)).toBe(`slot1@${n.name} kvm`);
      expect((await n.sh('ls -d /tmp/vm-provision-plan.* 2>/dev/null | wc -l')).stdout.trim()).toBe('0');
    }
  });
});
