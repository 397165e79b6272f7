// Issue 12's fault corpus, the faults of the node under HTCondor: the master down when apply restarts the startd, the
// collector unreachable during verify, a full disk where the journal is written, dracut failing midway (Xen staged),
// a read-only /etc/condor, the clock far off, two runs at once. Each on its own node starting from plain HTCondor,
// all at once: apply with the fault in place (exit code; the cause and the next action on its first screen; the node
// left as the policy says), doctor with the fault in place (the same cause as its first PROBLEM), then the fault
// removed and apply converging (the node advertises kvm; for staged Xen, exit 0). Each node restarts its startd at
// most once, so the master's restart backoff never comes into play.
// VMP_RELIABILITY_RESULTS=<dir>: the measured results are written to <dir>/faults-node.json (scripts/gen-reliability.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNodes, type TestNode } from '../testbed/nodes.ts';
import { kvmTitle, testbedReason } from '../testbed/harness.ts';
import { AGENT, ROOT, installAgent, nodeFingerprint, putProfile, vmp, vmStatus } from './agent.ts';
import { writeResults, type FaultResult } from '../../scripts/gen-reliability.ts';

const CONFIG = '/etc/condor/config.d/50-vm-universe.config';
const JOURNAL = '/var/lib/vm-provision/journal.json';
const LOCK = '/run/vm-provision.lock';
const KVM = '/root/examples/kvm-node.yaml';
const example = readFileSync(join(ROOT, 'examples/kvm-node.yaml'), 'utf8');
const staged = readFileSync(join(ROOT, 'examples/xen-staged.yaml'), 'utf8');
/** Five years: the clock stand-in's shift. */
const SHIFT = 5 * 365 * 86400;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (m: string) => process.stderr.write(`[faults-node e2e] ${m}\n`);

const results: FaultResult[] = [];
const started = new Date().toISOString();

interface Run { exitCode: number; out: string; screen: string }
async function apply(node: TestNode, profile: string, env = ''): Promise<Run> {
  const r = env ? await node.sh(`${env} ${AGENT} apply ${profile} --no-progress`, { timeoutMs: 600_000 }) : await vmp(node, ['apply', profile, '--no-progress']);
  const out = r.stdout + r.stderr;
  return { exitCode: r.exitCode, out, screen: out.split('\n').slice(0, 25).join('\n') };
}

interface Doctor { exitCode: number; out: string; problems: string[]; nexts: string[] }
async function doctor(node: TestNode, env = ''): Promise<Doctor> {
  const r = env ? await node.sh(`${env} ${AGENT} doctor`, { timeoutMs: 120_000 }) : await vmp(node, ['doctor'], { timeoutMs: 120_000 });
  return { exitCode: r.exitCode, out: r.stdout + r.stderr, problems: [...r.stdout.matchAll(/^PROBLEM (\S+): (.*)$/gm)].map((m) => `${m[1]}: ${m[2]}`), nexts: [...r.stdout.matchAll(/^ {2}next: (.*)$/gm)].map((m) => m[1]!) };
}

const journal = async (node: TestNode) => {
  const r = await node.ssh(['cat', JOURNAL]);
  return r.exitCode === 0 ? JSON.parse(r.stdout) as { pendingRestart?: { reason: string }; lastConfig?: { verified?: boolean }; lastFailure?: { step?: string; code: string } } : undefined;
};
const exists = async (node: TestNode, path: string) => (await node.ssh(['test', '-e', path])).exitCode === 0;
/** Temp files of an interrupted atomic write (ours are `.NAME.vmp-tmp-…`). */
const leftovers = async (node: TestNode, dirs: string[]) => (await node.sh(`find ${dirs.join(' ')} -maxdepth 2 -name '*vmp-tmp*' 2>/dev/null || true`)).stdout.trim();

/**
 * Records one fault (before the test asserts, so a failure is measured too): the cause counts as named when the
 * apply's first screen matches `cause` and `next`, and doctor's first PROBLEM is `doctorCause`.
 */
