// Packages: install the VM-universe tools that are missing (checked first; nothing is reinstalled).
import { setTimeout as sleep } from 'node:timers/promises';
import { VmpError, commandContext } from '../errors/vmp-error.ts';
import { installArgv, installedPackages, installPackages } from '../packages/package-manager.ts';
import { requirements } from '../packages/requirements.ts';
import { guardStockInitrds } from '../packages/stock-initrd-guard.ts';
import { refuseUnexecutableGahp } from '../packages/gahp-binary.ts';
import type { RunContext, Step } from './step.ts';
import { nodeIsoNow } from './restart.ts';

const DPKG_ENV = { DEBIAN_FRONTEND: 'noninteractive', NEEDRESTART_MODE: 'l' };
/** How long to wait for the dpkg lock an orphaned apt-get/dpkg of a killed run still holds. */
export const lockWait = { totalMs: 600_000, stepMs: 2000 };

/**
 * An install of ours that a killed run left unfinished (journal: pendingInstall): its apt-get/dpkg, orphaned, may
 * still hold dpkg's lock or have died mid-unpack. Wait for the lock, let dpkg finish configuring, and fix what
 * the interrupted unpack left broken. Only our own install: an interrupted dpkg of someone else's is named, not fixed.
 */
async function finishOwnInstall(ctx: RunContext): Promise<string | undefined> {
  const pending = ctx.journal.data.pendingInstall;
  if (!pending || ctx.facts.packageManager !== 'apt-get') return undefined;
  const what = `the install of ${pending.packages.join(' ')} a previous run started at ${pending.since} and did not finish`;
  if (ctx.check) return `would finish ${what} (dpkg --configure -a)`;
  const until = Date.now() + lockWait.totalMs;
  let r = await ctx.host.exec('dpkg', ['--configure', '-a'], { env: DPKG_ENV, timeoutMs: 30 * 60_000 });
  while (r.exitCode !== 0 && /\block\b|locked/i.test(r.stderr) && Date.now() < until) {
    ctx.progress(`waiting for dpkg's lock: ${r.stderr.trim().split('\n').at(-1)}`);
    await sleep(lockWait.stepMs);
    r = await ctx.host.exec('dpkg', ['--configure', '-a'], { env: DPKG_ENV, timeoutMs: 30 * 60_000 });
  }
  const done = [`dpkg --configure -a${r.exitCode === 0 ? '' : ` (exit ${r.exitCode})`}`];
  if (r.exitCode !== 0) {
    // An unpack cut short leaves packages whose dependencies never arrived: apt completes them.
    const f = await ctx.host.exec('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'install', '-f', '-y', '-q', '--no-install-recommends'], { env: DPKG_ENV, timeoutMs: 30 * 60_000 });
    if (f.exitCode !== 0) {
      throw new VmpError('PACKAGES', `${what}: dpkg --configure -a and apt-get install -f failed (exit ${r.exitCode}, ${f.exitCode})`, {
        hint: 'run dpkg --configure -a and apt-get install -f by hand to see why, then run vm-provision again', context: commandContext(f),
      });
    }
    done.push('apt-get install -f');
  }
  await ctx.journal.update({}, ['pendingInstall']);
  return `finished ${what}: ${done.join(', ')}`;
}

export const packages: Step = {
  id: 'packages',
  title: 'Packages: the hypervisor\'s tools and condor-vm-gahp',
  async run(ctx) {
    const { facts, host, profile, state } = ctx;
    const pm = facts.packageManager;
    if (!pm || facts.os.family === 'unknown') {
      throw new VmpError('PACKAGES', `no package map for ${facts.os.prettyName} (ID=${facts.os.id}${facts.os.idLike.length ? `, ID_LIKE=${facts.os.idLike.join(' ')}` : ''}; package manager: ${pm ?? 'none found'})`, {
        hint: 'install the tools by hand and set packages.install: false',
      });
    }
    const unfinished = ctx.journal.data.pendingInstall?.packages ?? [];
    const finished = await finishOwnInstall(ctx);
    // What dpkg finished counts as installed by this run for the later steps (services re-reads the units).
    if (finished) {
      if (ctx.check) state.packagesToInstall = [...unfinished];
      else state.packagesInstalled = [...unfinished];
    }
    const reqs = await requirements(host, profile, facts);
    const unresolvable = reqs.filter((r) => !r.satisfiedBy && !r.packages.length);
    if (unresolvable.length) {
      throw new VmpError('PACKAGES', `no package provides ${unresolvable.map((r) => r.what).join(', ')} on ${facts.os.prettyName}`, {
        hint: 'install it by hand (or choose another tool in the profile), then run again',
      });
    }
    const wanted = [...new Set(reqs.filter((r) => !r.satisfiedBy).flatMap((r) => r.packages))];
    const installed = await installedPackages(host, pm, wanted);
    const missing = wanted.filter((p) => !installed.has(p));
    const byBinary = reqs.filter((r) => r.satisfiedBy).map((r) => `${r.what}: ${r.satisfiedBy}`);
    const present = `${wanted.length} packages present${byBinary.length ? `; ${byBinary.join('; ')}` : ''}`;
    if (!missing.length) {
      await refuseUnexecutableGahp(host, facts);
      return finished ? { status: ctx.check ? 'pending' : 'changed', summary: `${finished}; ${present}`, changes: [finished] } : { status: 'ok', summary: present };
    }
    const [cmd, args] = installArgv(pm, missing);
    if (!profile.packages.install) {
      throw new VmpError('PACKAGES', `missing packages: ${missing.join(', ')} (packages.install is false)`, { hint: `install them: ${cmd} ${args.join(' ')}` });
    }
    state.packagesToInstall = [...new Set([...state.packagesToInstall, ...missing])];
    if (ctx.check) return { status: 'pending', summary: `would install ${missing.join(', ')}`, changes: missing.map((p) => `install ${p}`) };
    ctx.progress(`installing ${missing.join(', ')}`);
    // Journal first: a run killed mid-install lets the next one finish what dpkg left unfinished.
    await ctx.journal.update({ pendingInstall: { packages: missing, since: await nodeIsoNow(ctx) } });
    const { warnings } = await guardStockInitrds(host, () => installPackages(host, pm, missing));
    const now = await installedPackages(host, pm, missing);
    const still = missing.filter((p) => !now.has(p));
    if (still.length) throw new VmpError('PACKAGES', `${cmd} succeeded but ${still.join(', ')} still not installed`, { context: { command: [cmd, ...args] } });
    await ctx.journal.update({}, ['pendingInstall']);
    state.packagesInstalled = [...new Set([...state.packagesInstalled, ...missing])];
    await refuseUnexecutableGahp(host, facts);
    return { status: 'changed', summary: `${finished ? `${finished}; ` : ''}installed ${missing.join(', ')}`, changes: [...(finished ? [finished] : []), ...missing.map((p) => `installed ${p}`)], warnings };
  },
};
