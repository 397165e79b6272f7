import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalHost } from '../../../src/host/local-host.ts';

const isRoot = process.getuid?.() === 0;
const host = new LocalHost();
let dir: string;

beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'vmp-write-')); });
afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

const mode = (p: string) => lstatSync(p).mode & 0o7777;
const leftovers = () => readdirSync(dir).filter((n) => n.includes('.vmp-tmp-'));

describe('LocalHost.writeFileAtomic', () => {
  it('does not write through a symlink planted at the temp name beside the target', async () => {
    const target = join(dir, '50-vm-universe.config');
    const victim = join(dir, 'victim');
    writeFileSync(target, 'old\n');
    writeFileSync(victim, 'precious\n');
    // The name the temp file used to have: predictable from the PID.
    const planted = join(dir, `.50-vm-universe.config.vmp-tmp-${process.pid}`);
    symlinkSync(victim, planted);
    await host.writeFileAtomic(target, 'new\n', { mode: 0o644 });
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(lstatSync(target).isFile()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('new\n');
    expect(readlinkSync(planted)).toBe(victim);
    expect(leftovers()).toEqual([`.50-vm-universe.config.vmp-tmp-${process.pid}`]);
  });

  it.skipIf(!isRoot)('keeps a replaced file\'s mode 0600 and its non-root owner, whatever mode the caller passes', async () => {
    const target = join(dir, 'secret.config');
    writeFileSync(target, 'old\n');
    chmodSync(target, 0o600);
    chownSync(target, 65534, 65534);
    await host.writeFileAtomic(target, 'new\n', { mode: 0o644 });
    const st = lstatSync(target);
    expect(readFileSync(target, 'utf8')).toBe('new\n');
    expect(st.mode & 0o7777).toBe(0o600);
    expect([st.uid, st.gid]).toEqual([65534, 65534]);
  });

  it('keeps a replaced file\'s mode without a mode given', async () => {
    const target = join(dir, 'f');
    writeFileSync(target, 'old\n');
    chmodSync(target, 0o640);
    await host.writeFileAtomic(target, 'new\n');
    expect(mode(target)).toBe(0o640);
  });

  it('a new file gets the requested mode exactly (not narrowed by the umask), else 0644; owned by us', async () => {
    await host.writeFileAtomic(join(dir, 'a'), 'a\n', { mode: 0o664 });
    await host.writeFileAtomic(join(dir, 'b'), 'b\n', { mode: 0o600 });
    await host.writeFileAtomic(join(dir, 'c'), 'c\n');
    expect([mode(join(dir, 'a')), mode(join(dir, 'b')), mode(join(dir, 'c'))]).toEqual([0o664, 0o600, 0o644]);
    expect(lstatSync(join(dir, 'a')).uid).toBe(process.getuid!());
    expect(leftovers()).toEqual([]);
  });

  it('a symlink at the target itself is replaced by the file; what it pointed to is untouched', async () => {
    const target = join(dir, 'link');
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious\n');
    chmodSync(victim, 0o600);
    symlinkSync(victim, target);
    await host.writeFileAtomic(target, 'new\n', { mode: 0o644 });
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(lstatSync(target).isFile()).toBe(true);
    expect(mode(target)).toBe(0o644);
  });

  it('a failed replacement leaves no temp file behind', async () => {
    const target = join(dir, 'd');
    mkdirSync(target);
    writeFileSync(join(target, 'x'), '');
    await expect(host.writeFileAtomic(target, 'new\n')).rejects.toThrow();
    expect(leftovers()).toEqual([]);
  });
});
