// Services: the libvirt daemon enabled and running, whichever layout the node has (monolithic or modular).
import { VmpError, commandContext } from '../errors/vmp-error.ts';
import { LIBVIRT_UNITS } from '../facts/gather.ts';
import { parseSystemctlShow, type UnitState } from '../facts/parse.ts';
import type { RunContext, Step } from './step.ts';
import { atLeast } from '../condor/version.ts';
import { isStaged } from './preflight.ts';
import { XEN_SERVICE_UNITS, installedXenVersion, needsXend } from '../xen/tools.ts';

export interface DaemonLayout { service: string; socket: string; layout: 'monolithic' | 'modular' }

/**
 * Debian 12/13 ship libvirtd; Fedora 35+/RHEL 9 fresh installs use per-driver daemons (virtqemud for KVM, virtxend
 * for Xen). Decide from the units that exist.
 */
export function pickLayout(units: UnitState[], driver: 'qemu' | 'xen' = 'qemu'): DaemonLayout | undefined {
  const exists = (n: string) => units.some((u) => u.name === n && u.loadState !== 'not-found' && u.loadState !== '');
  const daemon = driver === 'xen' ? 'virtxend' : 'virtqemud';
  // Both installed: the modular daemons are the ones in use when a driver daemon's socket is enabled and libvirtd is not.
  const modularInUse = [daemon, 'virtqemud'].some((d) => exists(`${d}.service`) && unit(units, `${d}.socket`)?.unitFileState === 'enabled')
    && unit(units, 'libvirtd.service')?.unitFileState !== 'enabled';
  if (exists('libvirtd.service') && !modularInUse) {
    return { service: 'libvirtd.service', socket: 'libvirtd.socket', layout: 'monolithic' };
  }
  if (exists(`${daemon}.service`)) return { service: `${daemon}.service`, socket: `${daemon}.socket`, layout: 'modular' };
  if (exists('virtqemud.service')) return { service: 'virtqemud.service', socket: 'virtqemud.socket', layout: 'modular' };
  return undefined;
}

const unit = (units: UnitState[], name: string) => units.find((u) => u.name === name);
const isMasked = (u?: UnitState) => u?.loadState === 'masked' || u?.unitFileState === 'masked';
const isEnabled = (u?: UnitState) => ['enabled', 'enabled-runtime', 'static', 'indirect', 'alias'].includes(u?.unitFileState ?? '');

type Action = [what: string, argv: string[]];

/** Enable and (unless deferred) start a unit; a masked unit is reported, never unmasked. */
function unitActions(units: UnitState[], service: string, socket: string | undefined, start: boolean, warnings: string[]): Action[] {
  const svc = unit(units, service);
  const sock = socket ? unit(units, socket) : undefined;
  if (isMasked(svc)) {
    // A mask is an admin's decision: report it, do not undo it. Verification shows what it costs.
    warnings.push(`${service} is masked: left as the admin set it; the VM universe needs it (systemctl unmask ${service})`);
    return [];
  }
  const actions: Action[] = [];
  if (!isEnabled(svc) && !isEnabled(sock)) actions.push([`enable ${service}`, ['enable', service]]);
  // Socket activation counts as running: libvirtd exits when idle (--timeout 120) and comes back on demand.
  if (start && svc?.activeState !== 'active' && sock?.activeState !== 'active') actions.push([`start ${service}`, ['start', service]]);
  return actions;
}

/**
 * A masked libvirt daemon is an admin's decision: never undone, but no VM job can run with it, and from 23.0 the
 * gahp test fails, so the startd turns the VM universe off. Stop before the config changes, naming the units.
 */
