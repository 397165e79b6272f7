// Benchmark (not a test): `vm-provision fleet apply` against ansible-playbook with forks = N on N converged `full`
// testbed nodes — the no-op, and a change that restarts every startd (memory 1024 → 2048 for the fleet, the same
// play back to 1024 for Ansible) — plus the controller's own CPU per host for both.
//
//   npm run bench:fleet                     (N = 10)
//   npx tsx bench/fleet.bench.ts --nodes 10,20 --runs 3
//
// The nodes share this machine's cores with the controller: wall times are not a real pool's; ratios and CPU are.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import { fleetApply } from '../src/fleet/engine.ts';
import { collectorGate } from '../src/fleet/gate.ts';
import { createSshExecutor, type SshExecutor } from '../src/fleet/ssh/executor.ts';
import { testbedUnavailable, which } from '../test/testbed/prereqs.ts';
import { startNodes, type TestNode } from '../test/testbed/nodes.ts';

const ROOT = resolve(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist/vm-provision.mjs');
const PLAYBOOK = join(ROOT, 'playbooks/bench-equivalent-checks.yml');
const DROP_IN = '/etc/condor/config.d/50-vm-universe.config';
const say = (l = '') => process.stdout.write(`${l}\n`);
const note = (l: string) => process.stderr.write(`[bench:fleet] ${l}\n`);

function args(): { sizes: number[]; runs: number } {
  const a = process.argv.slice(2);
  let sizes = [10];
  let runs = 3;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--nodes') sizes = a[++i]!.split(',').map(Number);
    else if (a[i] === '--runs') runs = Number(a[++i]);
    else { process.stderr.write('usage: npx tsx bench/fleet.bench.ts [--nodes 10,20] [--runs 3]\n'); process.exit(64); }
  }
  if (sizes.some((n) => !Number.isInteger(n) || n < 1) || !Number.isInteger(runs) || runs < 1) process.exit(64);
  return { sizes, runs };
}

/** CPU of this process and of its waited-for children (ssh mux clients, ansible-playbook and its ssh), in ms. */
function cpuMs(): { self: number; children: number } {
  const u = process.cpuUsage();
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  // Fields 16 and 17 of stat (cutime, cstime), in clock ticks of 1/100 s.
  return { self: (u.user + u.system) / 1000, children: ((Number(f[13]) + Number(f[14])) * 1000) / 100 };
}

