// Base images, built once and cached by a hash of their package lists: bare, full, and a local package repository.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, renameSync, readdirSync, chmodSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './exec.ts';
import { hostDebianMirror } from './mirror.ts';
import {
  BARE_PACKAGES, CACHE_DIR, FULL_PACKAGES, NODE_REPO, POOL_CONFIG, REPO_EXTRAS, SUITE, imageKey,
} from './config.ts';
import { withFileLock } from './lock.ts';
import { ensureHostTools } from './prereqs.ts';

export type Flavor = 'bare' | 'full';
export interface Images { key: string; dir: string; bare: string; full: string; repo: string; built: boolean; seconds: number }

const log = (msg: string) => process.stderr.write(`[testbed] ${msg}\n`);

export function imagePaths(key = imageKey()) {
  const dir = join(CACHE_DIR, `images-${key}`);
  return { key, dir, bare: join(dir, 'bare'), full: join(dir, 'full'), repo: join(dir, 'repo'), done: join(dir, 'COMPLETE') };
}


export async function ensureImages(): Promise<Images> {
  await ensureHostTools(log);
  const p = imagePaths();
  if (existsSync(p.done)) return { ...p, built: false, seconds: 0 };
  mkdirSync(CACHE_DIR, { recursive: true });
  return withFileLock(join(CACHE_DIR, 'build.lock'), async () => {
    if (existsSync(p.done)) return { ...p, built: false, seconds: 0 };
    const t0 = Date.now();
    await buildImages(p);
    const seconds = (Date.now() - t0) / 1000;
    log(`images ${p.key} built in ${seconds.toFixed(0)} s`);
    pruneOldImages(p.key);
    return { ...p, built: true, seconds };
  });
}

/** Old images go, except those still under a running node's overlay. */
function pruneOldImages(keep: string) {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  for (const d of readdirSync(CACHE_DIR)) {
    if (!d.startsWith('images-') || d === `images-${keep}` || d.endsWith('.tmp')) continue;
    if (mounts.includes(join(CACHE_DIR, d) + '/')) continue;
    rmSync(join(CACHE_DIR, d), { recursive: true, force: true });
  }
}

