// `vm-provision render`: the command as registered on a program, with errors mapped to exit codes by the same
// functions main.ts's top-level handler uses (main.ts runs itself on import, so it is not imported here).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { localCondorVersion, parseVersionFlag, previewFound, registerRenderCommand } from '../../../src/cli/render-command.ts';
import { toVmpError } from '../../../src/engine/apply.ts';
import { exitCodeForError } from '../../../src/cli/exit.ts';
import { FakeHost, output } from '../../helpers/fake-host.ts';
import { RENDER_FIXTURES, profileText, snapshotProfile } from './helpers.ts';

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => { stdout += String(s); return true; });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => { stderr += String(s); return true; });
  try {
    const program = new Command('vm-provision').exitOverride();
    registerRenderCommand(program);
    await program.parseAsync(['node', 'vm-provision', 'render', ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    // As main.ts: commander's own errors (bad option value, …) are usage errors, the rest by their code.
    if (err instanceof CommanderError) return { code: 64, stdout, stderr };
    return { code: exitCodeForError(toVmpError(err)), stdout, stderr: `${stderr}${toVmpError(err).describe()}` };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'vmp-render-'));
const file = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text); return p; };

afterEach(() => { vi.restoreAllMocks(); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

describe('vm-provision render', () => {
  it('prints exactly the snapshot file for the version, nothing else on stdout', async () => {
    const r = await run([file('kvm.yaml', profileText('kvm')), '--condor-version', '23.9.6', '--os', 'linux']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(`${RENDER_FIXTURES}kvm-23.9.6-linux.config`, 'utf8'));
    expect(r.stderr).toBe('');
  });

  it('VMware for Windows', async () => {
    const r = await run([file('vmware.yaml', profileText('vmware')), '--condor-version', '9.11.0', '--os', 'windows']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(`${RENDER_FIXTURES}vmware-9.11.0-windows.config`, 'utf8'));
  });

  it('warnings go to stderr: bridge interface on 7.4.2', async () => {
    const r = await run([file('kvm.yaml', profileText('kvm')), '--condor-version', '7.4.2']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('warning: VM_NETWORKING_BRIDGE_INTERFACE is not read before HTCondor 7.4.3, nor by 7.5.0–7.5.2 (this is 7.4.2): condor.vm.networking.bridgeInterface = br0 is not written\n');
    expect(r.stdout).not.toContain('VM_NETWORKING_BRIDGE_INTERFACE');
  });

  it('VMware on 10.0.0: exit 1 with the clear error, nothing on stdout', async () => {
    const r = await run([file('vmware.yaml', profileText('vmware')), '--condor-version', '10.0.0']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('HTCondor 10.0.0 does not support VMware VM jobs');
    expect(r.stderr).toContain('hint: use HTCondor 7.0–9.11 for VMware');
  });

  it('KVM on 7.2.4: exit 1', async () => {
    expect((await run([file('kvm.yaml', profileText('kvm')), '--condor-version', '7.2.4'])).code).toBe(1);
  });

  it('invalid profile: exit 65 (before the version is even looked at)', async () => {
    const bad = file('bad.yaml', profileText('vmware').replace('perl: perl', 'perl: /usr/sbin/condor_vm_vmware.pl'));
    const r = await run([bad, '--condor-version', '9.0.0']);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('vmware.perl');
  });

  it('bad --condor-version or --os: usage, exit 64', async () => {
    expect((await run([file('kvm.yaml', profileText('kvm')), '--condor-version', 'latest'])).code).toBe(64);
    expect(() => parseVersionFlag('23.9.6-1')).toThrow(/--condor-version must be a version like 23\.9\.6/);
    expect(parseVersionFlag('9.0').text).toBe('9.0.0');
    const r = await run([file('kvm.yaml', profileText('kvm')), '--condor-version', '23.9.6', '--os', 'macos']);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/argument 'macos' is invalid\. Allowed choices are linux, windows/);
  });
});

describe('the version from the local node', () => {
  it('reads condor_version', async () => {
    const host = new FakeHost().on(['condor_version'], { stdout: output('condor_version.stdout') });
    expect((await localCondorVersion(host)).text).toBe('23.9.6');
  });

  it('HTCondor not installed: usage error (exit 64) saying to pass --condor-version', async () => {
    const host = new FakeHost().on(['condor_version'], { exitCode: 127, stderr: 'condor_version: command not found' });
    const e = await localCondorVersion(host).then(() => undefined, (x: unknown) => toVmpError(x));
    expect(e?.code).toBe('USAGE');
    expect(exitCodeForError(e!)).toBe(64);
    expect(e?.message).toContain('pass --condor-version X.Y.Z');
  });
});

describe('values from the node, for render', () => {
  it('explicit profile values are used; auto ones become documented placeholders', () => {
    const auto = previewFound(snapshotProfile('xen'));
    expect(auto.found).toEqual({
      XEN_BOOTLOADER: '/usr/lib/xen-<version>/bin/pygrub',
      XEN_KERNEL: '/boot/vmlinuz-<kernelVersion>',
      XEN_INITRD: '/boot/initrd-<kernelVersion>-condor-xen.img',
    });
    const explicit = previewFound(snapshotProfile('xen', [
      ['kernelVersion: auto', 'kernelVersion: 6.1.0-28-amd64'], ['bootloader: auto', 'bootloader: /usr/bin/pygrub'],
    ]));
    expect(explicit.found).toEqual({
      XEN_BOOTLOADER: '/usr/bin/pygrub',
      XEN_KERNEL: '/boot/vmlinuz-6.1.0-28-amd64',
      XEN_INITRD: '/boot/initrd-6.1.0-28-amd64-condor-xen.img',
    });
    expect(explicit.notes.XEN_BOOTLOADER).toBeUndefined();
    expect(previewFound(snapshotProfile('xen', [['build: true', 'build: false']])).found.XEN_INITRD).toBeUndefined();
    expect(previewFound(snapshotProfile('kvm'))).toEqual({ found: {}, notes: {} });
  });
});
