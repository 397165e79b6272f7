// Restart: only when our config changed, a previous run owes one that the startd has not taken since, or the
// running startd was configured otherwise / does not advertise the VM universe (it re-runs the gahp test only at
// start). How (condor.restart.mode): graceful, peaceful or drain; the summary says what it costs the running jobs.
import { pendingStartdBackoff, type Backoff } from '../condor/master-backoff.ts';
import { VmpError, commandContext } from '../errors/vmp-error.ts';
import { isRunning, masterDown, runningDaemons } from '../condor/daemons.ts';
import { askStartd, querySlots, runningDiffers, slotsAdvertiseVm, type SlotVm, type StartdAnswer } from '../condor/status.ts';
import { nodeWork, restartCost, type RestartCost } from '../condor/slot-work.ts';
import { GRACEFUL_OFF, GRACEFUL_ON, ON_DURING_EXIT_SINCE, isOurDrain, modeTitle, restartArgv, restartLine } from '../condor/restart-modes.ts';
import { atLeast } from '../condor/version.ts';
import { cancelDrain, startDrain } from '../condor/drain.ts';
import { setTimeout as sleep } from 'node:timers/promises';
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

/** The master's pending restart of the startd (MasterLog), if it is due at `at` or later (5 s of slack). */
export async function startdHeldInBackoff(ctx: RunContext, at: number): Promise<Backoff | undefined> {
  const backoff = pendingStartdBackoff(await ctx.host.readFile(`${ctx.facts.condor.log ?? '/var/log/condor'}/MasterLog`));
  return backoff && backoff.until >= at - 5 ? backoff : undefined;
}

export async function restartStartd(ctx: RunContext, argv: string[]): Promise<number> {
  const at = await ctx.host.now();
  const r = await ctx.host.exec(argv[0]!, argv.slice(1), { timeoutMs: 60_000 });
  if (r.exitCode !== 0) {
    // A startd held in the master's backoff cannot be asked to restart, but starts soon anyway with the current config.
    const backoff = await startdHeldInBackoff(ctx, at);
    if (backoff) {
      ctx.state.startdBackoffUntil = backoff.until;
      return at;
    }
    const down = await masterDown(ctx.host);
    if (down) {
      throw new VmpError('RESTART', `${argv.join(' ')} failed: ${down}, so no daemon can be restarted`, {
        hint: 'start HTCondor: systemctl start condor (its master starts the startd, which reads the new config); the restart stays owed in the journal and the next vm-provision run sees it through',
        context: commandContext(r),
      });
    }
    throw new VmpError('RESTART', `${argv.join(' ')} failed (exit ${r.exitCode})`, {
      hint: 'is condor_master running? (systemctl status condor); the restart stays pending and the next run retries it',
      context: commandContext(r),
    });
  }
  return at;
}

/** How old preflight's slot ads may be for the restart step to judge by them (a package install can take minutes). */
export const PREFLIGHT_SLOTS_FRESH_MS = 10_000;

/** How long condor_on waits for the stopped startd to exit on a master older than ON_DURING_EXIT_SINCE. */
export const OFF_EXIT_WAIT_MS = 30_000;

/**
 * The graceful restart (GRACEFUL_OFF, then GRACEFUL_ON): journalled first, so that a run killed between the two
 * leaves the next run to turn the startd on. Returns the node's clock before condor_off.
 */
export async function cycleStartd(ctx: RunContext): Promise<number> {
  const at = await ctx.host.now();
  await ctx.journal.update({ startdOff: { since: new Date(at * 1000).toISOString() } });
  const off = await ctx.host.exec(GRACEFUL_OFF[0]!, GRACEFUL_OFF.slice(1), { timeoutMs: 60_000 });
  if (off.exitCode !== 0) {
    const down = await masterDown(ctx.host);
    // No master took the command: nothing is held off.
    if (down) await ctx.journal.update({}, ['startdOff']);
    throw new VmpError('RESTART', `${GRACEFUL_OFF.join(' ')} failed${down ? `: ${down}, so no daemon can be restarted` : ` (exit ${off.exitCode})`}`, {
      hint: down
        ? 'start HTCondor: systemctl start condor (its master starts the startd, which reads the new config); the restart stays owed in the journal and the next vm-provision run sees it through'
        : `is the master accepting administrator commands from this host (ALLOW_ADMINISTRATOR)? Run ${GRACEFUL_ON.join(' ')} if the startd stays off; the restart stays owed and the next run retries it`,
      context: commandContext(off),
    });
  }
  const version = ctx.facts.condor.version;
  if (version && !atLeast(version, ON_DURING_EXIT_SINCE)) await waitForStartdExit(ctx);
  await startdOn(ctx);
  return at;
}

