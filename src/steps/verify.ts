// Verify: poll this node's slot ads until the new startd advertises HasVM with the profile's type (and, asked
// directly, was configured with its memory); on failure read the gahp's reason and, with onFailure: rollback, put
// the previous config back — also one written by an earlier run, from the journal's backup. A collector that
// cannot be asked is not a failure of the config: it is reported as such and never rolled back on.
import { setTimeout as sleep } from 'node:timers/promises';
import { VmpError } from '../errors/vmp-error.ts';
import { askStartd, querySlots, slotsAdvertiseVm, type SlotVm } from '../condor/status.ts';
import { findGahpReason } from '../condor/gahp-reasons.ts';
import { restoreConfig } from './condor-config.ts';
import { sha256 } from './config-ownership.ts';
import { DEFERRED, cycleStartd, expected, startdHeldInBackoff } from './restart.ts';
import { nodeWork, describeJob, formatDuration, waitingMessage, type NodeWork } from '../condor/slot-work.ts';
import { cancelDrain } from '../condor/drain.ts';
import { isStaged } from './preflight.ts';
import { localCollectorDown } from '../condor/daemons.ts';
import type { RunContext, Step } from './step.ts';

const describeSlots = (slots: SlotVm[]) => slots.map((s) => `${s.name}: HasVM=${s.hasVm}, VM_Type=${s.vmType ?? 'undefined'}, VM_Memory=${s.vmMemory ?? 'undefined'}`).join('; ') || 'no slot ads';

/** What a rollback would put back: this run's previous content, or an unverified earlier write's backup. */
async function rollbackSource(ctx: RunContext): Promise<{ path: string; before: string | null; from: string } | undefined> {
  const { state } = ctx;
  if (state.configBefore !== undefined && state.configPath) return { path: state.configPath, before: state.configBefore, from: 'this run' };
  const last = ctx.journal.data.lastConfig;
  // Only a write never verified, and only while the file is still exactly what was written.
  if (!last || last.verified !== false || !last.sha256) return undefined;
  const now = await ctx.host.readFile(last.path);
  if (now === undefined || sha256(now) !== last.sha256) return undefined;
  if (!last.backup) return { path: last.path, before: null, from: `the run of ${last.writtenAt}` };
  const before = await ctx.host.readFile(last.backup);
  return before === undefined ? undefined : { path: last.path, before, from: `the run of ${last.writtenAt} (backup ${last.backup})` };
}

/** Poll intervals: 1 s around a restart; while jobs run, longer the longer the wait (the collector serves a pool). */
export const polling = { idleMs: 1000, busyMinMs: 2000, busyMaxMs: 30_000 };

/**
 * peaceful / drain: wait, up to condor.restart.timeout from the restart command, for a startd started after it.
 * On timeout the drain is cancelled and the config handled per verify.onFailure — without a restart: the running
 * startd never left the previous config.
 */
async function waitForRestart(ctx: RunContext, since: number, machine: string): Promise<void> {
  const spec = ctx.profile.condor.restart;
  const already = Math.max(0, (await ctx.host.now()) - since);
  const started = Date.now() - already * 1000;
  const deadline = started + spec.timeout * 1000;
  const what = ctx.state.drain ? 'drain to complete and the startd to restart' : 'startd to restart';
  let work: NodeWork | undefined;
  let endedAt: number | undefined;
  let lastShown = '';
  for (;;) {
    const q = await querySlots(ctx.host, machine);
    if (!q.error && q.slots.some((s) => (s.daemonStartTime ?? 0) >= since - 2)) return;
    if (!q.error) {
      work = nodeWork(q.slots, await ctx.host.now());
      // A drain that ended without restarting (cancelled by someone) would keep us waiting for nothing.
      if (ctx.state.drain && q.slots.length && !q.slots.some((s) => s.draining)) {
        endedAt ??= Date.now();
        if (Date.now() - endedAt > 5000) return giveUp(ctx, work, `the drain (request id ${ctx.state.drain.requestId}) ended without restarting the startd (cancelled by someone?)`);
      } else endedAt = undefined;
    }
    const waited = (Date.now() - started) / 1000;
    if (Date.now() >= deadline) return giveUp(ctx, work, `the startd did not restart within condor.restart.timeout ${spec.timeout} s (waited ${formatDuration(waited)})`);
    const msg = waitingMessage(q.error ? undefined : work, waited, what);
    if (msg !== lastShown) ctx.progress(msg);
    lastShown = msg;
    const busy = work?.running.length ? Math.min(polling.busyMaxMs, Math.max(polling.busyMinMs, waited * 50)) : polling.idleMs;
    await sleep(Math.min(busy, Math.max(0, deadline - Date.now())));
  }
}

