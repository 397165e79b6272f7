// The launcher's V8 code cache is code: it must never come from (or go to) a place another user can write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chmodSync, chownSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';

const BUILD = resolve(import.meta.dirname, '../../../scripts/build.mjs');
const AS_NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];
const isRoot = process.getuid?.() === 0;
// A program big enough for V8 to cache something worth checking.
const PROGRAM = `const parts = [];\nfor (let i = 0; i < 50; i++) parts.push(function f(x) { return x * ${Math.PI} + i; });\nconsole.log('ran ' + parts.length);`;

let base: string;
let launcher: string;
let goodCache: Buffer;

async function run(env: Record<string, string>, args: string[] = ['apply'], asNobody = false) {
  const argv = asNobody ? ['setpriv', [...AS_NOBODY, process.execPath, launcher, ...args]] as const : [process.execPath, [launcher, ...args]] as const;
  const r = await execa(argv[0], [...argv[1]], { env: { VMP_COMPILE_CACHE_DEBUG: '1', ...env }, extendEnv: false, reject: false });
  expect(r.stdout, r.stderr).toBe('ran 50');
  return r.stderr;
}

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    const st = lstatSync(p);
    out[n] = st.isFile() ? readFileSync(p).toString('base64') : `${st.mode}:${st.uid}`;
  }
  return out;
}

/** A directory holding a planted cache file: a valid cache for this program, or bytes V8 would reject. */
function plantedDir(name: string, opts: { uid?: number; mode?: number; valid?: boolean } = {}): string {
  const d = join(base, name);
  mkdirSync(d);
  writeFileSync(join(d, 'compile-test.bin'), opts.valid ? goodCache : Buffer.from('planted code cache'));
  if (opts.uid !== undefined) { chownSync(join(d, 'compile-test.bin'), opts.uid, opts.uid); chownSync(d, opts.uid, opts.uid); }
  chmodSync(d, opts.mode ?? 0o755);
  return d;
}

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'vmp-launcher-'));
  chmodSync(base, 0o755);
  const { launcherSource } = (await import(pathToFileURL(BUILD).href)) as { launcherSource: (program: string, hash: string) => string };
  launcher = join(base, 'vm-provision.mjs');
  writeFileSync(launcher, launcherSource(PROGRAM, 'test'), { mode: 0o755 });
  // A valid cache, made by the launcher itself in a directory of ours.
  const own = join(base, 'own');
  mkdirSync(own, { mode: 0o700 });
  await run({ VMP_COMPILE_CACHE: own });
  goodCache = readFileSync(join(own, 'compile-test.bin'));
}, 60_000);

afterAll(() => { rmSync(base, { recursive: true, force: true }); });

describe('launcher compile cache', { timeout: 60_000 }, () => {
  it('creates its directory 0700 and the file 0600, then uses it', async () => {
    const dir = join(base, 'fresh');
    expect(await run({ VMP_COMPILE_CACHE: dir })).toContain(`written: ${dir}/compile-test.bin`);
    expect(lstatSync(dir).mode & 0o7777).toBe(0o700);
    expect(lstatSync(join(dir, 'compile-test.bin')).mode & 0o7777).toBe(0o600);
    expect(await run({ VMP_COMPILE_CACHE: dir })).toContain(`used: ${dir}/compile-test.bin`);
  });

  it('plan and --check never write it', async () => {
    const dir = join(base, 'readonly');
    await run({ VMP_COMPILE_CACHE: dir }, ['plan', 'x.yaml']);
    await run({ VMP_COMPILE_CACHE: dir }, ['apply', 'x.yaml', '--check']);
    expect(existsSync(dir)).toBe(false);
  });

  it.skipIf(!isRoot)('a directory owned by another user: its cache is neither read nor rewritten', async () => {
    for (const valid of [true, false]) {
      const dir = plantedDir(`other-owner-${valid}`, { uid: 65534, mode: 0o777, valid });
      const before = snapshot(dir);
      const log = await run({ VMP_COMPILE_CACHE: dir });
      expect(log).toContain(`not used: ${dir} is owned by uid 65534`);
      expect(log).not.toMatch(/compile cache: (used|written|rejected)/);
      expect(snapshot(dir)).toEqual(before);
    }
  });

  it('a directory of ours that others can write (no sticky bit), or under such a parent: not used, not written', async () => {
    const dir = plantedDir('world-writable', { mode: 0o777 });
    chmodSync(dir, 0o777);
    const before = snapshot(dir);
    expect(await run({ VMP_COMPILE_CACHE: dir })).toContain(`not used: ${dir} is writable by group or others`);
    expect(snapshot(dir)).toEqual(before);
    const parent = join(base, 'open-parent');
    mkdirSync(parent);
    chmodSync(parent, 0o777);
    const inner = join(parent, 'cache');
    const log = await run({ VMP_COMPILE_CACHE: inner });
    expect(log).toContain(`${parent} is writable by group or others`);
    expect(existsSync(inner)).toBe(false);
  });

  it('a symlink as the directory, or at the cache file, is not followed', async () => {
    const real = plantedDir('real', { mode: 0o700, valid: true });
    const link = join(base, 'link');
    symlinkSync(real, link);
    const before = snapshot(real);
    expect(await run({ VMP_COMPILE_CACHE: link })).toContain(`not used: ${link} is a symbolic link`);
    expect(snapshot(real)).toEqual(before);

    const dir = join(base, 'file-link');
    mkdirSync(dir, { mode: 0o700 });
    const victim = join(base, 'victim.bin');
    writeFileSync(victim, goodCache);
    symlinkSync(victim, join(dir, 'compile-test.bin'));
    expect(await run({ VMP_COMPILE_CACHE: dir })).toContain('ELOOP');
    expect(readFileSync(victim)).toEqual(goodCache);
  });

  it.skipIf(!isRoot)('a cache file of another owner in our directory is not used and is replaced by ours', async () => {
    const dir = join(base, 'foreign-file');
    mkdirSync(dir, { mode: 0o700 });
    copyFileSync(join(base, 'own', 'compile-test.bin'), join(dir, 'compile-test.bin'));
    chownSync(join(dir, 'compile-test.bin'), 65534, 65534);
    const log = await run({ VMP_COMPILE_CACHE: dir });
    expect(log).toContain('is owned by uid 65534');
    expect(log).toContain('written');
    expect(lstatSync(join(dir, 'compile-test.bin')).uid).toBe(0);
  });

  it.skipIf(!isRoot)('non-root run: a $TMPDIR/vm-provision-<uid> planted by another user is not used; its own one is', async () => {
    const tmp = join(base, 'tmp');
    mkdirSync(tmp);
    chmodSync(tmp, 0o1777);
    const planted = join(tmp, 'vm-provision-65534');
    mkdirSync(planted);
    writeFileSync(join(planted, 'compile-test.bin'), 'planted code cache');
    chownSync(planted, 12345, 12345);
    chmodSync(planted, 0o777);
    const before = snapshot(planted);
    expect(await run({ TMPDIR: tmp }, ['apply'], true)).toContain(`not used: ${planted} is owned by uid 12345`);
    expect(snapshot(planted)).toEqual(before);

    rmSync(planted, { recursive: true });
    expect(await run({ TMPDIR: tmp }, ['apply'], true)).toContain('written');
    expect(lstatSync(planted)).toMatchObject({ uid: 65534 });
    expect(lstatSync(planted).mode & 0o7777).toBe(0o700);
    expect(await run({ TMPDIR: tmp }, ['apply'], true)).toContain('compile cache: used: ');
  });
});
