// Restart: `condor_restart -startd` only when our config changed, a previous run owes one, or the startd
// advertises something other than the profile (it re-runs the gahp test only at start).
import { VmpError, commandContext } from '../errors/vmp-error.ts';
import { querySlots, slotsMatch } from '../condor/status.ts';
import type { RunContext, Step } from './step.ts';
import { isStaged } from './preflight.ts';

export const DEFERRED = 'deferred: run vm-provision again after booting into the Xen hypervisor';

export function expected(ctx: RunContext) {
  return { vmType: ctx.profile.hypervisor, vmMemory: ctx.profile.condor.vm.memory };
}

export async function restartStartd(ctx: RunContext): Promise<number> {
  const at = await ctx.host.now();
  const r = await ctx.host.exec('condor_restart', ['-startd'], { timeoutMs: 60_000 });
  if (r.exitCode !== 0) {
    throw new VmpError('RESTART', `condor_restart -startd failed (exit ${r.exitCode})`, {
      hint: 'is condor_master running? (systemctl status condor); the restart stays pending and the next run retries it',
      context: commandContext(r),
    });
  }
  return at;
}

export const restart: Step = {
  id: 'restart',
  title: 'Restart the startd when the VM config changed',
  async run(ctx) {
    const { state, journal } = ctx;
    const want = expected(ctx);
    let reason = state.restartReason;
    if (isStaged(ctx)) {
      // Off a Dom0 the gahp test for xen can only fail: keep the restart owed until the node runs Xen.
      if (reason && !ctx.check) await journal.update({ pendingRestart: { reason: `staged for Xen: ${reason}`, since: new Date().toISOString() } });
      const owed = reason ?? journal.data.pendingRestart?.reason;
      return { status: 'pending', summary: `${DEFERRED}${owed ? ` (restart owed: ${owed})` : ''}` };
    }
    const owed = journal.data.pendingRestart;
    if (!reason && owed) reason = `a previous run left a restart pending (${owed.reason}, since ${owed.since})`;
    if (!reason) {
      const q = await querySlots(ctx.host, ctx.facts.condor.fullHostname ?? ctx.facts.hostname);
      state.slots = q.slots;
      if (q.error) return { status: 'ok', summary: 'no config change; could not read the slot ads to compare', warnings: [`condor_status: ${q.error}`] };
      if (!q.slots.length) return { status: 'ok', summary: 'no config change; no restart forced', warnings: [`the collector has no slot ads for ${ctx.facts.condor.fullHostname ?? ctx.facts.hostname}`] };
      if (q.slots.length && !slotsMatch(q.slots, want)) {
        const s = q.slots[0]!;
        reason = `the startd advertises HasVM=${s.hasVm}, VM_Type=${s.vmType ?? 'undefined'}, VM_Memory=${s.vmMemory ?? 'undefined'} instead of ${want.vmType}/${want.vmMemory}`;
      }
    }
    if (!reason) return { status: 'ok', summary: 'no restart needed: config unchanged and the startd advertises it' };
    state.restartReason = reason;
    if (ctx.profile.condor.restart === 'none') {
      if (!ctx.check && !owed) await journal.update({ pendingRestart: { reason, since: new Date().toISOString() } });
      return { status: 'pending', summary: `restart needed (${reason}) but condor.restart is none: run condor_restart -startd`, warnings: ['the VM_* change takes effect only at the next startd restart'] };
    }
    if (ctx.check) return { status: 'pending', summary: `would restart the startd: ${reason}`, changes: ['condor_restart -startd'] };
    // Journal before acting, so a run killed here still restarts next time.
    if (!owed) await journal.update({ pendingRestart: { reason, since: new Date().toISOString() } });
    state.restartedAt = await restartStartd(ctx);
    return { status: 'changed', summary: `condor_restart -startd: ${reason}`, changes: ['condor_restart -startd'] };
  },
};
