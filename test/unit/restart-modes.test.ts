// Restart modes: argv per mode and version, the version refusal of drain, request ids, and what the plan says a
// restart costs — from slot ads captured on a testbed node (idle, busy, draining).
import { describe, expect, it } from 'vitest';
import { cancelDrainArgv, checkRestartMode, isOurDrain, parseDrainRequestId, restartArgv, restartLine } from '../../src/condor/restart-modes.ts';
import { formatDuration, nodeWork, restartCost, waitingMessage } from '../../src/condor/slot-work.ts';
import { parseVersion } from '../../src/condor/version.ts';
import { parseSlotLines, SLOT_ATTRS } from '../../src/condor/status.ts';
import { isVmpError } from '../../src/errors/vmp-error.ts';
import { afValue, output, parseLongAds } from '../helpers/fake-host.ts';
import { profileFrom } from '../helpers/facts-fixture.ts';

const spec = (restart: string) => profileFrom(undefined, [['restart: startd', `restart: ${restart}`]]).condor.restart;
const ADDR = '<10.213.0.34:9618?addrs=10.213.0.34-9618&alias=vmp-clitpyr-1&noUDP&sock=startd_51_8f6b>';
/** The captured `condor_status -l` ads as `condor_status -af:t <SLOT_ATTRS>` prints them. */
const slotsOf = (fixture: string, edit: (ad: Map<string, string>) => void = () => undefined) => parseSlotLines(
  parseLongAds(output(fixture)).map((ad) => { edit(ad); return SLOT_ATTRS.map((a) => afValue(ad.get(a))).join('\t'); }).join('\n') + '\n');
/** JobStart of the busy fixture's job; "now" is this plus the running time the test wants. */
const JOB_START = 1796139129;

describe('restart argv by mode and version', () => {
  it('graceful, peaceful, drain (graceful/quick/fast, reason, restart on completion, the startd address)', () => {
    expect(restartArgv(spec('startd'))).toEqual(['condor_off', '-startd']);
    expect(restartArgv(spec('{mode: graceful}'))).toEqual(['condor_off', '-startd']);
    expect(restartLine(spec('startd'))).toBe('condor_off -startd && condor_on -startd');
    expect(restartLine(spec('{mode: peaceful}'))).toBe('condor_restart -peaceful -startd');
    expect(restartArgv(spec('{mode: peaceful}'))).toEqual(['condor_restart', '-peaceful', '-startd']);
    expect(restartArgv(spec('{mode: drain}'), ADDR)).toEqual(['condor_drain', '-verbose', '-graceful', '-reason', 'vm-provision: enable VM universe', '-restart-on-completion', ADDR]);
    expect(restartArgv(spec('{mode: drain, drain: {how: quick, reason: "vm-provision: kvm rollout"}}'), ADDR)).toEqual(['condor_drain', '-verbose', '-quick', '-reason', 'vm-provision: kvm rollout', '-restart-on-completion', ADDR]);
    expect(restartArgv(spec('{mode: drain, drain: {how: fast}}'), ADDR)[2]).toBe('-fast');
    expect(() => restartArgv(spec('{mode: drain}'))).toThrow(/address/);
    expect(cancelDrainArgv('7', ADDR)).toEqual(['condor_drain', '-cancel', '-request-id', '7', ADDR]);
  });

  it('drain is refused before 8.9.12 (no -restart-on-completion) with peaceful suggested; accepted from 8.9.13, 9.0, 23.9', () => {
    for (const v of ['8.9.11', '8.8.17', '8.6.0']) {
      let e: unknown;
      try { checkRestartMode(spec('{mode: drain}'), parseVersion(v)!); } catch (x) { e = x; }
      if (!isVmpError(e)) throw new Error(`${v}: expected a refusal`);
      expect(e.code).toBe('PREFLIGHT');
      expect(e.message).toContain(`this node runs HTCondor ${v}`);
      expect(e.hint).toContain('mode: peaceful');
    }
    for (const v of ['8.9.12', '8.9.13', '9.0.0', '23.9.6']) expect(() => checkRestartMode(spec('{mode: drain}'), parseVersion(v)!)).not.toThrow();
    // -peaceful predates the VM universe: every mode but drain on every version
    for (const m of ['startd', 'none', '{mode: peaceful}']) expect(() => checkRestartMode(spec(m), parseVersion('7.0.5')!)).not.toThrow();
  });

  it('the request id from condor_drain -verbose (captured), none without it; our drains by their reason', () => {
    expect(parseDrainRequestId(output('condor_drain-verbose.stdout'))).toBe('1');
    expect(parseDrainRequestId('Sent request to drain the startd <1.2.3.4:9618> with (null).\n')).toBeUndefined();
    expect(isOurDrain('vm-provision: enable VM universe')).toBe(true);
    expect(isOurDrain('defrag')).toBe(false);
    expect(isOurDrain(undefined)).toBe(false);
  });
});