async function giveUp(ctx: RunContext, work: NodeWork | undefined, what: string): Promise<never> {
  const parts: string[] = [];
  const jobs = work?.running ?? [];
  parts.push(jobs.length ? `${jobs.length} job${jobs.length === 1 ? '' : 's'} still running (${jobs.map((j) => describeJob(j)).join(', ')})` : work ? 'no job running' : 'the slot ads could not be read');
  let hint = 'raise condor.restart.timeout, or restart when the node is idle';
  const drain = ctx.state.drain;
  if (drain) {
    try {
      await cancelDrain(ctx.host, drain.requestId, drain.target);
      await ctx.journal.update({}, ['pendingDrain']);
      parts.push(`the drain was cancelled (request id ${drain.requestId}): the node accepts jobs again`);
    } catch (e) {
      parts.push(`${(e as Error).message} (kept in the journal: the next run cancels or continues it)`);
      hint = (e as VmpError).hint ?? hint;
    }
  } else {
    parts.push('a peaceful restart cannot be called off: the startd starts no new jobs and restarts once they end');
  }
  const source = await rollbackSource(ctx);
  if (ctx.profile.verify.onFailure === 'rollback' && source) {
    await restoreConfig(ctx.host, source.path, source.before);
    await ctx.journal.update({}, ['lastConfig', 'pendingRestart']);
    parts.push(`the previous config was put back in ${source.path} (the running startd never left it: no restart)`);
  } else {
    parts.push(source ? 'the new config was kept (verify.onFailure: keep): the restart stays owed' : 'nothing to roll back: no unverified config written by vm-provision');
  }
  throw new VmpError('RESTART', `${what}: ${parts.join('; ')}`, { hint });
}

async function markVerified(ctx: RunContext): Promise<void> {
  const last = ctx.journal.data.lastConfig;
  await ctx.journal.update(last && last.verified === false ? { lastConfig: { ...last, verified: true } } : {}, ['pendingRestart']);
}