interface Proc { code: number; stdout: string; stderr: string }
function runProc(cmd: string, argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<Proc> {
  return new Promise((res, rej) => {
    const p = spawn(cmd, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = ''; let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    p.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    p.on('error', rej);
    p.on('close', (code) => res({ code: code ?? -1, stdout, stderr }));
  });
}

interface Measure { ms: number; cpuMs: number; masterMs: number }

async function main() {
  const { sizes, runs } = args();
  const why = testbedUnavailable();
  if (why) { process.stderr.write(`bench: cannot run: ${why}\n`); process.exit(77); }
  if (!which('ansible-playbook')) { process.stderr.write('bench: ansible-playbook is missing (apt-get install -y ansible-core)\n'); process.exit(77); }
  if (!existsSync(DIST)) { process.stderr.write(`bench: ${DIST} is missing: node scripts/build.mjs\n`); process.exit(77); }
  const example = readFileSync(join(ROOT, 'examples/kvm-node.yaml'), 'utf8');
  const table: string[] = [];

  for (const n of sizes) {
    const dir = mkdtempSync('/tmp/vmpb-');
    let nodes: TestNode[] = [];
    try {
      note(`starting ${n} full nodes`);
      nodes = await startNodes({ flavor: 'full', count: n });
      const key = nodes[0]!.identity.key;
      copyFileSync(nodes[0]!.identity.knownHosts, join(dir, 'known_hosts'));
      writeFileSync(join(dir, 'kvm-node.yaml'), example);
      writeFileSync(join(dir, 'kvm-2048.yaml'), example.replace('memory: 1024', 'memory: 2048'));
      writeFileSync(join(dir, 'hosts.ini'), ['[nodes]', ...nodes.map((x, i) => `n${i + 1} ansible_host=${x.address}`), '[nodes:vars]', 'ansible_user=root', `ansible_ssh_private_key_file=${key}`, ''].join('\n'));
      for (const [name, profile] of [['fleet.yaml', 'kvm-node.yaml'], ['fleet-2048.yaml', 'kvm-2048.yaml']] as const) {
        writeFileSync(join(dir, name), ['apiVersion: vm-provision/v1', 'kind: Fleet', 'metadata: {name: bench}', 'inventory: [{ansible: hosts.ini}]',
          `profiles: [{match: all, profile: ${profile}}]`, 'ssh: {knownHostsFile: known_hosts}',
          `rollout: {batches: ["100%"], concurrency: ${n}, maxFail: 0, maxUnreachable: 0}`, ''].join('\n'));
      }

      const fleet = async (file: string, want: 'ok' | 'changed'): Promise<Measure> => {
        let masterMs = 0;
        const c0 = cpuMs();
        const t0 = performance.now();
        const report = await fleetApply({
          fleetFile: join(dir, file), check: false,
          executor: (p) => createSshExecutor(p, { bundlePath: DIST, controlDir: join(dir, 'cp'), onMasterCpu: (_h, ms) => { masterMs += ms; } }),
          gateFor: (p, ex) => collectorGate(p, { queryCollector: async () => '', onNode: (h, s) => (ex as SshExecutor).exec(h, s, { timeoutSeconds: 60 }), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) }, { pollMs: 1000 }),
        });
        const ms = performance.now() - t0;
        const c1 = cpuMs();
        const bad = report.results.filter((r) => r.outcome !== want);
        if (bad.length) throw new Error(`fleet ${file}: expected every host ${want}, got ${JSON.stringify(bad.slice(0, 2))}`);
        return { ms, cpuMs: c1.self - c0.self + c1.children - c0.children, masterMs };
      };

      const varsFile = join(dir, 'vars.json');
      const ansible = async (memory: number, want: 'noop' | 'changed'): Promise<Measure> => {
        const env: NodeJS.ProcessEnv = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ANSIBLE_'))), ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3', ANSIBLE_NOCOLOR: '1' };
        const c0 = cpuMs();
        const t0 = performance.now();
        const r = await runProc('ansible-playbook', ['-i', join(dir, 'hosts.ini'), '-f', String(n), '-e', `@${varsFile}`, '-e', `vm_memory=${memory}`,
          '--ssh-common-args', `-o UserKnownHostsFile=${join(dir, 'known_hosts')}`, PLAYBOOK], env);
        const ms = performance.now() - t0;
        const c1 = cpuMs();
        const recaps = [...r.stdout.matchAll(/^(n\d+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)];
        const okAll = recaps.length === n && recaps.every((m) => m[4] === '0' && m[5] === '0' && (want === 'noop' ? m[3] === '0' : m[3] !== '0'));
        if (r.code !== 0 || !okAll) throw new Error(`ansible (${want}) was not as intended (exit ${r.code}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-1000)}`);
        return { ms, cpuMs: c1.children - c0.children, masterMs: 0 };
      };

      note('converging with the fleet (untimed)');
      await fleet('fleet.yaml', 'changed');
      const dropIn = (await nodes[0]!.ssh(['cat', DROP_IN])).stdout;
      writeFileSync(varsFile, JSON.stringify({ vm_universe_config: `${dropIn}\n` }));
      note('warming up ansible');
      await ansible(1024, 'noop');

      const fNoop: Measure[] = []; const aNoop: Measure[] = [];
      for (let i = 1; i <= runs; i++) {
        fNoop.push(await fleet('fleet.yaml', 'ok'));
        aNoop.push(await ansible(1024, 'noop'));
        note(`no-op run ${i}/${runs}: fleet ${(fNoop.at(-1)!.ms / 1000).toFixed(2)} s, ansible ${(aNoop.at(-1)!.ms / 1000).toFixed(2)} s`);
      }
      note('restart rollout: fleet 1024 → 2048');
      const fRestart = await fleet('fleet-2048.yaml', 'changed');
      note('restart rollout: ansible 2048 → 1024');
      const aRestart = await ansible(1024, 'changed');

      const med = (xs: number[]) => { const s = [...xs].sort((p, q) => p - q); return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2; };
      const fn = med(fNoop.map((m) => m.ms)); const an = med(aNoop.map((m) => m.ms));
      const fcpu = med(fNoop.map((m) => m.cpuMs)) / n; const fmaster = med(fNoop.map((m) => m.masterMs)) / n; const acpu = med(aNoop.map((m) => m.cpuMs)) / n;
      const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`.padStart(9);
      table.push(
        `N = ${n} nodes (load average at the end ${loadavg()[0]!.toFixed(1)})`,
        `  no-op rollout        fleet ${s(fn)}   ansible -f ${n} ${s(an)}   ratio ${(an / fn).toFixed(1)}x   (medians of ${runs})`,
        `  restart rollout      fleet ${s(fRestart.ms)}   ansible -f ${n} ${s(aRestart.ms)}   ratio ${(aRestart.ms / fRestart.ms).toFixed(1)}x`,
        `  controller CPU/host  fleet ${fcpu.toFixed(0)} ms (+ ${fmaster.toFixed(0)} ms in ssh masters)   ansible ${acpu.toFixed(0)} ms (masters not counted)   no-op`,
        `                       fleet ${(fRestart.cpuMs / n).toFixed(0)} ms (+ ${(fRestart.masterMs / n).toFixed(0)} ms in masters)   ansible ${(aRestart.cpuMs / n).toFixed(0)} ms   restart rollout`,
      );
    } finally {
      for (const x of nodes) await x.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  say();
  table.forEach((l) => say(l));
}

main().catch((e: unknown) => { process.stderr.write(`bench:fleet FAILED: ${e instanceof Error ? e.message : String(e)}\n`); process.exit(1); });
