// The services step against a FakeHost: which libvirt layout, and systemctl only on a difference.
import { describe, expect, it } from 'vitest';
import { pickLayout, services } from '../../src/steps/services.ts';
import { parseSystemctlShow } from '../../src/facts/parse.ts';
import { isVmpError } from '../../src/errors/vmp-error.ts';
import { FakeHost, output } from '../helpers/fake-host.ts';
import { SYSTEMCTL_SHOW, UNITS, factsFixture, makeContext, notFound, systemctlShowOutput, unitState } from '../helpers/facts-fixture.ts';

const withUnits = (units = UNITS.debianActive()) => factsFixture({ libvirt: { units } });
const replace = (units: ReturnType<typeof UNITS.debianActive>, ...repl: ReturnType<typeof unitState>[]) =>
  units.map((u) => repl.find((r) => r.name === u.name) ?? u);

describe('pickLayout', () => {
  it('Debian 13 (captured): monolithic libvirtd, although the modular units exist', () => {
    expect(pickLayout(parseSystemctlShow(output('systemctl-show-libvirt-debian-active.stdout')))).toEqual({ service: 'libvirtd.service', socket: 'libvirtd.socket', layout: 'monolithic' });
  });

  it('only virtqemud: modular', () => {
    const units = [notFound('libvirtd.service'), notFound('libvirtd.socket'), unitState('virtqemud.service', 'loaded', 'inactive', 'disabled'), unitState('virtqemud.socket', 'loaded', 'active', 'enabled')];
    expect(pickLayout(units)).toEqual({ service: 'virtqemud.service', socket: 'virtqemud.socket', layout: 'modular' });
  });

  it('both present, virtqemud.socket enabled and libvirtd not (RHEL 9): modular', () => {
    expect(pickLayout(UNITS.modular())?.layout).toBe('modular');
  });

  it('both present, libvirtd enabled: monolithic, even with virtqemud.socket enabled', () => {
    const units = replace(UNITS.modular(), unitState('libvirtd.service', 'loaded', 'active', 'enabled'));
    expect(pickLayout(units)?.layout).toBe('monolithic');
  });

  it('a masked libvirtd still decides the layout (so the mask is reported, not bypassed)', () => {
    expect(pickLayout(UNITS.debianMasked())?.service).toBe('libvirtd.service');
  });

  it('nothing installed, or no output: undefined', () => {
    expect(pickLayout(UNITS.none())).toBeUndefined();
    expect(pickLayout([])).toBeUndefined();
  });
});