function record(fault: string, expectedCause: string, a: Run, causeRe: RegExp, nextRe: RegExp, d: Doctor, leftAsPolicy: boolean, converged: boolean) {
  const causeLine = a.screen.split('\n').find((l) => causeRe.test(l)) ?? null;
  results.push({
    fault, injected: true, expectedCause,
    apply: { exitCode: a.exitCode, causeNamed: causeRe.test(a.screen) && nextRe.test(a.screen), causeLine },
    doctor: { exitCode: d.exitCode, causeNamed: d.problems[0]?.startsWith(`${expectedCause}:`) ?? false, causeLine: d.problems[0] ?? null, nextAction: d.nexts[0] ?? null },
    nodeLeftAsPolicy: leftAsPolicy, convergedAfterRemoval: converged,
  });
}

/** Waits until the collector lists this node's slot advertising kvm (a startd just started sends its ad after the gahp test). */
async function advertisesKvm(node: TestNode, ms = 180_000): Promise<string> {
  const end = Date.now() + ms;
  let s = '';
  while (Date.now() < end) {
    s = await vmStatus(node);
    if (/\bkvm\b/.test(s)) return s;
    await sleep(2000);
  }
  return s;
}

describe.skipIf(testbedReason())(kvmTitle('faults of the node: apply and doctor name each, the node is left as the policy says, the next run converges'), () => {
  let full: TestNode[] = [];
  let bare: TestNode;
  let shim: string | undefined;
  beforeAll(async () => {
    const t0 = Date.now();
    [full, [bare]] = await Promise.all([startNodes({ flavor: 'full', count: 6 }), startNodes({ flavor: 'bare' }) as Promise<[TestNode]>]);
    await Promise.all([...full, bare].map((n) => installAgent(n)));
    await Promise.all(full.map((n) => putProfile(n, 'kvm-t20.yaml', example.replace('timeout: 900', 'timeout: 20'))));
    // The stand-in for a clock far off: nspawn nodes share the host's clock (and must not change it), so an
    // LD_PRELOAD shim shifts CLOCK_REALTIME for the agent alone; HTCondor's daemons keep the true time. gcc is one
    // of the host tools the testbed installs.
    const dir = mkdtempSync(join(tmpdir(), 'vmp-clock-'));
    writeFileSync(join(dir, 'clockshift.c'), CLOCK_SHIM);
    const cc = spawnSync('gcc', ['-shared', '-fPIC', '-O2', '-o', join(dir, 'clockshift.so'), join(dir, 'clockshift.c'), '-ldl'], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`gcc could not build the clock shim: ${cc.error?.message ?? cc.stderr}`);
    shim = join(dir, 'clockshift.so');
    log(`7 nodes up with the agent in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  });
  afterAll(async () => {
    writeResults({ format: 'vm-provision/reliability-results/v1', source: 'test/e2e/faults-node.test.ts', started, finished: new Date().toISOString(), nodes: full.length + (bare ? 1 : 0), faults: results, kills: null });
    await Promise.all([...full, ...(bare ? [bare] : [])].map((n) => n.stop()));
  });

  describe.concurrent('one fault per node, all at once', () => {
    it('condor_restart failing (master down): exit 1 naming the master and systemctl start condor; config kept, restart owed; converges once condor runs', async () => {
      const node = full[0]!;
      await node.ssh(['systemctl', 'stop', 'condor']);
      const a = await apply(node, KVM);
      log(`master down: apply exit ${a.exitCode}\n${a.out}`);
      const j = await journal(node);
      const left = (await exists(node, CONFIG)) && j?.pendingRestart?.reason === 'config changed' && !(await exists(node, LOCK)) && !(await leftovers(node, ['/etc/condor', '/var/lib/vm-provision']));
      const d = await doctor(node);
      log(`master down: doctor exit ${d.exitCode}\n${d.out}`);
      await node.ssh(['systemctl', 'start', 'condor']);
      const kvm = await advertisesKvm(node);
      const after = await apply(node, KVM);
      const status = await vmStatus(node);
      const causeRe = /condor_off -startd failed: condor_master is not running/;
      const nextRe = /systemctl start condor/;
      record('condor_restart failing (master down)', 'htcondor', a, causeRe, nextRe, d, left, after.exitCode === 0 && /\bkvm\b/.test(status));
      expect(a.exitCode, a.out).toBe(1);
      expect(a.screen).toMatch(causeRe);
      expect(a.screen).toMatch(nextRe);
      expect(await node.ssh(['grep', '-c', '^VM_TYPE', CONFIG]).then((r) => r.stdout.trim())).toBe('1');
      expect(j?.pendingRestart?.reason).toBe('config changed');
      expect(left).toBe(true);
      expect(d.exitCode, d.out).toBe(1);
      expect(d.problems[0], d.out).toMatch(/^htcondor: HTCondor [\d.]+ is installed but condor_master is not running/);
      expect(d.nexts[0]).toMatch(/systemctl enable --now condor/);
      expect(kvm, 'the master started the startd with the new config').toMatch(/\bkvm\b/);
      expect(after.exitCode, after.out).toBe(0);
      expect(after.out).toMatch(/\[ok\] +restart: the startd restarted at .*after the restart was owed/);
      expect(status).toBe(`slot1@${node.name} kvm 1024`);
      expect((await journal(node))?.pendingRestart).toBeUndefined();
    });

    it('collector unreachable during verify (condor_off -collector on the one-node pool): exit 1 naming the stopped collector and condor_on; config kept, no rollback', async () => {
      const node = full[1]!;
      await node.ssh(['condor_off', '-collector']);
      for (let i = 0; i < 30 && (await node.ssh(['pgrep', '-x', 'condor_collecto'])).exitCode === 0; i++) await sleep(1000);
      const a = await apply(node, '/root/profiles/kvm-t20.yaml');
      log(`collector: apply exit ${a.exitCode}\n${a.out}`);
      const j = await journal(node);
      const left = (await node.ssh(['grep', '-Eq', '^VM_MEMORY +=  *1024$', CONFIG])).exitCode === 0 && j?.pendingRestart === undefined
        && j?.lastConfig?.verified === false && !(await exists(node, LOCK)) && !(await leftovers(node, ['/etc/condor', '/var/lib/vm-provision']));
      const d = await doctor(node);
      log(`collector: doctor exit ${d.exitCode}\n${d.out}`);
      await node.ssh(['condor_on', '-collector']);
      const kvm = await advertisesKvm(node);
      const after = await apply(node, '/root/profiles/kvm-t20.yaml');
      const status = await vmStatus(node);
      const causeRe = /could not ask the collector .*the collector runs on this node \(DAEMON_LIST has COLLECTOR\) and condor_collector is not running/;
      const nextRe = /condor_on -collector/;
      record('collector unreachable during verify', 'collector', a, causeRe, nextRe, d, left, after.exitCode === 0 && /\bkvm\b/.test(status));
      expect(a.exitCode, a.out).toBe(1);
      expect(a.screen).toMatch(causeRe);
      expect(a.screen).toMatch(nextRe);
      expect(a.screen).toMatch(/the new config was kept, not rolled back/);
      expect(left).toBe(true);
      expect(d.exitCode, d.out).toBe(1);
      expect(d.problems[0], d.out).toMatch(/^collector: the collector runs on this node \(DAEMON_LIST has COLLECTOR\) and condor_collector is not running/);
      expect(d.nexts[0]).toMatch(/^condor_on -collector/);
      expect(kvm).toMatch(/\bkvm\b/);
      expect(after.exitCode, after.out).toBe(0);
      expect(status).toBe(`slot1@${node.name} kvm 1024`);
    });

    it('disk full where the journal is written (a full 256 KiB tmpfs on /var/lib/vm-provision): exit 1 naming ENOSPC there; nothing changed; converges once unmounted', async () => {
      const node = full[2]!;
      await node.sh('mkdir -p /var/lib/vm-provision && mount -t tmpfs -o size=256k,mode=0755 tmpfs /var/lib/vm-provision && (dd if=/dev/zero of=/var/lib/vm-provision/.fill bs=4k 2>/dev/null; true)');
      const before = await nodeFingerprint(node);
      const a = await apply(node, KVM);
      log(`disk full: apply exit ${a.exitCode}\n${a.out}`);
      const left = (await nodeFingerprint(node)) === before && !(await exists(node, CONFIG)) && (await node.sh('find /var/lib/vm-provision -type f ! -name .fill')).stdout.trim() === ''
        && !(await exists(node, LOCK)) && !(await leftovers(node, ['/etc/condor', '/var/lib/vm-provision']));
      const d = await doctor(node);
      log(`disk full: doctor exit ${d.exitCode}\n${d.out}`);
      await node.ssh(['umount', '/var/lib/vm-provision']);
      const after = await apply(node, KVM);
      const status = await vmStatus(node);
      const causeRe = /cannot write \/var\/lib\/vm-provision\/staged\/50-vm-universe\.config: no space left on the file system holding \/var\/lib\/vm-provision\/staged \(ENOSPC\)/;
      const nextRe = /free space there \(df -h \/var\/lib\/vm-provision\/staged\)/;
      record('disk full where the config or the journal is written', 'disk-full', a, causeRe, nextRe, d, left, after.exitCode === 0 && /\bkvm\b/.test(status));
      expect(a.exitCode, a.out).toBe(1);
      expect(a.screen).toMatch(causeRe);
      expect(a.screen).toMatch(nextRe);
      expect(a.screen).toMatch(/nothing was changed/);
      expect(left).toBe(true);
      expect(d.exitCode, d.out).toBe(1);
      expect(d.problems[0], d.out).toMatch(/^disk-full: \/var\/lib\/vm-provision is full: \d+ KiB free of 256 KiB \(tmpfs on \/var\/lib\/vm-provision\)/);
      expect(d.nexts[0]).toMatch(/^free space on \/var\/lib\/vm-provision/);
      expect(after.exitCode, after.out).toBe(0);
      expect(status).toBe(`slot1@${node.name} kvm 1024`);
    });

    it('read-only /etc/condor (a read-only bind mount): exit 1 naming EROFS and the remount; config untouched, no restart owed; converges once unmounted', async () => {
      const node = full[3]!;
      await node.ssh(['mount', '-o', 'bind,ro', '/etc/condor', '/etc/condor']);
      const before = await nodeFingerprint(node);
      const a = await apply(node, KVM);
      log(`read-only: apply exit ${a.exitCode}\n${a.out}`);
      const j = await journal(node);
      const left = (await nodeFingerprint(node)) === before && !(await exists(node, CONFIG)) && j?.pendingRestart === undefined && j?.lastFailure?.code === 'FILESYSTEM'
        && (await node.sh('find /var/lib/vm-provision/staged /var/lib/vm-provision/backups -type f 2>/dev/null')).stdout.trim() === ''
        && !(await exists(node, LOCK)) && !(await leftovers(node, ['/etc/condor', '/var/lib/vm-provision']));
      const d = await doctor(node);
      log(`read-only: doctor exit ${d.exitCode}\n${d.out}`);
      await node.ssh(['umount', '/etc/condor']);
      const after = await apply(node, KVM);
      const status = await vmStatus(node);
      const causeRe = /cannot write \/etc\/condor\/config\.d\/50-vm-universe\.config: \/etc\/condor\/config\.d is on a read-only file system \(EROFS\)/;
      const nextRe = /remount it read-write/;
      record('read-only /etc/condor', 'read-only', a, causeRe, nextRe, d, left, after.exitCode === 0 && /\bkvm\b/.test(status));
      expect(a.exitCode, a.out).toBe(1);
      expect(a.screen).toMatch(causeRe);
      expect(a.screen).toMatch(nextRe);
      expect(a.screen).toMatch(/no config was created, no restart owed/);
      expect(left).toBe(true);
      expect(d.exitCode, d.out).toBe(1);
      expect(d.problems[0], d.out).toMatch(/^read-only: \/etc\/condor\/config\.d is on a read-only mount \(\/etc\/condor, /);
      expect(d.out).toMatch(/^ {2}so last-apply: the last vm-provision apply failed .*step condor-config/m);
      expect(d.nexts[0]).toMatch(/^make \/etc\/condor writable/);
      expect(after.exitCode, after.out).toBe(0);
      expect(status).toBe(`slot1@${node.name} kvm 1024`);
      expect((await journal(node))?.lastFailure).toBeUndefined();
    });

    it('the node\'s clock far off (stand-in: the agent\'s clock 5 years ahead through an LD_PRELOAD shim; HTCondor keeps the true time): refused in preflight naming the skew; nothing changed; converges with the clock right', async () => {
      const node = full[4]!;
      await node.copyIn(shim!, '/root/clockshift.so');
      const env = `LD_PRELOAD=/root/clockshift.so VMP_TEST_CLOCK_SHIFT=${SHIFT}`;
      expect((await node.sh(`${env} date -u +%Y`)).stdout.trim(), 'the shim shifts the clock').toBe(String(new Date().getUTCFullYear() + 5));
      const before = await nodeFingerprint(node);
      const a = await apply(node, KVM, env);
      log(`clock: apply exit ${a.exitCode}\n${a.out}`);
      const left = (await nodeFingerprint(node)) === before && !(await exists(node, CONFIG)) && !(await exists(node, JOURNAL)) && !(await exists(node, LOCK));
      const d = await doctor(node, env);
      log(`clock: doctor exit ${d.exitCode}\n${d.out}`);
      const after = await apply(node, KVM);
      const status = await vmStatus(node);
      const causeRe = /this node's clock \(\S+\) is about 5\.0 years ahead of the collector's/;
      const nextRe = /set the clock \(timedatectl set-ntp true/;
      record('the node\'s clock far off', 'clock', a, causeRe, nextRe, d, left, after.exitCode === 0 && /\bkvm\b/.test(status));
      expect(a.exitCode, a.out).toBe(1);
      expect(a.screen).toMatch(/\[failed\] +preflight: this node's clock/);
      expect(a.screen).toMatch(causeRe);
      expect(a.screen).toMatch(nextRe);
      expect(left).toBe(true);
      expect(d.exitCode, d.out).toBe(1);
      expect(d.problems[0], d.out).toMatch(/^clock: this node's clock \(\S+\) is about 5\.0 years ahead of the collector's/);
      expect(d.nexts[0]).toMatch(/^set the clock/);
      expect(after.exitCode, after.out).toBe(0);
      expect(status).toBe(`slot1@${node.name} kvm 1024`);
    });

    it('two runs at once: the second exits 75 naming the first\'s PID, doctor says a run is in progress; no lock left; the next run converges', async () => {
      const node = full[5]!;
      const first = apply(node, KVM);
      let pid: number | undefined;
      for (let i = 0; i < 150 && pid === undefined; i++) {
        await sleep(200);
        const holder = await node.ssh(['cat', LOCK]);
        if (holder.exitCode === 0 && holder.stdout.trim()) pid = (JSON.parse(holder.stdout) as { pid: number }).pid;
      }
      expect(pid, 'the first run never took the lock').toBeDefined();
      const [a, d] = await Promise.all([apply(node, KVM), doctor(node)]);
      log(`two runs: second apply exit ${a.exitCode}\n${a.out}\ndoctor exit ${d.exitCode}\n${d.out}`);
      const r1 = await first;
      const left = !(await exists(node, LOCK)) && (await journal(node))?.pendingRestart === undefined;
      const after = await apply(node, KVM);
      const status = await vmStatus(node);
      const causeRe = new RegExp(`another vm-provision run is in progress on this node: PID ${pid}`);
      const nextRe = new RegExp(`wait for PID ${pid} to finish`);
      record('two runs at once', 'apply-running', a, causeRe, nextRe, d, left && r1.exitCode === 0, after.exitCode === 0 && /\bkvm\b/.test(status));
      expect(a.exitCode, a.out).toBe(75);
      expect(a.screen).toMatch(causeRe);
      expect(a.screen).toMatch(nextRe);
      expect(d.exitCode, d.out).toBe(1);
      expect(d.problems[0], d.out).toMatch(new RegExp(`^apply-running: a vm-provision run is in progress: PID ${pid}`));
      expect(d.nexts[0]).toMatch(new RegExp(`^wait for PID ${pid} to finish`));
      expect(r1.exitCode, r1.out).toBe(0);
      expect(left).toBe(true);
      expect(after.exitCode, after.out).toBe(0);
      expect(after.out).toMatch(/6 ok, 0 changed, 0 failed/);
      expect(status).toBe(`slot1@${node.name} kvm 1024`);
    });

    it('dracut failing midway (Xen staged; a dracut in PATH that writes half an image and exits 1): exit 1 naming dracut; stock initrd untouched, no image or temp file left; doctor names the failed build; converges without the fault', async () => {
      const node = bare;
      const kver = (await node.ssh(['ls', '/lib/modules'])).stdout.trim().split('\n')[0]!;
      const profile = await putProfile(node, 'xen-staged.yaml', staged.replace('kernelVersion: auto', `kernelVersion: ${kver}`));
      const stock = async () => (await node.ssh(['sha256sum', `/boot/initrd.img-${kver}`])).stdout;
      const stockBefore = await stock();
      await node.ssh(['tee', '/usr/local/sbin/dracut'], { input: DRACUT_FAULT });
      await node.ssh(['chmod', '755', '/usr/local/sbin/dracut']);
      const a = await apply(node, profile);
      log(`dracut: apply exit ${a.exitCode}\n${a.out}`);
      const image = `/boot/initrd-${kver}-condor-xen.img`;
      const half = (await node.sh('cat /tmp/dracut-fault-wrote 2>/dev/null || true')).stdout.trim();
      const left = (await stock()) === stockBefore && !(await exists(node, image)) && !(await leftovers(node, ['/boot'])) && half !== ''
        && !(await exists(node, half)) && !(await exists(node, CONFIG)) && !(await exists(node, LOCK));
      const d = await doctor(node);
      log(`dracut: doctor exit ${d.exitCode}\n${d.out}`);
      await node.ssh(['rm', '-f', '/usr/local/sbin/dracut']);
      const after = await apply(node, profile);
      log(`dracut: apply after removal exit ${after.exitCode}\n${after.out}`);
      const causeRe = new RegExp(`dracut failed to build the Xen initrd for kernel ${kver.replace(/[.+]/g, '\\$&')} \\(exit 1\\): no ${image.replace(/[.+]/g, '\\$&')} was written, the stock initrd untouched`);
      const nextRe = /fix the cause .*then run vm-provision again/;
      record('dracut failing midway (Xen staged)', 'last-apply', a, causeRe, nextRe, d, left, after.exitCode === 0);
      expect(a.exitCode, a.out).toBe(1);
      expect(a.screen).toMatch(causeRe);
      expect(a.screen).toMatch(nextRe);
      expect(a.screen).toMatch(/\| dracut\[F\]: Creation of .* failed/);
      expect(half, 'the fault wrote half an image').toMatch(/vmp-tmp/);
      expect(left).toBe(true);
      expect(d.exitCode, d.out).toBe(1);
      expect(d.problems[0], d.out).toMatch(/^last-apply: the last vm-provision apply failed \(\S+, step initrd\): dracut failed to build the Xen initrd/);
      expect(d.out).toMatch(/^ {2}so vm-type: VM_TYPE is not set/m);
      expect(after.exitCode, after.out).toBe(0);
      expect(after.out).toMatch(/\[changed\] +initrd: built /);
      expect(await stock()).toBe(stockBefore);
      expect((await node.ssh(['lsinitrd', image])).stdout).toMatch(/xen-blkfront\.ko/);
    });
  });
});

/** Shifts CLOCK_REALTIME (clock_gettime, gettimeofday, time) by $VMP_TEST_CLOCK_SHIFT seconds for one process. */
const CLOCK_SHIM = `#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>
#include <sys/time.h>
static long shift(void) { const char *s = getenv("VMP_TEST_CLOCK_SHIFT"); return s ? atol(s) : 0; }
int clock_gettime(clockid_t c, struct timespec *ts) {
  static int (*real)(clockid_t, struct timespec *);
  if (!real) real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
  int r = real(c, ts);
  if (!r && ts && (c == CLOCK_REALTIME || c == CLOCK_REALTIME_COARSE)) ts->tv_sec += shift();
  return r;
}
int gettimeofday(struct timeval *tv, void *tz) {
  static int (*real)(struct timeval *, void *);
  if (!real) real = (int (*)(struct timeval *, void *))dlsym(RTLD_NEXT, "gettimeofday");
  int r = real(tv, tz);
  if (!r && tv) tv->tv_sec += shift();
  return r;
}
time_t time(time_t *t) { struct timespec ts; clock_gettime(CLOCK_REALTIME, &ts); if (t) *t = ts.tv_sec; return ts.tv_sec; }
`;

/** A dracut that starts, writes half an image to the output it was given, and fails as a full /boot would make it. */
const DRACUT_FAULT = `#!/bin/sh
out=
for a in "$@"; do case "$a" in */.*vmp-tmp-*) out="$a";; esac; done
echo "dracut: *** Including module: kernel-modules ***" >&2
if [ -n "$out" ]; then head -c 65536 /dev/urandom > "$out"; echo "$out" > /tmp/dracut-fault-wrote; fi
echo "dracut[F]: Creation of $out failed: cpio: write error: No space left on device" >&2
exit 1
`;
