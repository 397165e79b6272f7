// Benchmark (not a test): `vm-provision fleet apply` against ansible-playbook with forks = N on N converged `full`
// testbed nodes — the no-op, and a change that restarts every startd (memory 1024 → 2048 for the fleet, the same
// play back to 1024 for Ansible) — plus the controller's own CPU per host for both.
//
//   npm run bench:fleet                     (N = 10; `npm run bench` runs it after the single-node one)
//   npx tsx bench/fleet.bench.ts --nodes 10,20 --runs 3
//
// The controller runs as an admin runs it: `node dist/vm-provision.mjs fleet apply FLEET --json`, a process of its
// own. Its CPU is counted two ways: the process and the ssh clients it waited for (this process's cutime+cstime
// around it), and everything it started, the daemonized ssh masters included (a cpuacct cgroup of its own, when
// this machine has cgroup v1's cpuacct). Ansible is counted the same two ways. One more untimed run of each, with
// `ssh` wrapped by a counter first on PATH, says how many ssh processes each tool starts per host.
// Two regimes. Cold: every run of either tool opens fresh SSH connections (its masters are stopped with its
// cgroup after each run) — an admin whose last run was minutes ago. Warm: each tool reuses the connections of its
// own previous run (ControlPersist: Ansible's default 60 s, the fleet's ssh.persist) — plan then apply, a re-run.
// The restart rollout runs warm, and the node's own share of it (restart + verify steps) is printed under it.
// The nodes share this machine's cores with the controller: wall times are not a real pool's; ratios and CPU are.
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import { testbedUnavailable, which } from '../test/testbed/prereqs.ts';
import { startNodes, type TestNode } from '../test/testbed/nodes.ts';