function maskedDaemon(ctx: RunContext, units: UnitState[], layout: DaemonLayout): VmpError {
  const daemon = layout.service.replace(/\.service$/, '');
  const masked = units.filter((u) => isMasked(u) && (u.name.startsWith(`${daemon}.`) || u.name.startsWith(`${daemon}-`))).map((u) => u.name);
  const v = ctx.facts.condor.version;
  const uri = ctx.profile.hypervisor === 'xen' ? 'xen:///' : 'qemu:///session';
  const effect = v && !atLeast(v, '23.0.0')
    ? `HTCondor ${v.text} advertises the VM universe, but every VM job fails at start ("Failed to create libvirt connection")`
    : `the gahp test${v ? ` of HTCondor ${v.text}` : ''} connects to ${uri} and fails, so the startd turns the VM universe off`;
  // The whole family: `systemctl mask --now libvirtd*` also masks the -ro and -admin sockets (unmasking one that is not masked is a no-op).
  const family = [...new Set([...masked, `${daemon}.service`, `${daemon}.socket`, `${daemon}-ro.socket`, `${daemon}-admin.socket`])];
  return new VmpError('SERVICE', `the libvirt daemon is masked (${masked.join(', ')}): ${effect}; left masked, as the admin set it, and the config not changed`, {
    hint: `systemctl unmask ${family.join(' ')}, then run vm-provision again (it enables and starts ${layout.service})`,
  });
}

export const services: Step = {
  id: 'services',
  title: 'Services: libvirt daemon (and Xen\'s) enabled and running',
  async run(ctx) {
    const { host, state } = ctx;
    let units = ctx.facts.libvirt.units;
    const xen = ctx.profile.hypervisor === 'xen';
    if (state.packagesInstalled.length || xen) {
      const r = await host.exec('systemctl', ['show', '-p', 'Id,LoadState,ActiveState,UnitFileState', ...LIBVIRT_UNITS, ...(xen ? XEN_SERVICE_UNITS : [])]);
      units = parseSystemctlShow(r.stdout);
    }
    const layout = pickLayout(units, xen ? 'xen' : 'qemu');
    if (!layout) {
      if (ctx.check && state.packagesToInstall.length) {
        return { status: 'pending', summary: 'would enable and start the libvirt daemon once its package is installed', changes: ['enable and start libvirtd.service (after install)'] };
      }
      throw new VmpError('SERVICE', 'no libvirt daemon unit on this node (neither libvirtd.service nor virtqemud.service)', {
        hint: 'install the libvirt daemon package (Debian: libvirt-daemon-system; RHEL: libvirt-daemon), or let vm-provision do it with packages.install: true',
      });
    }
    if (isMasked(unit(units, layout.service))) throw maskedDaemon(ctx, units, layout);
    const warnings: string[] = [];
    const actions = unitActions(units, layout.service, layout.socket, true, warnings);
    const found = [`${layout.service} (${layout.layout})`];
    if (xen) {
      // Xen's services start only under the hypervisor: off a Dom0 (staged) they are enabled, not started.
      const xenUnit = ['xencommons.service', 'xen.service'].find((n) => { const u = unit(units, n); return u && u.loadState !== 'not-found' && u.loadState !== ''; });
      const start = !isStaged(ctx);
      if (xenUnit) { actions.push(...unitActions(units, xenUnit, undefined, start, warnings)); found.push(xenUnit + (start ? '' : ' (start deferred until Xen runs)')); }
      else if (!(ctx.check && state.packagesToInstall.length)) warnings.push('no Xen service unit (xencommons or xen) found');
      if (needsXend(await installedXenVersion(host))) {
        const xend = unit(units, 'xend.service');
        if (xend && xend.loadState !== 'not-found' && xend.loadState !== '') actions.push(...unitActions(units, 'xend.service', undefined, start, warnings));
        else warnings.push('this Xen (≤ 4.4) needs xend, but there is no xend.service unit: start xend the way this node does (init script)');
      }
    }
    const masked = warnings.some((w) => w.includes(' is masked'));
    if (!actions.length) {
      const how = masked ? 'masked by the admin (left as is)' : `enabled${isStaged(ctx) ? '' : ', running'}`;
      return { status: 'ok', summary: `${found.join(', ')}: ${how}`, warnings };
    }
    if (ctx.check) return { status: 'pending', summary: `would ${actions.map(([a]) => a).join(' and ')}`, changes: actions.map(([a]) => a), warnings };
    for (const [, args] of actions) {
      const r = await host.exec('systemctl', args, { timeoutMs: 120_000 });
      if (r.exitCode !== 0) {
        throw new VmpError('SERVICE', `systemctl ${args.join(' ')} failed (exit ${r.exitCode})`, {
          hint: `see: journalctl -u ${args[1]}`, context: commandContext(r),
        });
      }
    }
    return { status: 'changed', summary: actions.map(([a]) => a).join(', '), changes: actions.map(([a]) => a), warnings };
  },
};