const APT_ENV = { DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C.UTF-8', PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };

async function chrootRun(root: string, args: string[]) {
  return run('chroot', [root, ...args], { env: APT_ENV, extendEnv: false });
}

/** /proc, /sys, /dev inside a root while packages install; always unmounted. */
async function withChrootMounts<T>(root: string, extra: Array<[src: string, dst: string]>, fn: () => Promise<T>): Promise<T> {
  const mounted: string[] = [];
  try {
    for (const [type, dst] of [['proc', 'proc'], ['sysfs', 'sys']] as const) {
      await run('mount', ['-t', type, type, join(root, dst)]);
      mounted.push(join(root, dst));
    }
    await run('mount', ['--rbind', '/dev', join(root, 'dev')]);
    await run('mount', ['--make-rslave', join(root, 'dev')]);
    mounted.push(join(root, 'dev'));
    for (const [src, dst] of extra) {
      mkdirSync(join(root, dst), { recursive: true });
      await run('mount', ['--bind', src, join(root, dst)]);
      mounted.push(join(root, dst));
    }
    writeFileSync(join(root, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 });
    return await fn();
  } finally {
    rmSync(join(root, 'usr/sbin/policy-rc.d'), { force: true });
    for (const m of mounted.reverse()) await run('umount', ['-R', '-l', m], { allowFail: true });
  }
}

async function buildImages(p: ReturnType<typeof imagePaths>) {
  const tmp = `${p.dir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const bare = join(tmp, 'bare');
  const full = join(tmp, 'full');
  const repo = join(tmp, 'repo');
  const mirror = hostDebianMirror();
  let t = Date.now();
  const lap = (what: string) => { log(`${what}: ${((Date.now() - t) / 1000).toFixed(1)} s`); t = Date.now(); };

  log(`debootstrap ${SUITE} from the host's configured mirror`);
  await run('debootstrap', ['--variant=minbase', '--include=ca-certificates', SUITE, bare, mirror]);
  lap('debootstrap');

  await withChrootMounts(bare, [], async () => {
    await chrootRun(bare, ['apt-get', 'update', '-q']);
    await chrootRun(bare, ['apt-get', 'install', '-y', '-q', '--no-install-recommends', ...BARE_PACKAGES]);
    lap('bare packages');
    await chrootRun(bare, ['apt-get', 'clean']);
    // Everything full + extras need beyond bare, with dependencies, resolved against bare.
    await chrootRun(bare, ['apt-get', 'install', '-y', '-q', '--download-only', '--no-install-recommends', ...FULL_PACKAGES, ...REPO_EXTRAS]);
    lap('repository downloads');
  });

  mkdirSync(repo, { recursive: true });
  const archives = join(bare, 'var/cache/apt/archives');
  for (const f of readdirSync(archives)) if (f.endsWith('.deb')) renameSync(join(archives, f), join(repo, f));
  const idx = await run('dpkg-scanpackages', ['--multiversion', '.', '/dev/null'], { cwd: repo });
  writeFileSync(join(repo, 'Packages'), idx.stdout + '\n');
  await run('gzip', ['-k9', 'Packages'], { cwd: repo });
  writeFileSync(join(repo, 'Release'), `Origin: vm-provision-testbed\nLabel: vm-provision-testbed\nSuite: ${SUITE}\n`);
  chmodSync(repo, 0o755);

  configureNodeRoot(bare);
  // The node's only apt source is the local repository, bind-mounted read-only at boot.
  writeFileSync(join(bare, 'etc/apt/sources.list'), `deb [trusted=yes] file:${NODE_REPO} ./\n`);
  rmSync(join(bare, 'etc/apt/sources.list.d'), { recursive: true, force: true });
  mkdirSync(join(bare, 'etc/apt/sources.list.d'));
  await withChrootMounts(bare, [[repo, NODE_REPO]], async () => {
    await chrootRun(bare, ['apt-get', 'update', '-q']);
  });
  lap('bare configured');

  await run('cp', ['-a', '--reflink=auto', bare, full]);
  await withChrootMounts(full, [[repo, NODE_REPO]], async () => {
    await chrootRun(full, ['apt-get', 'install', '-y', '-q', '--no-install-recommends', ...FULL_PACKAGES]);
    await chrootRun(full, ['apt-get', 'clean']);
  });
  // libvirt's default network would want dnsmasq and a bridge: tests do not use it.
  rmSync(join(full, 'etc/libvirt/qemu/networks/autostart/default.xml'), { force: true });
  lap('full from the local repository');

  writeFileSync(join(tmp, 'COMPLETE'), JSON.stringify({ key: p.key, builtAt: new Date().toISOString() }) + '\n');
  rmSync(p.dir, { recursive: true, force: true });
  renameSync(tmp, p.dir);
}

/** Settings every node needs to boot fast under systemd-nspawn and be reachable. */
function configureNodeRoot(root: string) {
  writeFileSync(join(root, 'etc/condor/config.d/00-testbed-pool.config'), POOL_CONFIG);
  writeFileSync(join(root, 'etc/machine-id'), '');
  mkdirSync(join(root, 'root/.ssh'), { recursive: true, mode: 0o700 });
  mkdirSync(join(root, NODE_REPO), { recursive: true });
  // Units that only slow a container's boot or fail in it.
  const wants = join(root, 'etc/systemd/system');
  for (const unit of ['apt-daily.timer', 'apt-daily-upgrade.timer', 'dpkg-db-backup.timer', 'e2scrub_all.timer',
    'fstrim.timer', 'systemd-networkd-wait-online.service', 'console-getty.service', 'getty@.service']) {
    rmSync(join(wants, unit), { force: true });
    symlinkSync('/dev/null', join(wants, unit));
  }
}

export function diskUsage(path: string): Promise<string> {
  return run('du', ['-sh', path]).then((r) => r.stdout.split('\t')[0] ?? '?');
}

