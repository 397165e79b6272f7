// Verify: poll this node's slot ads until the new startd advertises HasVM with the profile's type and memory;
// on failure read the gahp's reason and, with onFailure: rollback, put the previous config back.
import { setTimeout as sleep } from 'node:timers/promises';
import { VmpError } from '../errors/vmp-error.ts';
import { querySlots, slotsMatch, type SlotVm } from '../condor/status.ts';
import { findGahpReason } from '../condor/gahp-reasons.ts';
import { restoreConfig } from './condor-config.ts';
import { DEFERRED, expected, restartStartd } from './restart.ts';
import { isStaged } from './preflight.ts';
import type { RunContext, Step } from './step.ts';

const describeSlots = (slots: SlotVm[]) => slots.map((s) => `${s.name}: HasVM=${s.hasVm}, VM_Type=${s.vmType ?? 'undefined'}, VM_Memory=${s.vmMemory ?? 'undefined'}`).join('; ') || 'no slot ads';

export const verify: Step = {
  id: 'verify',
  title: 'Verify: the startd advertises the VM universe',
  async run(ctx) {
    const { state } = ctx;
    const want = expected(ctx);
    if (isStaged(ctx)) return { status: 'pending', summary: `${DEFERRED} (then the startd is restarted and VM_Type xen verified)` };
    if (ctx.check) {
      if (state.restartReason) return { status: 'pending', summary: `would wait for HasVM, VM_Type ${want.vmType}, VM_Memory ${want.vmMemory} after the restart` };
      return { status: 'ok', summary: `advertised now: ${describeSlots(state.slots ?? [])}` };
    }
    if (state.restartedAt === undefined) {
      if (state.restartReason) return { status: 'skipped', summary: 'not verified: the startd was not restarted (condor.restart: none)' };
      if (state.slots && slotsMatch(state.slots, want)) return { status: 'ok', summary: describeSlots(state.slots) };
      return { status: 'ok', summary: 'no restart; slot ads not readable', warnings: ['could not confirm HasVM from the collector'] };
    }
    const since = state.restartedAt;
    const deadline = Date.now() + ctx.profile.verify.timeout * 1000;
    const machine = ctx.facts.condor.fullHostname ?? ctx.facts.hostname;
    let fresh: SlotVm[] = [];
    let failedAt: number | undefined;
    while (Date.now() < deadline) {
      const q = await querySlots(ctx.host, machine);
      // Slot ads of the old startd linger in the collector: only a startd started after our restart counts.
      fresh = q.slots.filter((s) => (s.daemonStartTime ?? 0) >= since - 2);
      if (fresh.length && slotsMatch(fresh, want)) {
        await ctx.journal.update({}, ['pendingRestart']);
        return { status: 'ok', summary: `${describeSlots(fresh)} (${Math.round((Date.now() - (deadline - ctx.profile.verify.timeout * 1000)) / 1000)} s after restart)` };
      }
      if (fresh.length && !fresh.some((s) => s.hasVm)) {
        // The gahp test ran and failed; give the logs a moment to be flushed, then stop waiting.
        failedAt ??= Date.now();
        if (Date.now() - failedAt > 3000) break;
      }
      ctx.progress(fresh.length ? `waiting: ${describeSlots(fresh)}` : 'waiting for the restarted startd to advertise its slots');
      await sleep(1000);
    }
    const log = ctx.facts.condor.log ?? '/var/log/condor';
    const [vmGahpLog, startLog] = await Promise.all([
      ctx.host.readFile(ctx.facts.condor.vmGahpLog ?? `${log}/VMGahpLog`), ctx.host.readFile(`${log}/StartLog`),
    ]);
    const why = findGahpReason({ vmGahpLog, startLog }, since);
    const what = fresh.length ? describeSlots(fresh) : `no slot ad from the restarted startd within ${ctx.profile.verify.timeout} s`;
    let outcome = state.configBefore === undefined
      ? 'nothing to roll back: the config did not change in this run'
      : 'the new config was kept (verify.onFailure: keep)';
    if (ctx.profile.verify.onFailure === 'rollback' && state.configBefore !== undefined && state.configPath) {
      await restoreConfig(ctx.host, state.configPath, state.configBefore);
      await restartStartd(ctx);
      outcome = `the previous config was put back in ${state.configPath} and the startd restarted with it`;
    }
    await ctx.journal.update({}, ['pendingRestart']);
    throw new VmpError('VERIFY', `the VM universe did not come up: ${why ? why.reason : what}; ${outcome}`, {
      hint: why ? `${why.hint} (from ${why.log}: "${why.line}")` : `see StartLog and VMGahpLog in ${log}`,
    });
  },
};
