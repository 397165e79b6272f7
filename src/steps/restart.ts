// Restart: `condor_restart -startd` only when our config changed, a previous run owes one that the startd has not
// taken since, or the running startd was configured otherwise / does not advertise the VM universe (it re-runs
// the gahp test only at start).
import { VmpError, commandContext } from '../errors/vmp-error.ts';
import { askStartd, querySlots, runningDiffers, slotsAdvertiseVm, type StartdAnswer } from '../condor/status.ts';
import type { RunContext, Step } from './step.ts';
import { isStaged } from './preflight.ts';

export const DEFERRED = 'deferred: run vm-provision again after booting into the Xen hypervisor';

export function expected(ctx: RunContext) {
  return { vmType: ctx.profile.hypervisor, vmMemory: ctx.profile.condor.vm.memory };
}

/** The node's clock as an ISO time (journal times are compared with the startd's DaemonStartTime). */
export async function nodeIsoNow(ctx: Pick<RunContext, 'host'>): Promise<string> {
  return new Date((await ctx.host.now()) * 1000).toISOString();
}

/** What the running startd should have been configured with: the config files' values for the knobs we write. */
export function wantedRunning(ctx: RunContext): Record<string, string | undefined> {
  const want: Record<string, string | undefined> = { VM_TYPE: ctx.profile.hypervisor, VM_MEMORY: String(ctx.profile.condor.vm.memory) };
  const known = ctx.facts.condor.knobSources;
  for (const [name] of ctx.state.configKnobs ?? []) {
    const s = known?.[name];
    if (s) want[name] = s.defined ? s.value : undefined;
  }
  return want;
}

export async function askRunningStartd(ctx: RunContext): Promise<StartdAnswer> {
  const names = [...new Set(['VM_TYPE', 'VM_MEMORY', ...(ctx.state.configKnobs ?? []).map(([n]) => n)])];
  ctx.state.startd ??= await askStartd(ctx.host, names);
  return ctx.state.startd;
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
      if (reason && !ctx.check) await journal.update({ pendingRestart: { reason: `staged for Xen: ${reason}`, since: await nodeIsoNow(ctx) } });
      const owed = reason ?? journal.data.pendingRestart?.reason;
      return { status: 'pending', summary: `${DEFERRED}${owed ? ` (restart owed: ${owed})` : ''}` };
    }
    let owed = journal.data.pendingRestart;
    const warnings: string[] = [];
    let taken = '';
    if (!reason) {
      const machine = ctx.facts.condor.fullHostname ?? ctx.facts.hostname;
      const q = await querySlots(ctx.host, machine);
      state.slots = q.slots;
      const running = await askRunningStartd(ctx);
      const differs = running.sources ? runningDiffers(running.sources, wantedRunning(ctx)) : undefined;
      if (owed) {
        // A startd that started after the restart was owed, or runs exactly the files' values, has taken the config.
        const started = q.slots.map((s) => s.daemonStartTime ?? 0).reduce((a, b) => Math.max(a, b), 0);
        const restartedSince = started * 1000 > Date.parse(owed.since);
        if (differs?.length === 0 || (differs === undefined && restartedSince)) {
          if (!ctx.check) await journal.update({}, ['pendingRestart']);
          taken = `the startd${restartedSince ? ` restarted at ${new Date(started * 1000).toISOString()}, after the restart was owed (${owed.reason}, since ${owed.since}), and` : ''} runs the current config`;
          owed = undefined;
        } else {
          reason = `a previous run left a restart pending (${owed.reason}, since ${owed.since})`;
        }
      }
      if (!reason) {
        if (differs?.length) reason = `the running startd was configured with ${differs.join(', ')}`;
        else if (q.error) warnings.push(`condor_status: ${q.error}`);
        else if (!q.slots.length) warnings.push(`the collector has no slot ads for ${machine}`);
        else if (!slotsAdvertiseVm(q.slots, want)) {
          const s = q.slots.find((x) => !x.hasVm || x.vmType?.toLowerCase() !== want.vmType) ?? q.slots[0]!;
          reason = `the startd advertises HasVM=${s.hasVm}, VM_Type=${s.vmType ?? 'undefined'} instead of ${want.vmType}`;
        }
        if (running.error && !reason) warnings.push(`could not ask the startd what it was configured with (condor_config_val -startd: ${running.error}); compared HasVM and VM_Type only`);
      }
    }
    if (!reason) {
      const summary = taken || (warnings.length ? 'no config change; no restart forced' : 'no restart needed: config unchanged and the running startd has it');
      return { status: 'ok', summary, warnings };
    }
    state.restartReason = reason;
    if (ctx.profile.condor.restart === 'none') {
      if (!ctx.check && !owed) await journal.update({ pendingRestart: { reason, since: await nodeIsoNow(ctx) } });
      return { status: 'pending', summary: `restart needed (${reason}) but condor.restart is none: run condor_restart -startd`, warnings: ['the VM_* change takes effect only at the next startd restart'] };
    }
    if (ctx.check) return { status: 'pending', summary: `would restart the startd: ${reason}`, changes: ['condor_restart -startd'] };
    // Journal before acting, so a run killed here still restarts next time.
    if (!owed) await journal.update({ pendingRestart: { reason, since: await nodeIsoNow(ctx) } });
    state.restartedAt = await restartStartd(ctx);
    return { status: 'changed', summary: `condor_restart -startd: ${reason}`, changes: ['condor_restart -startd'] };
  },
};
