// Issue 12's fault corpus, the hypervisor and package side, on real testbed nodes: the libvirt daemon masked,
// VM_MEMORY = 0 in a later file, the gahp binary not executable and /dev/kvm gone (each on its own converged `full`
// node, the startd restarted with the fault in place as it would be on a real node); libvirt-daemon-system missing
// from the node's repository and a package install killed halfway (dpkg interrupted), each on a `bare` node that
// still has everything to install. For each fault: (a) apply's exit code, (b) the first screen of its plain output
// names the cause and the next action, (c) the node is left as the policy says — the config and journal as before,
// no restart owed, no half-written file, no lock, nothing installed — (d) doctor names the same cause as its first
// problem, (e) once the fault is removed the next apply converges and the node advertises kvm. Where apply's next
// action is a command (systemctl unmask, chmod, dpkg --configure -a), the fault is removed by running it as printed.
// The six nodes run their faults concurrently (one `it` per fault asserts on its node's outcome).
// VMP_RELIABILITY_RESULTS=<dir>: the measured results are written to <dir>/faults-hypervisor.json.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodes, type TestNode } from '../testbed/nodes.ts';
import { kvmTitle, testbedReason } from '../testbed/harness.ts';
import { installAgent, restartStartd, vmp, vmStatus } from './agent.ts';
import { writeResults, type FaultResult } from '../../scripts/gen-reliability.ts';

const PROFILE = '/root/examples/kvm-node.yaml';
const CONFIG = '/etc/condor/config.d/50-vm-universe.config';
const JOURNAL = '/var/lib/vm-provision/journal.json';
const FAULT_FILE = '/etc/condor/config.d/99-site-fault.config';
const GAHP = '/usr/sbin/condor_vm-gahp';
const LIBVIRT_UNITS = 'libvirtd.service libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket';
const FIRST_SCREEN = 25;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (m: string) => process.stderr.write(`[faults-hypervisor] ${m}\n`);

// A package whose postinst waits while a flag file exists: dpkg is killed (SIGKILL) inside it, which leaves
// dpkg's journal in /var/lib/dpkg/updates and the package half-configured — "dpkg was interrupted".
const DPKG_INTERRUPT = `set -e
D=/root/vmp-fault-pkg; mkdir -p $D/DEBIAN
printf 'Package: vmp-fault-hang\\nVersion: 1.0\\nArchitecture: all\\nMaintainer: vm-provision tests <root@localhost>\\nDescription: postinst waits while /run/vmp-fault-hang exists\\n' > $D/DEBIAN/control
printf '#!/bin/sh\\ntouch /run/vmp-fault-in-postinst\\nwhile [ -e /run/vmp-fault-hang ]; do sleep 1; done\\n' > $D/DEBIAN/postinst
chmod 755 $D/DEBIAN/postinst
dpkg-deb --build $D /root/vmp-fault-hang.deb >/dev/null
touch /run/vmp-fault-hang; rm -f /run/vmp-fault-in-postinst
setsid dpkg -i /root/vmp-fault-hang.deb >/root/dpkg-fault.out 2>&1 < /dev/null &
for i in $(seq 600); do [ -e /run/vmp-fault-in-postinst ] && break; sleep 0.1; done
[ -e /run/vmp-fault-in-postinst ]
pkill -9 -x dpkg
rm -f /run/vmp-fault-hang /run/vmp-fault-in-postinst
ls /var/lib/dpkg/updates | grep -q '^[0-9]'`;

// The node's repository without libvirt-daemon-system (the .debs are the same files): "missing from the repository".
const REPO_WITHOUT_LIBVIRT = `set -e
R=/srv/vmp-fault-repo; mkdir -p $R; ln -sf /srv/vm-provision-repo/*.deb $R/
awk -v RS= -v ORS='\\n\\n' '!/^Package: libvirt-daemon-system\\n/' /srv/vm-provision-repo/Packages > $R/Packages
cp /etc/apt/sources.list /etc/apt/sources.list.vmp-fault
echo "deb [trusted=yes] file:$R ./" > /etc/apt/sources.list
apt-get update -q >/dev/null 2>&1
! apt-cache policy libvirt-daemon-system | grep -q 'Candidate: [^(]'`;

interface Fault {
  /** The corpus's name (scripts/gen-reliability.ts CORPUS). */
  name: string;
  flavor: 'full' | 'bare';
  /** doctor's check id that is the real cause. */
  cause: string;
  inject: string;
  /** A script, or the next action apply printed (its `hint:` line) taken literally. */
  remove: string | ((hint: string) => string);
  /** Restart the startd with the fault in place (the gahp test runs only when the startd starts). */
  restart: boolean;
  /** On apply's first screen: the cause, and the next action. */
  applyCause: RegExp;
  applyNext: RegExp;
  /** doctor's first problem and its next action. */
  doctorCause: RegExp;
  doctorNext: RegExp;
}