describe('services step', () => {
  it('running and enabled: ok, no systemctl at all', async () => {
    const host = new FakeHost();
    const r = await services.run(makeContext({ host, facts: withUnits() }));
    expect(r.status).toBe('ok');
    expect(host.calls).toEqual([]);
  });

  it('socket active, service idle (socket activation): ok, nothing started', async () => {
    const host = new FakeHost();
    const units = replace(UNITS.debianActive(), unitState('libvirtd.service', 'loaded', 'inactive', 'enabled'));
    const r = await services.run(makeContext({ host, facts: withUnits(units) }));
    expect(r.status).toBe('ok');
    expect(host.calls).toEqual([]);
  });

  it('masked: fails before the config changes, naming the masked units and unmask as the next action; runs no systemctl', async () => {
    const host = new FakeHost();
    const e = await services.run(makeContext({ host, facts: withUnits(UNITS.debianMasked()) })).then(() => undefined, (x: unknown) => x);
    if (!isVmpError(e)) throw new Error(`expected a VmpError, got ${String(e)}`);
    expect(e.code).toBe('SERVICE');
    expect(e.message).toMatch(/^the libvirt daemon is masked \(libvirtd\.service\): the gahp test of HTCondor [\d.]+ connects to qemu:\/\/\/session and fails/);
    expect(e.hint).toBe('systemctl unmask libvirtd.service libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket, then run vm-provision again (it enables and starts libvirtd.service)');
    expect(host.calls).toEqual([]);
  });

  it('masked with its socket (systemctl mask --now libvirtd*): both named as masked; modular: the virtqemud family', async () => {
    const units = replace(UNITS.debianMasked(), unitState('libvirtd.socket', 'masked', 'inactive', 'masked'));
    const e = await services.run(makeContext({ host: new FakeHost(), facts: withUnits(units) })).then(() => undefined, (x: unknown) => x);
    expect(isVmpError(e) && e.message).toMatch(/^the libvirt daemon is masked \(libvirtd\.service, libvirtd\.socket\)/);
    const modular = [notFound('libvirtd.service'), notFound('libvirtd.socket'), unitState('virtqemud.service', 'masked', 'inactive', 'masked'), unitState('virtqemud.socket', 'loaded', 'inactive', 'enabled')];
    const m = await services.run(makeContext({ host: new FakeHost(), facts: withUnits(modular) })).then(() => undefined, (x: unknown) => x);
    expect(isVmpError(m) && m.hint).toMatch(/^systemctl unmask virtqemud\.service virtqemud\.socket virtqemud-ro\.socket virtqemud-admin\.socket, then run vm-provision again \(it enables and starts virtqemud\.service\)/);
  });

  it('enabled but inactive service and socket: systemctl start libvirtd.service only', async () => {
    const host = new FakeHost().on(['systemctl', 'start', 'libvirtd.service'], {});
    const units = replace(UNITS.debianActive(), unitState('libvirtd.service', 'loaded', 'inactive', 'enabled'), unitState('libvirtd.socket', 'loaded', 'inactive', 'enabled'));
    const r = await services.run(makeContext({ host, facts: withUnits(units) }));
    expect(r).toMatchObject({ status: 'changed', changes: ['start libvirtd.service'] });
    expect(host.commandLines()).toEqual(['systemctl start libvirtd.service']);
  });

  it('disabled and inactive: enable, then start', async () => {
    const host = new FakeHost().on((c) => c.cmd === 'systemctl', {});
    const units = replace(UNITS.debianActive(), unitState('libvirtd.service', 'loaded', 'inactive', 'disabled'), unitState('libvirtd.socket', 'loaded', 'inactive', 'disabled'));
    const r = await services.run(makeContext({ host, facts: withUnits(units) }));
    expect(r.changes).toEqual(['enable libvirtd.service', 'start libvirtd.service']);
    expect(host.commandLines()).toEqual(['systemctl enable libvirtd.service', 'systemctl start libvirtd.service']);
  });

  it('modular (RHEL 9) with the socket active: ok, nothing run', async () => {
    const host = new FakeHost();
    const r = await services.run(makeContext({ host, facts: withUnits(UNITS.modular()) }));
    expect(r.status).toBe('ok');
    expect(r.summary).toContain('virtqemud.service (modular)');
    expect(host.calls).toEqual([]);
  });

  it('--check: pending with the actions, no systemctl run', async () => {
    const host = new FakeHost();
    const units = replace(UNITS.debianActive(), unitState('libvirtd.service', 'loaded', 'inactive', 'disabled'), unitState('libvirtd.socket', 'loaded', 'inactive', 'disabled'));
    const r = await services.run(makeContext({ host, facts: withUnits(units), check: true }));
    expect(r).toMatchObject({ status: 'pending', changes: ['enable libvirtd.service', 'start libvirtd.service'] });
    expect(host.calls).toEqual([]);
  });

  it('after installing packages it re-reads the units instead of trusting the old facts', async () => {
    const host = new FakeHost()
      .on(SYSTEMCTL_SHOW, { stdout: systemctlShowOutput(replace(UNITS.debianActive(), unitState('libvirtd.service', 'loaded', 'inactive', 'enabled'), unitState('libvirtd.socket', 'loaded', 'inactive', 'enabled'))) })
      .on(['systemctl', 'start', 'libvirtd.service'], {});
    const ctx = makeContext({ host, facts: withUnits(UNITS.none()), state: { packagesInstalled: ['libvirt-daemon-system'] } });
    const r = await services.run(ctx);
    expect(r.status).toBe('changed');
    expect(host.commandLines()).toEqual([SYSTEMCTL_SHOW.join(' '), 'systemctl start libvirtd.service']);
  });

  it('no libvirt daemon: pending in --check when its package is about to be installed, SERVICE otherwise', async () => {
    const host = new FakeHost();
    const pending = await services.run(makeContext({ host, facts: withUnits(UNITS.none()), check: true, state: { packagesToInstall: ['libvirt-daemon-system'] } }));
    expect(pending.status).toBe('pending');
    const e = await services.run(makeContext({ host, facts: withUnits(UNITS.none()) })).catch((x: unknown) => x);
    expect(isVmpError(e) && e.code).toBe('SERVICE');
    expect(host.calls).toEqual([]);
  });

  it('a failing systemctl: SERVICE with the command, its stderr and a journalctl hint', async () => {
    const host = new FakeHost().on(['systemctl', 'start', 'libvirtd.service'], { exitCode: 1, stderr: 'Job for libvirtd.service failed because the control process exited with error code.\n' });
    const units = replace(UNITS.debianActive(), unitState('libvirtd.service', 'loaded', 'failed', 'enabled'), unitState('libvirtd.socket', 'loaded', 'inactive', 'enabled'));
    const e = await services.run(makeContext({ host, facts: withUnits(units) })).catch((x: unknown) => x);
    if (!isVmpError(e)) throw new Error('expected a VmpError');
    expect(e.code).toBe('SERVICE');
    expect(e.context.command).toEqual(['systemctl', 'start', 'libvirtd.service']);
    expect(e.context.stderrTail).toContain('Job for libvirtd.service failed');
    expect(e.hint).toBe('see: journalctl -u libvirtd.service');
  });
});