/** GRACEFUL_ON, then the journal forgets the startd it turned off; a failure keeps it for the next run. */
async function startdOn(ctx: RunContext): Promise<void> {
  const on = await ctx.host.exec(GRACEFUL_ON[0]!, GRACEFUL_ON.slice(1), { timeoutMs: 60_000 });
  if (on.exitCode !== 0) {
    throw new VmpError('RESTART', `${GRACEFUL_ON.join(' ')} failed (exit ${on.exitCode}): the startd vm-provision stopped stays off`, {
      hint: `run ${GRACEFUL_ON.join(' ')} (is condor_master running? systemctl status condor); the next vm-provision run does it too`,
      context: commandContext(on),
    });
  }
  await ctx.journal.update({}, ['startdOff']);
}

async function waitForStartdExit(ctx: RunContext): Promise<void> {
  const until = Date.now() + OFF_EXIT_WAIT_MS;
  while (isRunning(await runningDaemons(ctx.host), 'condor_startd') && Date.now() < until) await sleep(250);
}

const latestStart = (slots: SlotVm[]) => slots.map((s) => s.daemonStartTime ?? 0).reduce((a, b) => Math.max(a, b), 0);

/**
 * A drain a previous run started (journal): done (the startd restarted since), still on (continue it when the mode
 * is still drain, else cancel it), or gone (cancelled by someone). Returns a note for the summary.
 */
async function settlePendingDrain(ctx: RunContext): Promise<{ note?: string; continuing?: boolean }> {
  const { journal, state } = ctx;
  const pd = journal.data.pendingDrain!;
  const machine = ctx.facts.condor.fullHostname ?? ctx.facts.hostname;
  const q = await querySlots(ctx.host, machine);
  if (q.error) {
    throw new VmpError('RESTART', `a previous run's drain (request id ${pd.requestId}, since ${pd.since}) is pending, and condor_status cannot tell whether it is still on: ${q.error}`, {
      hint: `check with condor_status -af Name Draining DrainingRequestId; cancel it with ${cancelLine(pd)} if you like; then run vm-provision again`,
    });
  }
  state.slots = q.slots;
  const started = latestStart(q.slots);
  if (started * 1000 > Date.parse(pd.since)) {
    if (!ctx.check) await journal.update({}, ['pendingDrain']);
    return { note: `the drain of ${pd.since} (request id ${pd.requestId}) completed and the startd restarted at ${new Date(started * 1000).toISOString()}` };
  }
  const on = q.slots.some((s) => s.draining && s.drainRequestId === pd.requestId);
  if (on && ctx.profile.condor.restart.mode === 'drain') {
    state.drain = { requestId: pd.requestId, target: pd.target };
    state.restartedAt = Math.floor(Date.parse(pd.since) / 1000);
    state.restartReason ??= journal.data.pendingRestart?.reason ?? pd.reason;
    return { continuing: true };
  }
  if (on) {
    if (ctx.check) return { note: `would cancel the drain a previous run started (request id ${pd.requestId}): condor.restart.mode is now ${ctx.profile.condor.restart.mode}` };
    await cancelDrain(ctx.host, pd.requestId, pd.target);
  }
  if (!ctx.check) await journal.update({}, ['pendingDrain']);
  return { note: on ? `cancelled the drain a previous run started (request id ${pd.requestId}): condor.restart.mode is now ${ctx.profile.condor.restart.mode}`
    : `the drain a previous run started (request id ${pd.requestId}) is no longer on` };
}

const cancelLine = (pd: { requestId: string; target: string }) => `condor_drain -cancel -request-id ${pd.requestId} '${pd.target}'`;

