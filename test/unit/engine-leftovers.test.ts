// A run killed mid-write (kill -9 at any instant) leaves writeFileAtomic's temp files and the staged config; the next
// run removes exactly those, and nothing else.
import { describe, expect, it } from 'vitest';
import { FakeHost } from '../helpers/fake-host.ts';
import { configDirs, sweepLeftovers } from '../../src/engine/leftovers.ts';

const T = 'vmp-tmp-0123456789abcdef';

describe('sweepLeftovers', () => {
  it('removes our temp files beside the config, journal and backups, and the staged files; keeps everything else', async () => {
    const host = new FakeHost()
      .file(`/etc/condor/config.d/.50-vm-universe.config.${T}`, 'VM_TY')
      .file('/etc/condor/config.d/50-vm-universe.config', 'VM_TYPE = kvm\n')
      .file('/etc/condor/config.d/.hidden-admin-file', 'x')
      .file(`/etc/condor/config.d/.00-x.vmp-tmp-short`, 'x')
      .file(`/var/lib/vm-provision/.journal.json.${T}`, '{"pend')
      .file('/var/lib/vm-provision/journal.json', '{}\n')
      .file(`/var/lib/vm-provision/backups/.50-vm-universe.config.2026-12-01T18-00-00-000Z.${T}`, 'VM')
      .file('/var/lib/vm-provision/backups/50-vm-universe.config.2026-12-01T18-00-00-000Z', 'VM_TYPE = kvm\n')
      .file('/var/lib/vm-provision/staged/50-vm-universe.config', 'VM_TYPE = kvm\n');
    const removed = await sweepLeftovers(host, ['/etc/condor/config.d/']);
    expect(removed.sort()).toEqual([
      `/etc/condor/config.d/.50-vm-universe.config.${T}`,
      `/var/lib/vm-provision/.journal.json.${T}`,
      `/var/lib/vm-provision/backups/.50-vm-universe.config.2026-12-01T18-00-00-000Z.${T}`,
      '/var/lib/vm-provision/staged/50-vm-universe.config',
    ]);
    for (const kept of ['/etc/condor/config.d/50-vm-universe.config', '/etc/condor/config.d/.hidden-admin-file', '/etc/condor/config.d/.00-x.vmp-tmp-short',
      '/var/lib/vm-provision/journal.json', '/var/lib/vm-provision/backups/50-vm-universe.config.2026-12-01T18-00-00-000Z']) expect(host.exists(kept)).toBe(true);
  });

  it('nothing there: nothing removed', async () => {
    const host = new FakeHost();
    expect(await sweepLeftovers(host, ['/etc/condor/config.d'])).toEqual([]);
    expect(host.mutations()).toEqual([]);
  });

  it('a configFile outside the LOCAL_CONFIG_DIRs adds its directory', () => {
    expect(configDirs(['/etc/condor/config.d'], 'auto')).toEqual(['/etc/condor/config.d']);
    expect(configDirs(['/etc/condor/config.d'], '/etc/condor/condor_config.local')).toEqual(['/etc/condor/config.d', '/etc/condor']);
  });
});
