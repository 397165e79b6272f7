// The testbed itself: real booted nodes with SSH, HTCondor, and a local package repository.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startNodes, leftovers, type TestNode } from './nodes.ts';
import { e2eTitle, kvmTitle, testbedReason } from './harness.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KVM_ENV } from './kvm.ts';
import { CACHE_DIR } from './config.ts';

const KVM_KNOBS = `VM_TYPE = kvm
VM_GAHP_SERVER = $(SBIN)/condor_vm-gahp
VM_GAHP_LOG = $(LOG)/VMGahpLog
VM_MEMORY = 1024
VM_MAX_NUMBER = 2
VM_NETWORKING = false
`;

describe.skipIf(testbedReason())(e2eTitle('testbed: bare node'), () => {
  let node: TestNode;
  beforeAll(async () => { [node] = await startNodes({ flavor: 'bare' }) as [TestNode]; });
  afterAll(async () => { await node?.stop(); });

  it('answers SSH as root', async () => {
    const r = await node.ssh(['id', '-u']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim()).toBe('0');
  });

  it('lists its own slot in condor_status', async () => {
    const r = await node.ssh(['condor_status', '-af', 'Name']);
    expect(r.stdout).toContain(`slot1@${node.name}`);
  });

  it('runs condor and ssh under systemd', async () => {
    const r = await node.ssh(['systemctl', 'is-active', 'condor', 'ssh']);
    expect(r.stdout.split('\n')).toEqual(['active', 'active']);
  });

  it('has a /dev/kvm device node 10:232, the one its record names (the host\'s, or a placeholder)', async () => {
    const r = await node.ssh(['stat', '-c', '%F %t:%T', '/dev/kvm']);
    expect(r.stdout.trim()).toBe('character special file a:e8');
    expect(node.kvm).toBe(inject('testbedKvm'));
  });

  it('has no VM stack yet, and a stock initrd for its Debian kernel', async () => {
    expect((await node.ssh(['sh', '-c', 'command -v virsh libvirtd || true'])).stdout.trim()).toBe('');
    expect((await node.sh('ls /boot/initrd.img-*')).exitCode).toBe(0);
  });

  it('installs libvirt and QEMU from the local repository, with no network', async () => {
    const r = await node.ssh(['apt-get', 'install', '-y', '-q', '--no-install-recommends', 'libvirt-daemon-system', 'qemu-system-x86'], { timeoutMs: 300_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    expect((await node.ssh(['dpkg-query', '-W', '-f', '${Status}', 'libvirt-daemon-system'])).stdout).toBe('install ok installed');
    const src = await node.sh('cat /etc/apt/sources.list; ls /etc/apt/sources.list.d');
    expect(src.stdout.trim()).toBe('deb [trusted=yes] file:/srv/vm-provision-repo ./');
  });
});

describe.skipIf(testbedReason())(kvmTitle('testbed: full node carries the VM universe'), () => {
  let node: TestNode;
  beforeAll(async () => { [node] = await startNodes({ flavor: 'full' }) as [TestNode]; });
  afterAll(async () => { await node?.stop(); });

  it('advertises VmType kvm within 60 s of condor_restart -startd with the KVM knobs', async () => {
    await node.ssh(['tee', '/etc/condor/config.d/50-vm.config'], { input: KVM_KNOBS });
    expect((await node.ssh(['condor_restart', '-startd'])).exitCode).toBe(0);
    const t0 = Date.now();
    let out = '';
    while (Date.now() - t0 < 60_000) {
      out = (await node.ssh(['condor_status', '-vm', '-af', 'Name', 'VM_Type', 'VM_Memory'])).stdout;
      if (out.includes('kvm')) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(out).toContain(`slot1@${node.name} kvm 1024`);
    process.stderr.write(`[testbed] VmType kvm after ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  });
});

describe.skipIf(testbedReason())(e2eTitle('testbed: isolation and teardown'), () => {
  it('nodes do not share cgroups: a unit stopped in one node keeps running in the other, and a torn-down node takes nothing with it', async () => {
    const [a, b] = await startNodes({ flavor: 'bare', count: 2 }) as [TestNode, TestNode];
    try {
      const pidB = (await b.ssh(['pgrep', '-x', 'condor_master'])).stdout.trim();
      expect(pidB).toMatch(/^\d+$/);
      await a.ssh(['systemctl', 'stop', 'condor']);
      expect((await b.ssh(['pgrep', '-x', 'condor_master'])).stdout.trim()).toBe(pidB);
      await a.stop();
      expect((await b.ssh(['systemctl', 'is-active', 'condor', 'ssh'])).stdout.split('\n')).toEqual(['active', 'active']);
      expect((await b.ssh(['pgrep', '-x', 'condor_master'])).stdout.trim()).toBe(pidB);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it(`${KVM_ENV}=placeholder gives a node the placeholder /dev/kvm even where the host has the device`, async () => {
    const before = process.env[KVM_ENV];
    process.env[KVM_ENV] = 'placeholder';
    try {
      const [n] = await startNodes({ flavor: 'bare' }) as [TestNode];
      try {
        expect(n.kvm).toBe('placeholder');
        expect((await n.ssh(['stat', '-c', '%F %t:%T', '/dev/kvm'])).stdout.trim()).toBe('character special file a:e8');
        // Bound from the placeholder node, not from the host's /dev/kvm.
        expect(readFileSync(`/proc/${n.pid}/cmdline`, 'utf8').split('\0')).toContain(`--bind=${join(CACHE_DIR, 'kvm-placeholder')}:/dev/kvm`);
      } finally { await n.stop(); }
    } finally {
      if (before === undefined) delete process.env[KVM_ENV]; else process.env[KVM_ENV] = before;
    }
  });

  it('leaves no network namespace, veth, mount or process behind', async () => {
    const nodes = await startNodes({ flavor: 'bare', count: 2 });
    for (const n of nodes) expect(leftovers(n.name, n.slot).netns).toBe(true);
    for (const n of nodes) await n.stop();
    for (const n of nodes) expect(leftovers(n.name, n.slot)).toEqual({ netns: false, mounts: false, veth: false, processes: [], cgroups: false });
  });
});