const ROOT = resolve(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist/vm-provision.mjs');
const PLAYBOOK = join(ROOT, 'playbooks/bench-equivalent-checks.yml');
const DROP_IN = '/etc/condor/config.d/50-vm-universe.config';
const CPUACCT = '/sys/fs/cgroup/cpuacct';
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

/** CPU (ms) of the children this process waited for, and of theirs (cutime + cstime, fields 16 and 17 of stat). */
function childrenCpuMs(): number {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return ((Number(f[13]) + Number(f[14])) * 1000) / 100;
}

/** A cpuacct cgroup for one measured process and everything it starts (daemonized ssh masters too), if we may. */
function cgroup(name: string): { path: string; ms(): number; remove(): void } | undefined {
  if (!existsSync(join(CPUACCT, 'cgroup.procs'))) return undefined;
  const path = join(CPUACCT, `vmpb-${process.pid}-${name}`);
  try { mkdirSync(path); } catch { return undefined; }
  return {
    path,
    ms: () => Number(readFileSync(join(path, 'cpuacct.usage'), 'utf8')) / 1e6,
    // Ansible's masters outlive it (ControlPersist 60 s): they are ours; stop them so the cgroup can go.
    remove: () => {
      for (const pid of readFileSync(join(path, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) { try { process.kill(Number(pid), 'SIGTERM'); } catch { /* gone */ } }
      for (let i = 0; i < 50; i++) { try { rmdirSync(path); return; } catch { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100); } }
    },
  };
}

interface Proc { code: number; stdout: string; stderr: string }
function runProc(cmd: string, argv: string[], env: NodeJS.ProcessEnv = process.env, cg?: string): Promise<Proc> {
  // In the cgroup before the program starts: sh moves itself there, then execs the program.
  const [c, a] = cg ? ['sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', cg, cmd, ...argv]] : [cmd, argv];
  return new Promise((res, rej) => {
    const p = spawn(c, a, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = ''; let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    p.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    p.on('error', rej);
    p.on('close', (code) => res({ code: code ?? -1, stdout, stderr }));
  });
}

interface Measure { ms: number; cpuMs: number; allCpuMs?: number; machineMs?: number }

/** CPU (ms) the whole machine spent so far — controller, nodes, everything (/proc/stat: all but idle and iowait). */
function machineCpuMs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f as [number, number, number, number, number, number, number, number];
  return ((user + nice + system + irq + softirq + steal) * 1000) / 100;
}
type Cg = ReturnType<typeof cgroup>;

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
    const warm: { fleet?: Cg; ansible?: Cg } = {};
    try {
      note(`starting ${n} full nodes`);
      // Its own copy of the build: a rebuild of dist/ by someone else mid-benchmark must not make a run ship it.
      copyFileSync(DIST, join(dir, 'vm-provision.mjs'));
      nodes = await startNodes({ flavor: 'full', count: n });
      const key = nodes[0]!.identity.key;
      copyFileSync(nodes[0]!.identity.knownHosts, join(dir, 'known_hosts'));
      writeFileSync(join(dir, 'kvm-node.yaml'), example);
      writeFileSync(join(dir, 'kvm-2048.yaml'), example.replace('memory: 1024', 'memory: 2048'));
      writeFileSync(join(dir, 'hosts.ini'), ['[nodes]', ...nodes.map((x, i) => `n${i + 1} ansible_host=${x.address}`), '[nodes:vars]', 'ansible_user=root', `ansible_ssh_private_key_file=${key}`, ''].join('\n'));
      // ssh.persist 300 keeps the fleet's masters through the Ansible runs in between (Ansible's own, 60 s, stay
      // warm through the much shorter fleet runs): the warm rows compare both tools on reused connections.
      for (const [name, profile] of [['fleet.yaml', 'kvm-node.yaml'], ['fleet-2048.yaml', 'kvm-2048.yaml']] as const) {
        writeFileSync(join(dir, name), ['apiVersion: vm-provision/v1', 'kind: Fleet', 'metadata: {name: bench}', 'inventory: [{ansible: hosts.ini}]',
          `profiles: [{match: all, profile: ${profile}}]`, 'ssh: {knownHostsFile: known_hosts, persist: 300}',
          `rollout: {batches: ["100%"], concurrency: ${n}, maxFail: 0, maxUnreachable: 0}`, ''].join('\n'));
      }

      const state = join(dir, 'state');
      const runtime = join(dir, 'rt');
      mkdirSync(runtime, { mode: 0o700, recursive: true });
      const fleetEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ ...process.env, XDG_STATE_HOME: state, XDG_RUNTIME_DIR: runtime, ...extra });
      let k = 0;
      // Warm runs share one cgroup per tool (their masters live on in it between runs); cold runs get their own,
      // removed after the run with everything in it: the next run connects afresh.
      const fleet = async (file: string, want: 'ok' | 'changed', env = fleetEnv(), shared?: Cg, extra: string[] = [], count = n): Promise<Measure & { stdout: string }> => {
        const cg = shared ?? cgroup(`f${k++}`);
        const u0 = cg?.ms() ?? 0;
        const c0 = childrenCpuMs();
        const m0 = machineCpuMs();
        const t0 = performance.now();
        const r = await runProc('node', [join(dir, 'vm-provision.mjs'), 'fleet', 'apply', join(dir, file), '--json', ...extra], env, cg?.path);
        const ms = performance.now() - t0;
        const machineMs = machineCpuMs() - m0;
        const cpu = childrenCpuMs() - c0;
        const all = cg ? cg.ms() - u0 : undefined;
        if (!shared) cg?.remove();
        const hosts = r.stdout.split('\n').filter((l) => l.startsWith('{"type":"host"')).map((l) => JSON.parse(l) as { host: string; outcome: string; cause?: string });
        const bad = hosts.filter((h) => h.outcome !== want);
        if (r.code !== 0 || hosts.length !== count || bad.length) throw new Error(`fleet ${file}: expected ${count} hosts ${want}, exit 0; got exit ${r.code}, ${JSON.stringify(bad.slice(0, 2))}\n${r.stderr.slice(-2000)}${r.stdout.slice(-1500)}`);
        return { ms, cpuMs: cpu, machineMs, ...(all !== undefined ? { allCpuMs: all } : {}), stdout: r.stdout };
      };

      const varsFile = join(dir, 'vars.json');
      const ansibleEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ANSIBLE_'))), ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3', ANSIBLE_NOCOLOR: '1', ...extra });
      const ansible = async (memory: number, want: 'noop' | 'changed', env = ansibleEnv(), shared?: Cg): Promise<Measure> => {
        const cg = shared ?? cgroup(`a${k++}`);
        const u0 = cg?.ms() ?? 0;
        const c0 = childrenCpuMs();
        const m0 = machineCpuMs();
        const t0 = performance.now();
        const r = await runProc('ansible-playbook', ['-i', join(dir, 'hosts.ini'), '-f', String(n), '-e', `@${varsFile}`, '-e', `vm_memory=${memory}`,
          '--ssh-common-args', `-o UserKnownHostsFile=${join(dir, 'known_hosts')}`, PLAYBOOK], env, cg?.path);
        const ms = performance.now() - t0;
        const machineMs = machineCpuMs() - m0;
        const cpu = childrenCpuMs() - c0;
        const all = cg ? cg.ms() - u0 : undefined;
        if (!shared) cg?.remove();
        const recaps = [...r.stdout.matchAll(/^(n\d+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)];
        const okAll = recaps.length === n && recaps.every((m) => m[4] === '0' && m[5] === '0' && (want === 'noop' ? m[3] === '0' : m[3] !== '0'));
        if (r.code !== 0 || !okAll) throw new Error(`ansible (${want}) was not as intended (exit ${r.code}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-1000)}`);
        return { ms, cpuMs: cpu, machineMs, ...(all !== undefined ? { allCpuMs: all } : {}) };
      };

      note('converging with the fleet (untimed)');
      await fleet('fleet.yaml', 'changed');
      const dropIn = (await nodes[0]!.ssh(['cat', DROP_IN])).stdout;
      writeFileSync(varsFile, JSON.stringify({ vm_universe_config: `${dropIn}\n` }));
      note('warming up ansible');
      await ansible(1024, 'noop');

      const cpu = (m: Measure) => `CPU ${(m.cpuMs / n).toFixed(0)} ms/host (${((m.allCpuMs ?? NaN) / n).toFixed(0)} with masters)`;
      // Cold: every run of either tool connects afresh (its masters went with its cgroup after the run before).
      const fNoop: Measure[] = []; const aNoop: Measure[] = [];
      for (let i = 1; i <= runs; i++) {
        fNoop.push(await fleet('fleet.yaml', 'ok'));
        aNoop.push(await ansible(1024, 'noop'));
        note(`cold no-op run ${i}/${runs}: fleet ${(fNoop.at(-1)!.ms / 1000).toFixed(2)} s ${cpu(fNoop.at(-1)!)}, ansible ${(aNoop.at(-1)!.ms / 1000).toFixed(2)} s ${cpu(aNoop.at(-1)!)}`);
      }
      // Warm: each tool reuses the connections of its own previous run (one untimed run each opens them).
      warm.fleet = cgroup('fleet-warm'); warm.ansible = cgroup('ansible-warm');
      await fleet('fleet.yaml', 'ok', fleetEnv(), warm.fleet);
      await ansible(1024, 'noop', ansibleEnv(), warm.ansible);
      const fWarm: Measure[] = []; const aWarm: Measure[] = [];
      for (let i = 1; i <= runs; i++) {
        fWarm.push(await fleet('fleet.yaml', 'ok', fleetEnv(), warm.fleet));
        aWarm.push(await ansible(1024, 'noop', ansibleEnv(), warm.ansible));
        note(`warm no-op run ${i}/${runs}: fleet ${(fWarm.at(-1)!.ms / 1000).toFixed(2)} s ${cpu(fWarm.at(-1)!)}, ansible ${(aWarm.at(-1)!.ms / 1000).toFixed(2)} s ${cpu(aWarm.at(-1)!)}`);
      }
      // ssh processes per host: one more untimed run of each with a counting `ssh` first on PATH.
      const bin = join(dir, 'bin');
      mkdirSync(bin);
      const log = join(dir, 'ssh.log');
      writeFileSync(join(bin, 'ssh'), `#!/bin/sh\necho x >> ${log}\nexec ${which('ssh')} "$@"\n`);
      chmodSync(join(bin, 'ssh'), 0o755);
      const counted = async (f: (env: NodeJS.ProcessEnv) => Promise<unknown>, env: (x: NodeJS.ProcessEnv) => NodeJS.ProcessEnv) => {
        writeFileSync(log, '');
        await f(env({ PATH: `${bin}:${process.env.PATH ?? ''}` }));
        return readFileSync(log, 'utf8').split('\n').filter(Boolean).length / n;
      };
      const fSpawns = await counted((env) => fleet('fleet.yaml', 'ok', env, warm.fleet), fleetEnv);
      const aSpawns = await counted((env) => ansible(1024, 'noop', env, warm.ansible), ansibleEnv);
      note(`ssh processes per host in a no-op: fleet ${fSpawns.toFixed(1)}, ansible ${aSpawns.toFixed(1)}`);

      // Floors, measured in this run. The controller: warm no-ops of one host against those of all n give its cost
      // per run and per host. A node: CPU of `node -e 0` and of one no-op agent run (its commands included) by hand.
      const fOne: Measure[] = [];
      for (let i = 0; i < runs; i++) fOne.push(await fleet('fleet.yaml', 'ok', fleetEnv(), warm.fleet, ['--limit', 'n1'], 1));
      const nodeCpuMs = async (x: TestNode, cmd: string, times: number): Promise<number> => {
        // $b and $p: the build and profile the fleet shipped. `times` prints the shell's own user and system time,
        // then its children's: the last line.
        const r = await x.sh(`b=$(ls -t /var/lib/vm-provision/fleet/vm-provision-*.mjs | head -n 1); p=$(ls -t /var/lib/vm-provision/fleet/profiles/kvm-node-*.yaml | head -n 1)
          for i in $(seq ${times}); do ${cmd} >/dev/null 2>&1 || exit 3; done; times`, { timeoutMs: 300_000 });
        const m = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s\s*$/.exec(r.stdout.trim());
        if (r.exitCode !== 0 || !m) throw new Error(`${cmd} on ${x.name}: exit ${r.exitCode} ${r.stdout.slice(-200)} ${r.stderr.slice(-200)}`);
        return ((Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000) / times;
      };
      let floors: { nodeStart: number; agent: number } | undefined;
      try {
        floors = { nodeStart: await nodeCpuMs(nodes[0]!, 'node -e 0', 10), agent: await nodeCpuMs(nodes[0]!, 'node "$b" apply "$p" --json', 5) };
        note(`floors on ${nodes[0]!.name}: node -e 0 ${floors.nodeStart.toFixed(0)} ms CPU, one no-op agent run ${floors.agent.toFixed(0)} ms CPU`);
      } catch (e) { note(`node floors not measured: ${(e as Error).message.slice(0, 200)}`); }

      // Both tools start their restart rollout with every node's libvirtd up (Debian's exits after 120 idle
      // seconds): the startd's VM-universe test then does not wait for it to start again through its socket.
      const wakeLibvirt = () => Promise.all(nodes.map((x) => x.ssh(['virsh', '-c', 'qemu:///system', 'version']).catch(() => undefined)));
      // A restarted startd runs its mips/kflops benchmarks (one core for seconds each): neither tool's rollout starts
      // while the other's benchmarks still run on the shared cores (at most 180 s).
      const quiet = async () => {
        for (let i = 0; i < 180; i++) {
          const busy = await Promise.all(nodes.map((x) => x.sh('pgrep -x condor_mips >/dev/null || pgrep -x condor_kflops >/dev/null').then((r) => r.exitCode === 0, () => false)));
          if (!busy.some(Boolean)) return;
          await new Promise((r) => setTimeout(r, 1000));
        }
      };
      // One idle node, one restart at a time: how long until the new startd is advertised, condor_restart against off/on.
      const restartOnce = async (x: TestNode, cmd: string): Promise<number> => {
        const r = await x.sh(`old=$(condor_status -af DaemonStartTime | head -1); t0=$(date +%s%N); { ${cmd}; } >/dev/null || exit 3
          for i in $(seq 600); do n=$(condor_status -af DaemonStartTime HasVM | head -1); case "$n" in "$old "*|"") sleep 0.1;; *) echo $(( ($(date +%s%N) - t0) / 1000000 )); exit 0;; esac; done; exit 4`, { timeoutMs: 120_000 });
        if (r.exitCode !== 0) throw new Error(`${cmd} on ${x.name}: exit ${r.exitCode} ${r.stderr}`);
        return Number(r.stdout.trim());
      };
      // A restart rollout that fails (the node's side, e.g. its VM-universe test) costs its row, not the table.
      let fRestart: Measure | undefined; let aRestart: Measure | undefined; let restartError = '';
      let nodeRestart: number[] = [];
      try {
        note('restart rollout: fleet 1024 → 2048 (warm, like the rows above)');
        await quiet();
        await wakeLibvirt();
        const fr = await fleet('fleet-2048.yaml', 'changed', fleetEnv(), warm.fleet);
        fRestart = fr;
        // The node's own share: the restart until the startd advertises the VM universe (the agent's restart + verify).
        const steps = fr.stdout.split('\n').filter((l) => l.startsWith('{"type":"step"')).map((l) => JSON.parse(l) as { host: string; step: string; ms?: number });
        const byHost = new Map<string, number>();
        for (const x of steps) if ((x.step === 'restart' || x.step === 'verify') && x.ms !== undefined) byHost.set(x.host, (byHost.get(x.host) ?? 0) + x.ms);
        nodeRestart = [...byHost.values()];
        note(`restart rollout: fleet ${(fRestart.ms / 1000).toFixed(2)} s, CPU ${(fRestart.cpuMs / n).toFixed(0)} ms/host (${((fRestart.allCpuMs ?? NaN) / n).toFixed(0)} with masters)`);
        note('restart rollout: ansible 2048 → 1024');
        await quiet();
        await wakeLibvirt();
        aRestart = await ansible(1024, 'changed', ansibleEnv(), warm.ansible);
        note(`restart rollout: ansible ${(aRestart.ms / 1000).toFixed(2)} s, CPU ${(aRestart.cpuMs / n).toFixed(0)} ms/host (${((aRestart.allCpuMs ?? NaN) / n).toFixed(0)} with masters)`);
      } catch (e) {
        restartError = (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 400);
        note(`restart rollout FAILED: ${restartError}`);
      }
      // The single-node restart, both ways, on nodes[0] once the others are quiet.
      let single: { restart: number; offOn: number } | undefined;
      try {
        await quiet();
        await wakeLibvirt();
        const restart = await restartOnce(nodes[0]!, 'condor_restart -startd');
        await quiet();
        const offOn = await restartOnce(nodes[0]!, 'condor_off -startd && condor_on -startd');
        single = { restart, offOn };
        note(`one idle node: condor_restart -startd ${restart} ms, condor_off + condor_on ${offOn} ms until advertised`);
      } catch (e) { note(`single-node restart not measured: ${(e as Error).message.slice(0, 200)}`); }

      const med = (xs: number[]) => { const s = [...xs].sort((p, q) => p - q); return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2; };
      const fn = med(fNoop.map((m) => m.ms)); const an = med(aNoop.map((m) => m.ms));
      const fw = med(fWarm.map((m) => m.ms)); const aw = med(aWarm.map((m) => m.ms));
      const per = (ms: Measure[], all = false) => { const xs = ms.map((m) => (all ? m.allCpuMs : m.cpuMs)); return xs.every((x) => x !== undefined) ? `${(med(xs as number[]) / n).toFixed(0)} ms` : 'n/a'; };
      const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`.padStart(9);
      const medOf = (ms: Measure[]) => med(ms.map((m) => m.machineMs ?? NaN));
      const mach = (ms: Measure[]) => `${(medOf(ms) / n).toFixed(0)} ms`;
      table.push(
        `N = ${n} nodes (load average at the end ${loadavg()[0]!.toFixed(1)}; controller: node dist/vm-provision.mjs fleet apply --json)`,
        `  no-op rollout, warm  fleet ${s(fw)}   ansible -f ${n} ${s(aw)}   ratio ${(aw / fw).toFixed(1)}x   (medians of ${runs}; connections reused from each tool's previous run; target >= 10x)`,
        `  no-op rollout, cold  fleet ${s(fn)}   ansible -f ${n} ${s(an)}   ratio ${(an / fn).toFixed(1)}x   (medians of ${runs}; every run connects afresh)`,
        fRestart && aRestart
          ? `  restart rollout      fleet ${s(fRestart.ms)}   ansible -f ${n} ${s(aRestart.ms)}   ratio ${(aRestart.ms / fRestart.ms).toFixed(1)}x   (warm; target >= 5x; fleet: condor_off + condor_on -startd, the play: condor_restart -startd)`
          : `  restart rollout      not measured: ${restartError}`,
        ...(single ? [`    one idle node, one restart (command until the new startd's ad is at the collector): condor_restart -startd ${s(single.restart)}, condor_off + condor_on -startd ${s(single.offOn)}`] : []),
        ...(nodeRestart.length ? [`    of which the node's own restart (condor_off + condor_on -startd until the VM universe is advertised), median over hosts ${s(med(nodeRestart))}, max ${s(Math.max(...nodeRestart))}`] : []),
        `  controller CPU/host, no-op warm fleet ${per(fWarm)} (${per(fWarm, true)} with its ssh masters)   ansible ${per(aWarm)} (${per(aWarm, true)} with its masters)   (target <= 50 ms, fleet)`,
        `  controller CPU/host, no-op cold fleet ${per(fNoop)} (${per(fNoop, true)} with its ssh masters)   ansible ${per(aNoop)} (${per(aNoop, true)} with its masters)`,
        ...(fRestart && aRestart ? [`  controller CPU/host, restart    fleet ${per([fRestart])} (${per([fRestart], true)} with its ssh masters)   ansible ${per([aRestart])} (${per([aRestart], true)} with its masters)`] : []),
        `  ssh processes/host, no-op       fleet ${fSpawns.toFixed(1)}   ansible ${aSpawns.toFixed(1)}`,
        // What the ratios are made of, from this run's own figures (see bench/README.md, "Floors").
        (() => {
          const c1 = med(fOne.map((m) => m.cpuMs)); const cn = med(fWarm.map((m) => m.cpuMs));
          const perHost = n > 1 ? (cn - c1) / (n - 1) : NaN;
          return `  floors: controller, warm no-op: ${(c1 - perHost).toFixed(0)} ms per run + ${perHost.toFixed(0)} ms per host (fleet runs of 1 host and of ${n}; per host at N = ${n}: ${(cn / n).toFixed(0)} ms)`;
        })(),
        ...(floors ? [
          `          one idle node: node -e 0 ${floors.nodeStart.toFixed(0)} ms CPU; one no-op agent run ${floors.agent.toFixed(0)} ms CPU (its commands included, by hand)`,
          `          no-op ratio if the controller, ssh, the gate and HTCondor's daemons cost nothing: ansible's machine CPU/host / the agent's = ${(medOf(aWarm) / n / floors.agent).toFixed(1)}x (warm)`,
        ] : []),
        ...(fRestart && aRestart && nodeRestart.length ? [
          `          restart ratio if the fleet added nothing to the slowest node's own restart: ansible ${s(aRestart.ms).trim()} / ${s(Math.max(...nodeRestart)).trim()} = ${(aRestart.ms / Math.max(...nodeRestart)).toFixed(1)}x`,
        ] : []),
        // The nodes share this machine's cores: wall time follows the CPU everything spent, nodes included.
        `  machine CPU/host (controller + nodes), no-op warm   fleet ${mach(fWarm)}   ansible ${mach(aWarm)}   ratio ${(medOf(aWarm) / medOf(fWarm)).toFixed(1)}x`,
        `  machine CPU/host (controller + nodes), no-op cold   fleet ${mach(fNoop)}   ansible ${mach(aNoop)}   ratio ${(medOf(aNoop) / medOf(fNoop)).toFixed(1)}x`,
      );
    } finally {
      warm.fleet?.remove(); warm.ansible?.remove();
      for (const x of nodes) await x.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  say();
  table.forEach((l) => say(l));
}

main().catch((e: unknown) => { process.stderr.write(`bench:fleet FAILED: ${e instanceof Error ? e.message : String(e)}\n`); process.exit(1); });
