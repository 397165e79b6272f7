// Xen role detection from the files the kernel presents, one fixture tree per kind of node.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FakeHost } from '../../helpers/fake-host.ts';
import { detectXenRole, readXenSignals } from '../../../src/xen/dom0.ts';

const FIX = resolve(import.meta.dirname, '../../fixtures/xen');

/** Loads a fixture tree (…/sys/…, …/proc/…) into a fake host; `unreadable` paths throw EACCES like a 0400 file for a non-root user. */
function nodeFrom(name: string, unreadable: string[] = []): FakeHost {
  class Host extends FakeHost {
    override async readFile(path: string) {
      if (unreadable.includes(path)) throw Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: 'EACCES' });
      return super.readFile(path);
    }
  }
  const h = new Host();
  const walk = (dir: string, rel: string) => {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) { h.dir(`${rel}/${e}`); walk(p, `${rel}/${e}`); } else if (e !== '.keep') h.file(`${rel}/${e}`, readFileSync(p, 'utf8'));
    }
  };
  walk(join(FIX, name), '');
  return h;
}

const detect = async (name: string, unreadable: string[] = []) => detectXenRole(await readXenSignals(nodeFrom(name, unreadable)));

describe('Xen Dom0 detection', () => {
  it('pvops Dom0: features 000228f0 has XENFEAT_dom0 (bit 11)', async () => {
    expect(await detect('pvops-dom0')).toMatchObject({ role: 'dom0', decidedBy: '/sys/hypervisor/properties/features = 000228f0 (XENFEAT_dom0 bit 11 set)' });
  });

  it('pvops DomU: features 00002705, bit 11 clear, even with xenfs mounted', async () => {
    expect(await detect('pvops-domu')).toMatchObject({ role: 'domU', decidedBy: '/sys/hypervisor/properties/features = 00002705 (XENFEAT_dom0 bit 11 clear)' });
  });

  it('xenlinux 2.6.18 Dom0 as root: no features file, control_d in /proc/xen/capabilities', async () => {
    expect(await detect('xenlinux-dom0')).toMatchObject({ role: 'dom0', decidedBy: '/proc/xen/capabilities contains control_d' });
  });

  it('xenlinux 2.6.18 Dom0 as a non-root user: capabilities is 0400, so the role is unknown and the message says why', async () => {
    const r = await detect('xenlinux-dom0', ['/proc/xen/capabilities']);
    expect(r.role).toBe('unknown');
    expect(r.decidedBy).toContain('readable only by root');
  });

  it('pvops Dom0 with xenfs not mounted: the features word still decides', async () => {
    expect(await detect('dom0-no-xenfs')).toMatchObject({ role: 'dom0' });
  });

  it('a Xen kernel with neither signal: unknown, telling how to mount xenfs', async () => {
    const r = await detect('xen-unknown');
    expect(r.role).toBe('unknown');
    expect(r.decidedBy).toContain('mount -t xenfs xenfs /proc/xen');
  });

  it('bare metal: none, naming both missing signals', async () => {
    expect(await detect('bare-metal')).toEqual({
      role: 'none', decidedBy: '/sys/hypervisor/type missing, /proc/xen missing', seen: ['/sys/hypervisor/type missing', '/proc/xen missing'],
    });
  });

  it('a KVM guest (empty /sys/hypervisor): none', async () => {
    expect((await detect('kvm-guest')).role).toBe('none');
  });

  it('an existing but empty capabilities file is not control_d (pvops DomU without features)', () => {
    expect(detectXenRole({ hypervisorType: 'xen\n', procXen: true, capabilities: '' }).role).toBe('domU');
  });

  it('a malformed features word does not decide', () => {
    expect(detectXenRole({ hypervisorType: 'xen', features: 'zzz', procXen: true, capabilities: 'control_d' }).decidedBy).toBe('/proc/xen/capabilities contains control_d');
  });
});