const FAULTS: Fault[] = [
  {
    name: 'libvirt daemon masked', flavor: 'full', cause: 'libvirt', restart: true,
    inject: `systemctl mask --now ${LIBVIRT_UNITS}`,
    // apply's hint, as printed (it unmasks only; apply then enables and starts the daemon itself).
    remove: (hint) => /systemctl unmask [^,]+/.exec(hint)?.[0] ?? 'false',
    applyCause: /the libvirt daemon is masked \(libvirtd\.service[^)]*\): the gahp test of HTCondor [\d.]+ connects to qemu:\/\/\/session and fails/,
    applyNext: /hint: systemctl unmask libvirtd\.service libvirtd\.socket libvirtd-ro\.socket libvirtd-admin\.socket, then run vm-provision again/,
    doctorCause: /^libvirt: libvirt is (?:masked|not reachable)/, doctorNext: /^systemctl unmask libvirtd\.service/,
  },
  {
    name: 'VM_MEMORY = 0 in a later file', flavor: 'full', cause: 'vm-memory', restart: true,
    inject: `echo 'VM_MEMORY = 0' > ${FAULT_FILE}`, remove: `rm -f ${FAULT_FILE}`,
    applyCause: new RegExp(`VM_MEMORY is also set in ${FAULT_FILE}, line 1 \\(= 0\\), which HTCondor reads after ${CONFIG}`),
    applyNext: new RegExp(`hint: remove VM_MEMORY from ${FAULT_FILE}`),
    doctorCause: /^vm-memory: VM_MEMORY is 0/, doctorNext: new RegExp(`^fix or remove VM_MEMORY at ${FAULT_FILE}, line 1`),
  },
  {
    name: 'gahp binary not executable', flavor: 'full', cause: 'gahp-binary', restart: true,
    inject: `chmod a-x ${GAHP}`, remove: (hint) => /chmod 755 \S+/.exec(hint)?.[0] ?? 'false',
    applyCause: /the VM gahp \/usr\/sbin\/condor_vm-gahp is not executable \(mode 0644\): the startd would turn the VM universe off/,
    applyNext: /hint: chmod 755 \/usr\/sbin\/condor_vm-gahp/,
    doctorCause: /^gahp-binary: VM_GAHP_SERVER \/usr\/sbin\/condor_vm-gahp is not executable \(mode 0644\)/, doctorNext: /^chmod 755 \/usr\/sbin\/condor_vm-gahp/,
  },
  {
    // Gone, as without the kvm module: root reads and writes any device node whatever its mode (CAP_DAC_OVERRIDE),
    // so a chmod 000 does not stop the gahp's access() test; a missing device does.
    name: '/dev/kvm not accessible', flavor: 'full', cause: 'kvm-device', restart: true,
    inject: 'umount /dev/kvm 2>/dev/null || true; rm -f /dev/kvm; ! test -e /dev/kvm',
    remove: 'mknod -m 0660 /dev/kvm c 10 232 && chgrp kvm /dev/kvm',
    applyCause: /KVM is not usable: \/dev\/kvm is missing/,
    applyNext: /hint: (?:load the module: modprobe kvm_intel|enable VT-x\/AMD-V)/,
    doctorCause: /^kvm-device: \/dev\/kvm is missing/, doctorNext: /modprobe kvm_intel|VT-x\/AMD-V/,
  },
  {
    name: 'libvirt package not installable', flavor: 'bare', cause: 'packages', restart: false,
    inject: REPO_WITHOUT_LIBVIRT, remove: 'mv /etc/apt/sources.list.vmp-fault /etc/apt/sources.list && apt-get update -q >/dev/null 2>&1',
    applyCause: /libvirt-daemon-system cannot be installed: the node's package sources have no version of it \("E: (?:Package 'libvirt-daemon-system' has no installation candidate|Unable to locate package libvirt-daemon-system)"/,
    applyNext: /hint: add a repository that has libvirt-daemon-system .*\(file:\/srv\/vmp-fault-repo \.\/\)/,
    doctorCause: /^packages: libvirt-daemon-system is not installed and cannot be: the node's package sources have no version of it/,
    doctorNext: /^add a repository that has libvirt-daemon-system/,
  },
  {
    name: 'package install killed halfway (dpkg interrupted)', flavor: 'bare', cause: 'dpkg', restart: false,
    inject: DPKG_INTERRUPT, remove: (hint) => /dpkg --configure -a/.exec(hint)?.[0] ?? 'false',
    applyCause: /dpkg was interrupted: an earlier package install was killed halfway \(left unfinished: vmp-fault-hang half configured\)/,
    applyNext: /hint: run `dpkg --configure -a` as root/,
    doctorCause: /^dpkg: dpkg was interrupted: a package install was killed halfway \(vmp-fault-hang half configured\)/,
    doctorNext: /^dpkg --configure -a/,
  },
];