describe('the work on the node, from captured slot ads', () => {
  it('idle: no running job, the startd address, retirement 1200 (set on that node) and vacate 600 (10 * 60 evaluated)', () => {
    const w = nodeWork(slotsOf('condor_status-l-idle.stdout'), JOB_START + 100);
    expect(w).toMatchObject({ running: [], retirementSeconds: 1200, vacateSeconds: 600 });
    expect(w.address).toMatch(/^<10\.213\.0\.34:9618\?/);
    expect(w.draining).toBeUndefined();
  });

  it('busy: the dynamic slot\'s job with owner, id and running time', () => {
    const w = nodeWork(slotsOf('condor_status-l-busy.stdout'), JOB_START + 7980);
    expect(w.running).toEqual([{ slot: 'slot1_1', owner: 'vmpuser', jobId: '1.0', runningSeconds: 7980 }]);
    expect(w.address).toBe(ADDR);
  });

  it('draining: the request id and reason, retirement 1200', () => {
    const w = nodeWork(slotsOf('condor_status-l-draining.stdout'), JOB_START + 60);
    expect(w.draining).toEqual({ requestId: '1', reason: 'vm-provision: enable VM universe' });
    expect(w).toMatchObject({ retirementSeconds: 1200, vacateSeconds: 600, running: [{ slot: 'slot1_1', jobId: '1.0', runningSeconds: 60 }] });
  });
});