export const verify: Step = {
  id: 'verify',
  title: 'Verify: the startd advertises the VM universe',
  async run(ctx) {
    const { state } = ctx;
    const want = expected(ctx);
    if (isStaged(ctx)) return { status: 'pending', summary: `${DEFERRED} (then the startd is restarted and VM_Type xen verified)` };
    if (ctx.check) {
      const jobs = ctx.profile.condor.restart.mode === 'peaceful' || ctx.profile.condor.restart.mode === 'drain' ? ` (after up to ${formatDuration(ctx.profile.condor.restart.timeout)} for running jobs)` : '';
      if (state.restartReason) return { status: 'pending', summary: `would wait for HasVM, VM_Type ${want.vmType}, VM_MEMORY ${want.vmMemory} after the restart${jobs}` };
      return { status: 'ok', summary: `advertised now: ${describeSlots(state.slots ?? [])}` };
    }
    if (state.restartedAt === undefined) {
      if (state.restartReason) return { status: 'skipped', summary: 'not verified: the startd was not restarted (condor.restart: none)' };
      if (state.slots && slotsAdvertiseVm(state.slots, want)) {
        // A write whose restart an earlier (killed) run owed is verified now that the startd runs and advertises it.
        if (ctx.journal.data.lastConfig?.verified === false) await markVerified(ctx);
        return { status: 'ok', summary: describeSlots(state.slots) };
      }
      return { status: 'ok', summary: 'no restart; slot ads not readable', warnings: ['could not confirm HasVM from the collector'] };
    }
    const since = state.restartedAt;
    const machine = ctx.facts.condor.fullHostname ?? ctx.facts.hostname;
    const mode = ctx.profile.condor.restart.mode;
    const t0 = Date.now();
    if (mode === 'peaceful' || mode === 'drain') {
      await waitForRestart(ctx, since, machine);
      await ctx.journal.update({}, ['pendingDrain']);
    }
    const waitedForJobs = Math.round((Date.now() - t0) / 1000);
    const started = Date.now();
    // The master's backoff delays the startd: wait for it on top of the timeout, and say why.
    const backoff = state.startdBackoffUntil !== undefined ? Math.max(0, state.startdBackoffUntil - await ctx.host.now()) : 0;
    if (backoff) ctx.progress(`the master restarts the startd in ${backoff} s: HTCondor backs off frequent restarts`);
    const deadline = started + (ctx.profile.verify.timeout + backoff) * 1000;
    let fresh: SlotVm[] = [];
    let failedAt: number | undefined;
    let unanswered: string | undefined;
    let memory: string | undefined;
    while (Date.now() < deadline) {
      const q = await querySlots(ctx.host, machine);
      unanswered = q.error;
      // Slot ads of the old startd linger in the collector: only a startd started after our restart counts.
      if (!q.error) fresh = q.slots.filter((s) => (s.daemonStartTime ?? 0) >= since - 2);
      if (!q.error && fresh.length && slotsAdvertiseVm(fresh, want)) {
        const asked = await askStartd(ctx.host, ['VM_MEMORY']);
        const got = asked.sources?.get('VM_MEMORY');
        memory = got?.defined ? got.value : undefined;
        if (asked.error || memory === String(want.vmMemory)) {
          await markVerified(ctx);
          return { status: 'ok', summary: `${describeSlots(fresh)}${asked.error ? '' : `, VM_MEMORY=${memory}`} (${Math.round((Date.now() - started) / 1000)} s after restart${waitedForJobs >= 1 ? `, ${formatDuration(waitedForJobs)} waiting for the ${mode} restart` : ''})` };
        }
        break;
      }
      if (!q.error && fresh.length && !fresh.some((s) => s.hasVm)) {
        // The gahp test ran and failed; give the logs a moment to be flushed, then stop waiting.
        failedAt ??= Date.now();
        if (Date.now() - failedAt > 3000) break;
      }
      ctx.progress(q.error ? `waiting: condor_status: ${q.error}` : fresh.length ? `waiting: ${describeSlots(fresh)}` : 'waiting for the restarted startd to advertise its slots');
      await sleep(1000);
    }
    const log = ctx.facts.condor.log ?? '/var/log/condor';
    if (unanswered && !fresh.length) {
      // Not knowing is not failing: keep the config, and let the next run look again.
      await ctx.journal.update({}, ['pendingRestart']);
      const down = await localCollectorDown(ctx.host);
      throw new VmpError('VERIFY', `could not ask the collector whether the restarted startd advertises the VM universe (${down ?? `condor_status: ${unanswered}`}); the new config was kept, not rolled back`, {
        hint: down ? 'start it: condor_on -collector (or systemctl restart condor); then run vm-provision again'
          : 'check that this node may query the collector (ALLOW_READ) and that it is up: condor_status -af Name HasVM; then run vm-provision again',
      });
    }
    const [vmGahpLog, startLog] = await Promise.all([
      ctx.host.readFile(ctx.facts.condor.vmGahpLog ?? `${log}/VMGahpLog`), ctx.host.readFile(`${log}/StartLog`),
    ]);
    const why = findGahpReason({ vmGahpLog, startLog }, since);
    const what = memory !== undefined ? `the restarted startd runs with VM_MEMORY=${memory}, not ${want.vmMemory}`
      : fresh.length ? describeSlots(fresh) : `no slot ad from the restarted startd within ${ctx.profile.verify.timeout} s`;
    const source = await rollbackSource(ctx);
    let outcome = !source ? 'nothing to roll back: no unverified config written by vm-provision'
      : 'the new config was kept (verify.onFailure: keep)';
    if (ctx.profile.verify.onFailure === 'rollback' && source) {
      await restoreConfig(ctx.host, source.path, source.before);
      await ctx.journal.update({}, ['lastConfig']);
      const put = `the previous config was put back in ${source.path}${source.from === 'this run' ? '' : ` (written by ${source.from})`}`;
      // A startd the master is about to start reads the restored file anyway.
      const now = await ctx.host.now();
      const held = await startdHeldInBackoff(ctx, now);
      if (held) outcome = `${put}; the master starts the startd with it in ${Math.max(0, held.until - now)} s (HTCondor backs off frequent restarts: no restart added)`;
      else {
        await cycleStartd(ctx);
        outcome = `${put} and the startd restarted with it`;
      }
    }
    await ctx.journal.update({}, ['pendingRestart']);
    throw new VmpError('VERIFY', `the VM universe did not come up: ${why ? why.reason : what}; ${outcome}`, {
      hint: why ? `${why.hint} (from ${why.log}: "${why.line}")` : `see StartLog and VMGahpLog in ${log}`,
    });
  },
};