interface Outcome {
  apply: { exitCode: number; out: string; firstScreen: string; causeLine: string | null };
  /** Each policy item, and whether it held. */
  policy: Array<[string, boolean]>;
  doctor: { exitCode: number; out: string; problems: string[]; nexts: string[] };
  converge: { exitCode: number; out: string; advertised: string };
}

/** What apply may have changed: the config, the journal, the lock, leftovers of a write, the VM packages. */
async function nodeState(node: TestNode) {
  const r = await node.sh([
    `sha256sum ${CONFIG} 2>/dev/null || echo absent`,
    'echo ---', `cat ${JOURNAL} 2>/dev/null || echo '{}'`,
    'echo ---', 'test -e /run/vm-provision.lock && echo lock || echo nolock',
    'echo ---', 'find /etc/condor/config.d /var/lib/vm-provision -name ".*" -type f 2>/dev/null; ls /var/lib/vm-provision/staged 2>/dev/null',
    'echo ---', "dpkg-query -W -f '${Package} ${db:Status-Abbrev}\\n' libvirt-daemon-system qemu-system-x86 vmp-fault-hang 2>/dev/null | sort",
  ].join('; '));
  const [config, journal, lock, leftovers, packages] = r.stdout.split('---\n').map((s) => s.trim());
  const j = JSON.parse(journal || '{}') as { pendingRestart?: unknown; pendingDrain?: unknown; lastConfig?: { sha256?: string } };
  return { config: config!.split(' ')[0]!, journal: j, lock: lock === 'lock', leftovers: leftovers ?? '', packages: packages ?? '' };
}

async function doctor(node: TestNode): Promise<Outcome['doctor']> {
  const r = await vmp(node, ['doctor'], { timeoutMs: 120_000 });
  return {
    exitCode: r.exitCode, out: r.stdout + r.stderr,
    problems: [...r.stdout.matchAll(/^PROBLEM (\S+): (.*)$/gm)].map((m) => `${m[1]}: ${m[2]}`),
    nexts: [...r.stdout.matchAll(/^ {2}next: (.*)$/gm)].map((m) => m[1]!),
  };
}

async function runFault(node: TestNode, f: Fault): Promise<Outcome> {
  const inj = await node.sh(f.inject, { timeoutMs: 120_000 });
  if (inj.exitCode !== 0) throw new Error(`${f.name}: the fault could not be injected: ${inj.stdout}${inj.stderr}`);
  if (f.restart) await restartStartd(node);
  // With the fault in place (a half-configured package is part of it): what apply must leave as it finds it.
  const before = await nodeState(node);
  const a = await vmp(node, ['apply', PROFILE, '--no-progress']);
  // The step lines come first, the error block after them: on a terminal, this is the first screen.
  const out = `${a.stdout}${a.stdout.endsWith('\n') ? '' : '\n'}${a.stderr}`;
  const firstScreen = out.split('\n').slice(0, FIRST_SCREEN).join('\n');
  const causeLine = firstScreen.split('\n').find((l) => f.applyCause.test(l))?.trim() ?? null;
  log(`${node.name} ${f.name}: apply exit ${a.exitCode}\n${firstScreen}`);
  const after = await nodeState(node);
  const policy: Outcome['policy'] = [
    [`config ${CONFIG} unchanged (${before.config})`, after.config === before.config],
    ['no restart owed (journal: no pendingRestart, no pendingDrain)', after.journal.pendingRestart === undefined && after.journal.pendingDrain === undefined],
    ['the journal\'s last config unchanged', after.journal.lastConfig?.sha256 === before.journal.lastConfig?.sha256],
    ['no lock left (/run/vm-provision.lock)', !after.lock],
    ['no half-written or staged file', after.leftovers === ''],
    [`packages as they were (${before.packages.replace(/\n/g, ', ')})`, after.packages === before.packages],
  ];
  for (const [what, held] of policy) if (!held) log(`${node.name} ${f.name}: policy NOT held: ${what}; after: ${JSON.stringify(after)}`);
  const d = await doctor(node);
  log(`${node.name} ${f.name}: doctor exit ${d.exitCode}\n${d.out.split('\n').slice(0, 12).join('\n')}`);
  const hint = /^ {2}hint: (.*)$/m.exec(a.stderr)?.[1] ?? '';
  const remove = typeof f.remove === 'string' ? f.remove : f.remove(hint);
  log(`${node.name} ${f.name}: removing the fault: ${remove}`);
  const rem = await node.sh(remove, { timeoutMs: 300_000 });
  if (rem.exitCode !== 0) throw new Error(`${f.name}: the fault could not be removed: ${rem.stdout}${rem.stderr}`);
  const c = await vmp(node, ['apply', PROFILE, '--no-progress']);
  const advertised = await vmStatus(node);
  log(`${node.name} ${f.name}: after removal apply exit ${c.exitCode}; condor_status -vm: ${advertised}`);
  if (c.exitCode !== 0) log(`${c.stdout}${c.stderr}`);
  return { apply: { exitCode: a.exitCode, out, firstScreen, causeLine }, policy, doctor: d, converge: { exitCode: c.exitCode, out: c.stdout + c.stderr, advertised } };
}