export const restart: Step = {
  id: 'restart',
  title: 'Restart the startd when the VM config changed',
  async run(ctx) {
    const { state, journal } = ctx;
    const want = expected(ctx);
    const spec = ctx.profile.condor.restart;
    let reason = state.restartReason;
    if (isStaged(ctx)) {
      // Off a Dom0 the gahp test for xen can only fail: keep the restart owed until the node runs Xen.
      if (reason && !ctx.check) await journal.update({ pendingRestart: { reason: `staged for Xen: ${reason}`, since: await nodeIsoNow(ctx) } });
      const owed = reason ?? journal.data.pendingRestart?.reason;
      return { status: 'pending', summary: `${DEFERRED}${owed ? ` (restart owed: ${owed})` : ''}` };
    }
    const notes: string[] = [];
    const off = journal.data.startdOff;
    if (off) {
      // A run killed between condor_off and condor_on left the startd held off by the master.
      if (ctx.check) notes.push(`would turn the startd on (${GRACEFUL_ON.join(' ')}): a run stopped at ${off.since} had turned it off to restart it`);
      else {
        await startdOn(ctx);
        state.preflightSlots = undefined; // the startd is starting again: look afresh
        notes.push(`turned the startd on (${GRACEFUL_ON.join(' ')}): a run stopped at ${off.since} had turned it off to restart it`);
      }
    }
    if (journal.data.pendingDrain) {
      const settled = await settlePendingDrain(ctx);
      if (settled.note) notes.push(settled.note);
      if (settled.continuing) {
        const pd = journal.data.pendingDrain;
        const cost = await costNow(ctx, state.slots);
        const summary = `${ctx.check ? 'would keep waiting for' : 'continuing'} the drain a previous run started at ${pd.since} (request id ${pd.requestId}): ${cost.message}`;
        return { status: ctx.check ? 'pending' : 'changed', summary, changes: [`wait for drain request ${pd.requestId}`], cost };
      }
    }
    let owed = journal.data.pendingRestart;
    const warnings: string[] = [];
    let taken = '';
    if (!reason) {
      const machine = ctx.facts.condor.fullHostname ?? ctx.facts.hostname;
      // No config written, no restart since preflight read the slots: its look serves while fresh (jobs come and go).
      const pre = state.preflightSlots;
      const q = pre && Date.now() - pre.at < PREFLIGHT_SLOTS_FRESH_MS ? pre : await querySlots(ctx.host, machine);
      state.slots = q.slots;
      const running = await askRunningStartd(ctx);
      const differs = running.sources ? runningDiffers(running.sources, wantedRunning(ctx)) : undefined;
      if (owed) {
        // A startd that started after the restart was owed, or runs exactly the files' values, has taken the config.
        const started = latestStart(q.slots);
        const restartedSince = started * 1000 > Date.parse(owed.since);
        if (differs?.length === 0 || (differs === undefined && restartedSince)) {
          if (!ctx.check) await journal.update({}, ['pendingRestart']);
          taken = `the startd${restartedSince ? ` restarted at ${new Date(started * 1000).toISOString()}, after the restart was owed (${owed.reason}, since ${owed.since}), and` : ''} runs the current config`;
          if (!q.error && !slotsAdvertiseVm(q.slots, want) && !ctx.check) {
            // Restarted by a run killed before its verify: its ads may not be in the collector yet. Verify waits for
            // them (only a startd started since the restart was owed counts) instead of passing unconfirmed.
            state.restartedAt = restartedSince ? started : Math.floor(Date.parse(owed.since) / 1000);
            const held = await startdHeldInBackoff(ctx, await ctx.host.now());
            if (held) state.startdBackoffUntil = held.until;
            taken += `; verify waits for its slot ads (${q.slots.length ? 'no HasVM yet' : 'none in the collector yet'})`;
          }
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
    const withNotes = (s: string) => [...notes, s].join('; ');
    if (!reason) {
      const summary = taken || (warnings.length ? 'no config change; no restart forced' : 'no restart needed: config unchanged and the running startd has it');
      return { status: 'ok', summary: withNotes(summary), warnings };
    }
    state.restartReason = reason;
    if (spec.mode === 'none') {
      if (!ctx.check && !owed) await journal.update({ pendingRestart: { reason, since: await nodeIsoNow(ctx) } });
      return { status: 'pending', summary: withNotes(`restart needed (${reason}) but condor.restart is none: run condor_restart -startd`), warnings: ['the VM_* change takes effect only at the next startd restart'] };
    }
    const cost = await costNow(ctx, state.slots);
    const work = cost.runningJobs;
    const target = state.slots?.find((s) => s.address)?.address;
    if (spec.mode === 'drain') {
      if (!target) {
        const why = `cannot drain: the startd's address (MyAddress) is not in its slot ads (${cost.message})`;
        if (ctx.check) warnings.push(why);
        else throw new VmpError('RESTART', why, { hint: 'check that condor_status -startd -af MyAddress answers on this node; or use condor.restart mode peaceful' });
      }
      if (cost.draining && !isOurDrain(cost.draining.reason)) {
        const why = `the startd is already draining (DrainReason "${cost.draining.reason ?? ''}", request id ${cost.draining.requestId ?? 'unknown'}): a second drain would be refused`;
        if (ctx.check) warnings.push(why);
        else {
          throw new VmpError('RESTART', why, {
            hint: `let that drain finish (the next run restarts then), or cancel it: condor_drain -cancel -request-id ${cost.draining.requestId ?? '<id>'} '${target}'; or use mode peaceful`,
          });
        }
      }
    }
    const argv = spec.mode === 'drain' ? restartArgv(spec, target ?? '<MyAddress>') : restartArgv(spec);
    const line = restartLine(spec, target ?? '<MyAddress>');
    if (ctx.check) return { status: 'pending', summary: withNotes(`would ${modeTitle(spec)}: ${reason}; ${cost.message}`), changes: [line], warnings, cost };
    // Journal before acting, so a run killed here still restarts next time.
    if (!owed) await journal.update({ pendingRestart: { reason, since: await nodeIsoNow(ctx) } });
    if (spec.mode === 'drain' && cost.draining && isOurDrain(cost.draining.reason) && cost.draining.requestId) {
      // Ours, but the journal lost it (e.g. written by hand away): wait for it rather than ask for a second one.
      state.drain = { requestId: cost.draining.requestId, target: target! };
      state.restartedAt = await ctx.host.now();
      await journal.update({ pendingDrain: { requestId: cost.draining.requestId, target: target!, since: await nodeIsoNow(ctx), reason } });
      return { status: 'changed', summary: withNotes(`waiting for the vm-provision drain already on (request id ${cost.draining.requestId}): ${reason}; ${cost.message}`), changes: [`wait for drain request ${cost.draining.requestId}`], cost };
    }
    if (spec.mode === 'drain') {
      const at = await ctx.host.now();
      const requestId = await startDrain(ctx.host, argv, target!);
      await journal.update({ pendingDrain: { requestId, target: target!, since: new Date(at * 1000).toISOString(), reason } });
      state.drain = { requestId, target: target! };
      state.restartedAt = at;
    } else if (spec.mode === 'graceful') {
      state.restartedAt = await cycleStartd(ctx);
    } else {
      state.restartedAt = await restartStartd(ctx, argv);
      if (state.startdBackoffUntil !== undefined) {
        const wait = Math.max(0, state.startdBackoffUntil - await ctx.host.now());
        notes.push(`the master restarts the startd in ${wait} s (HTCondor backs off frequent restarts), with this config`);
      }
    }
    const waits = spec.mode !== 'graceful' && work.length ? ` (verify waits up to ${spec.timeout} s for them)` : '';
    return { status: 'changed', summary: withNotes(`${line}: ${reason}; ${cost.message}${waits}`), changes: [line], cost };
  },
};

/** What restarting now costs, from this run's slot ads (queried if not yet). */
export async function costNow(ctx: RunContext, slots: SlotVm[] | undefined): Promise<RestartCost> {
  let error: string | undefined;
  if (!slots) {
    const q = await querySlots(ctx.host, ctx.facts.condor.fullHostname ?? ctx.facts.hostname);
    error = q.error;
    if (!q.error) ctx.state.slots = slots = q.slots;
  }
  const cost = restartCost(ctx.profile.condor.restart, slots ? nodeWork(slots, await ctx.host.now()) : undefined, error && `condor_status: ${error}`);
  return cost;
}