describe('what the plan says a restart costs', () => {
  const busy = (now = JOB_START + 7980, edit?: (ad: Map<string, string>) => void) => nodeWork(slotsOf('condor_status-l-busy.stdout', edit), now);

  it('idle node: restart now, in every mode', () => {
    const idle = nodeWork(slotsOf('condor_status-l-idle.stdout'), JOB_START);
    for (const m of ['startd', '{mode: peaceful}', '{mode: drain}']) {
      expect(restartCost(spec(m), idle)).toMatchObject({ message: 'idle node: restart now', jobsVacated: false, runningJobs: [] });
    }
  });

  it('graceful with MaxJobRetirementTime 0: the running job would be vacated, named', () => {
    const c = restartCost(spec('startd'), busy());
    expect(c.message).toBe('MaxJobRetirementTime is 0 s here — 1 running job would be vacated (slot1_1 vmpuser job 1.0 2h13m)');
    expect(c).toMatchObject({ mode: 'graceful', jobsVacated: true, retirementSeconds: 0, vacateSeconds: 600, runningJobs: [{ slot: 'slot1_1', owner: 'vmpuser', jobId: '1.0', runningSeconds: 7980 }] });
  });

  it('peaceful: waits for the running jobs, longest first', () => {
    expect(restartCost(spec('{mode: peaceful}'), busy())).toMatchObject({
      jobsVacated: false, message: 'peaceful: waits for 1 running job (longest running 2h13m) (slot1_1 vmpuser job 1.0 2h13m)',
    });
  });

  it('drain with the default retirement 0: vacated, use peaceful', () => {
    expect(restartCost(spec('{mode: drain}'), busy()).message).toBe('drain: MaxJobRetirementTime is 0 s here — 1 running job would be vacated (slot1_1 vmpuser job 1.0 2h13m); use peaceful to let them finish');
  });

  it('drain with retirement R and vacate V: spared only within R − V of the start; at once when R ≤ V or the job is past it', () => {
    const r1200 = (now: number) => busy(now, (ad) => ad.set('MaxJobRetirementTime', '1200'));
    const young = restartCost(spec('{mode: drain}'), r1200(JOB_START + 120));
    expect(young.message).toBe('drain: jobs are spared only if they end within 600 s of their start (MaxJobRetirementTime 1200 s − MachineMaxVacateTime 600 s): 1 running job (slot1_1 vmpuser job 1.0 2m, 8m left)');
    expect(young.jobsVacated).toBe('unknown');
    const old = restartCost(spec('{mode: drain}'), r1200(JOB_START + 700));
    expect(old.message).toContain('vacated at once');
    expect(old.jobsVacated).toBe(true);
    // the testbed's MAXJOBRETIREMENTTIME = 600 case: evicted at once ("598s of retirement time remaining … max vacate time of 600s")
    const r600 = restartCost(spec('{mode: drain}'), busy(JOB_START + 2, (ad) => ad.set('MaxJobRetirementTime', '600')));
    expect(r600.message).toContain('MaxJobRetirementTime 600 s does not cover MachineMaxVacateTime 600 s — 1 running job would be vacated at once');
    expect(r600.jobsVacated).toBe(true);
  });

  it('drain -quick and -fast vacate regardless of retirement', () => {
    const w = busy(JOB_START + 60, (ad) => ad.set('MaxJobRetirementTime', '86400'));
    expect(restartCost(spec('{mode: drain, drain: {how: quick}}'), w)).toMatchObject({ jobsVacated: true, how: 'quick' });
    expect(restartCost(spec('{mode: drain, drain: {how: fast}}'), w).message).toContain('would be killed at once');
  });

  it('already draining (captured): said so, with its reason and request id', () => {
    const c = restartCost(spec('{mode: peaceful}'), nodeWork(slotsOf('condor_status-l-draining.stdout'), JOB_START + 60));
    expect(c.message).toContain('(the node is already draining: vm-provision: enable VM universe, request id 1)');
    expect(c.draining).toEqual({ requestId: '1', reason: 'vm-provision: enable VM universe' });
  });

  it('unknown slot ads or retirement: unknown, never "idle"', () => {
    expect(restartCost(spec('startd'), undefined, 'condor_status: DENIED')).toMatchObject({ jobsVacated: 'unknown', message: 'the work on the node is unknown (condor_status: DENIED)' });
    const noR = restartCost(spec('startd'), busy(JOB_START + 60, (ad) => ad.delete('MaxJobRetirementTime')));
    expect(noR).toMatchObject({ jobsVacated: 'unknown', retirementSeconds: null });
  });

  it('more than three jobs are summarised; durations and the waiting line read well', () => {
    const slots = [1, 2, 3, 4, 5].map((i) => ({ name: `slot1_${i}@n`, hasVm: false, state: 'Claimed', jobId: `${i}.0`, remoteOwner: 'alice@n', jobStart: 1000 - i * 60, retirement: 0, vacate: 600 }));
    const w = nodeWork(slots, 1000);
    expect(restartCost(spec('startd'), w).message).toBe('MaxJobRetirementTime is 0 s here — 5 running jobs would be vacated (slot1_5 alice job 5.0 5m, slot1_4 alice job 4.0 4m, slot1_3 alice job 3.0 3m, … 2 more)');
    expect(waitingMessage(w, 2460, 'startd to restart')).toBe('waiting for 5 jobs to finish (slot1_5 alice job 5.0 5m, slot1_4 alice job 4.0 4m, slot1_3 alice job 3.0 3m, … 2 more), 41 min so far');
    expect(waitingMessage(nodeWork([], 0), 12, 'startd to restart')).toBe('no job running, waiting for the startd to restart, 12 s so far');
    expect([formatDuration(12), formatDuration(65), formatDuration(7980), formatDuration(93600)]).toEqual(['12s', '1m05s', '2h13m', '1d2h']);
  });
});

describe('plain output while waiting for jobs', () => {
  it('shows the job wait at most once a minute, and no other progress', async () => {
    const { plainRenderer } = await import('../../src/cli/render-plain.ts');
    const lines: string[] = [];
    const r = plainRenderer((l) => lines.push(l), false);
    r({ type: 'progress', step: 'verify', message: 'waiting for the restarted startd to advertise its slots' });
    r({ type: 'progress', step: 'verify', message: 'waiting for 2 jobs to finish (slot1_1 alice job 1.0 5m), 12 s so far' });
    r({ type: 'progress', step: 'verify', message: 'waiting for 1 job to finish (slot1_1 alice job 1.0 6m), 70 s so far' });
    expect(lines).toEqual(['          verify: waiting for 2 jobs to finish (slot1_1 alice job 1.0 5m), 12 s so far']);
  });
});