const outcomes = new Map<string, Promise<Outcome>>();
const results: FaultResult[] = [];
const started = new Date().toISOString();
let nodes: TestNode[] = [];

function record(f: Fault, o: Outcome) {
  results.push({
    fault: f.name, injected: true, expectedCause: f.cause,
    doctor: { exitCode: o.doctor.exitCode, causeNamed: f.doctorCause.test(o.doctor.problems[0] ?? '') && f.doctorNext.test(o.doctor.nexts[0] ?? ''), causeLine: o.doctor.problems[0] ?? null, nextAction: o.doctor.nexts[0] ?? null },
    apply: { exitCode: o.apply.exitCode, causeNamed: f.applyCause.test(o.apply.firstScreen) && f.applyNext.test(o.apply.firstScreen), causeLine: o.apply.causeLine },
    nodeLeftAsPolicy: o.policy.every(([, held]) => held),
    convergedAfterRemoval: o.converge.exitCode === 0 && /\bkvm\b/.test(o.converge.advertised),
  });
}

describe.skipIf(testbedReason())(kvmTitle('fault corpus, hypervisor and packages: apply and doctor name each fault; the node converges once it is removed'), () => {
  beforeAll(async () => {
    const full = FAULTS.filter((f) => f.flavor === 'full');
    const bare = FAULTS.filter((f) => f.flavor === 'bare');
    const [fullNodes, bareNodes] = await Promise.all([startNodes({ flavor: 'full', count: full.length }), startNodes({ flavor: 'bare', count: bare.length })]);
    nodes = [...fullNodes, ...bareNodes];
    await Promise.all(nodes.map((n) => installAgent(n)));
    const pairs: Array<[Fault, TestNode]> = [...full.map((f, i) => [f, fullNodes[i]!] as [Fault, TestNode]), ...bare.map((f, i) => [f, bareNodes[i]!] as [Fault, TestNode])];
    for (const [f, node] of pairs) {
      const p = (async () => {
        if (f.flavor === 'full') {
          // A converged VM-universe node, as the fault finds it in a pool.
          const r = await vmp(node, ['apply', PROFILE, '--no-progress']);
          if (r.exitCode !== 0) throw new Error(`${node.name}: apply did not converge the node before the fault: ${r.stdout}${r.stderr}`);
        }
        const o = await runFault(node, f);
        record(f, o);
        return o;
      })();
      p.catch(() => undefined);
      outcomes.set(f.name, p);
    }
  });

  afterAll(async () => {
    await Promise.allSettled(outcomes.values());
    const order = FAULTS.map((f) => f.name);
    results.sort((a, b) => order.indexOf(a.fault) - order.indexOf(b.fault));
    writeResults({ format: 'vm-provision/reliability-results/v1', source: 'test/e2e/faults-hypervisor.test.ts', started, finished: new Date().toISOString(), nodes: nodes.length, faults: results, kills: null });
    await Promise.all(nodes.map((n) => n.stop()));
  });

  for (const f of FAULTS) {
    it(`${f.name}: apply exits 1 naming it on its first screen, the node left as it was, doctor names ${f.cause}; converges once removed`, async () => {
      const o = await outcomes.get(f.name)!;
      // (a) apply's exit code
      expect(o.apply.exitCode, o.apply.out).toBe(1);
      // (b) its first screen names the cause and the next action
      expect(o.apply.firstScreen).toMatch(f.applyCause);
      expect(o.apply.firstScreen).toMatch(f.applyNext);
      // (c) the node as the policy says: nothing changed, no restart owed, no lock, no half-written file
      expect(o.policy.filter(([, held]) => !held).map(([what]) => what)).toEqual([]);
      // (d) doctor: the same cause as its first problem, with the next action
      expect(o.doctor.exitCode, o.doctor.out).toBe(1);
      expect(o.doctor.problems[0], o.doctor.out).toMatch(f.doctorCause);
      expect(o.doctor.nexts[0], o.doctor.out).toMatch(f.doctorNext);
      // (e) after removing the fault, the next apply converges and the node advertises kvm
      expect(o.converge.exitCode, o.converge.out).toBe(0);
      expect(o.converge.advertised).toMatch(/\bkvm\b/);
    }, 900_000);
  }
});
