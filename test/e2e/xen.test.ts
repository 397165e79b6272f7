// Xen on real testbed nodes (which are not, and cannot be, a Xen Dom0): refusal with requireDom0, and staged
// mode — tools installed from the local repository, a real initrd built with dracut and with mkinitramfs for
// the node's installed Debian kernel, the stock initrd untouched, XEN_BOOTLOADER = the pygrub found.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startNodes, type TestNode } from '../testbed/nodes.ts';
import { e2eTitle, testbedReason } from '../testbed/harness.ts';
import { ROOT, installAgent, jsonLines, nodeFingerprint, putProfile, vmp } from './agent.ts';

const staged = readFileSync(join(ROOT, 'examples/xen-staged.yaml'), 'utf8');
const CONFIG = '/etc/condor/config.d/50-vm-universe.config';

async function installedKernel(node: TestNode): Promise<string> {
  return (await node.ssh(['ls', '/lib/modules'])).stdout.trim().split('\n')[0]!;
}

describe.skipIf(testbedReason())(e2eTitle('xen: requireDom0 on a node that is not a Dom0 (full node)'), () => {
  let node: TestNode;
  beforeAll(async () => { [node] = await startNodes({ flavor: 'full' }) as [TestNode]; await installAgent(node); });
  afterAll(async () => { await node?.stop(); });

  it('exits 1 before any change, saying what was found and what to do', async () => {
    const before = await nodeFingerprint(node);
    const r = await vmp(node, ['apply', '/root/examples/xen-node.yaml', '--no-progress']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(1);
    const running = (await node.ssh(['uname', '-r'])).stdout.trim();
    expect(r.stderr).toContain(`not a Xen Dom0: /sys/hypervisor/type missing, /proc/xen missing; running kernel ${running}`);
    expect(r.stderr).toContain('set xen.requireDom0: false');
    expect(r.stdout).toMatch(/\[skipped\] packages/);
    expect(await nodeFingerprint(node)).toBe(before);
  });

  it('facts show the Xen role and the signal that decided', async () => {
    const r = await vmp(node, ['facts', '--json']);
    const facts = JSON.parse(r.stdout) as { xen: { role: string; decidedBy: string } };
    expect(facts.xen.role).toBe('none');
    expect(facts.xen.decidedBy).toBe('/sys/hypervisor/type missing, /proc/xen missing');
  });
});

describe.skipIf(testbedReason())(e2eTitle('xen: staged mode on a bare node (dracut, then mkinitramfs)'), () => {
  let node: TestNode;
  let kver: string;
  let stockHash: string;
  let dracutProfile: string;
  const output = () => `/boot/initrd-${kver}-condor-xen.img`;
  beforeAll(async () => {
    [node] = await startNodes({ flavor: 'bare' }) as [TestNode];
    await installAgent(node);
    kver = await installedKernel(node);
    stockHash = (await node.ssh(['sha256sum', `/boot/initrd.img-${kver}`])).stdout;
    dracutProfile = await putProfile(node, 'xen-dracut.yaml', staged.replace('kernelVersion: auto', `kernelVersion: ${kver}`));
  });
  afterAll(async () => { await node?.stop(); });

  it('kernelVersion auto: the running kernel has no modules here, so it fails naming the installed kernels', async () => {
    const before = await nodeFingerprint(node);
    const r = await vmp(node, ['apply', '/root/examples/xen-staged.yaml', '--no-progress']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(1);
    const running = (await node.ssh(['uname', '-r'])).stdout.trim();
    expect(r.stderr).toContain(running);
    expect(r.stderr).toContain(kver);
    expect(await nodeFingerprint(node)).toBe(before);
  });

  it('installs the tools, builds the initrd with real dracut, writes the config, defers restart and verification', async () => {
    const t0 = Date.now();
    const r = await vmp(node, ['apply', dracutProfile, '--json', '--detailed-exitcodes']);
    const ms = Date.now() - t0;
    expect(r.exitCode, r.stdout + r.stderr).toBe(2);
    const steps = Object.fromEntries(jsonLines(r.stdout).filter((l) => l.type === 'step').map((l) => [l.step, l]));
    expect(steps.packages?.status).toBe('changed');
    for (const p of ['libvirt-daemon-system', 'libvirt-daemon-driver-xen', 'genisoimage', 'xen-utils-4.20', 'dracut-core']) expect(steps.packages?.summary).toContain(p);
    expect(steps.initrd).toMatchObject({ status: 'changed' });
    expect(steps.restart).toMatchObject({ status: 'pending' });
    expect(String(steps.restart?.summary)).toContain('after booting into the Xen hypervisor');
    expect(steps.verify).toMatchObject({ status: 'pending' });
    const listing = (await node.ssh(['lsinitrd', output()])).stdout;
    expect(listing).toMatch(/xen-netfront\.ko/);
    expect(listing).toMatch(/xen-blkfront\.ko/);
    expect((await node.ssh(['sha256sum', `/boot/initrd.img-${kver}`])).stdout).toBe(stockHash);
    const config = (await node.ssh(['cat', CONFIG])).stdout;
    expect(config).toMatch(/^XEN_BOOTLOADER\s+= \/usr\/lib\/xen-4\.20\/bin\/pygrub$/m);
    expect(config).toMatch(/^VM_TYPE\s+= xen$/m);
    expect(config).toContain(`XenInitrd`);
    expect(config).toContain(output());
    const manifest = JSON.parse((await node.ssh(['cat', `${output()}.manifest.json`])).stdout) as { kernelVersion: string; tool: string };
    expect(manifest).toMatchObject({ kernelVersion: kver, tool: 'dracut' });
    process.stderr.write(`[xen] staged apply with dracut build: ${(ms / 1000).toFixed(1)} s\n`);
  });

  it('a second run rebuilds nothing', async () => {
    const t0 = Date.now();
    const r = await vmp(node, ['apply', dracutProfile, '--json', '--detailed-exitcodes']);
    const ms = Date.now() - t0;
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const steps = Object.fromEntries(jsonLines(r.stdout).filter((l) => l.type === 'step').map((l) => [l.step, l.status]));
    expect(steps).toMatchObject({ packages: 'ok', services: 'ok', initrd: 'ok', 'condor-config': 'ok', restart: 'pending', verify: 'pending' });
    process.stderr.write(`[xen] second staged apply (no rebuild): ${(ms / 1000).toFixed(2)} s\n`);
  });

  it('a truncated image is rebuilt by the next run', async () => {
    await node.ssh(['truncate', '-s', '4096', output()]);
    const r = await vmp(node, ['apply', dracutProfile, '--json']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const step = jsonLines(r.stdout).find((l) => l.step === 'initrd');
    expect(step).toMatchObject({ status: 'changed' });
    expect(String(step?.summary)).toMatch(/corrupt|changed/);
    expect((await node.ssh(['lsinitrd', output()])).stdout).toMatch(/xen-blkfront\.ko/);
  });

  it('the same with mkinitramfs (initramfs-tools is already on the node)', async () => {
    const out = `/boot/initrd-${kver}-condor-xen-itools.img`;
    const profile = await putProfile(node, 'xen-mkinitramfs.yaml', staged
      .replace('kernelVersion: auto', `kernelVersion: ${kver}`)
      .replace('tool: dracut', 'tool: mkinitramfs\n    output: /boot/initrd-{kernelVersion}-condor-xen-itools.img'));
    const r = await vmp(node, ['apply', profile, '--json']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(jsonLines(r.stdout).find((l) => l.step === 'initrd')).toMatchObject({ status: 'changed' });
    const listing = (await node.ssh(['lsinitramfs', out])).stdout;
    expect(listing).toMatch(/xen-netfront\.ko/);
    expect(listing).toMatch(/xen-blkfront\.ko/);
    expect((await node.ssh(['sha256sum', `/boot/initrd.img-${kver}`])).stdout).toBe(stockHash);
    expect((await node.ssh(['ls', '/etc/initramfs-tools/modules'])).exitCode).toBe(0);
    expect((await node.ssh(['grep', '-c', 'xen', '/etc/initramfs-tools/modules'])).stdout.trim()).toBe('0');
  });

  it('refuses a profile whose output is the stock initrd, through a symlink too', async () => {
    await node.ssh(['ln', '-sf', `/boot/initrd.img-${kver}`, '/boot/sneaky.img']);
    const profile = await putProfile(node, 'xen-stock.yaml', staged
      .replace('kernelVersion: auto', `kernelVersion: ${kver}`)
      .replace('tool: dracut', 'tool: dracut\n    output: /boot/sneaky.img'));
    const before = (await node.ssh(['sha256sum', `/boot/initrd.img-${kver}`])).stdout;
    const r = await vmp(node, ['apply', profile, '--no-progress']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(/stock initrd/);
    expect((await node.ssh(['sha256sum', `/boot/initrd.img-${kver}`])).stdout).toBe(before);
    const bad = await putProfile(node, 'xen-stock-name.yaml', staged.replace('tool: dracut', 'tool: dracut\n    output: /boot/initrd.img-{kernelVersion}'));
    const v = await vmp(node, ['validate', bad]);
    expect(v.exitCode).toBe(65);
    expect(v.stderr).toMatch(/xen\.initrd\.output/);
  });
});
