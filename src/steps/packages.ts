// Packages: install the VM-universe tools that are missing (checked first; nothing is reinstalled).
import { VmpError } from '../errors/vmp-error.ts';
import { installArgv, installedPackages, installPackages } from '../packages/package-manager.ts';
import { requirements } from '../packages/requirements.ts';
import { guardStockInitrds } from '../packages/stock-initrd-guard.ts';
import { refuseUnexecutableGahp } from '../packages/gahp-binary.ts';
import type { Step } from './step.ts';

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
      return { status: 'ok', summary: present };
    }
    const [cmd, args] = installArgv(pm, missing);
    if (!profile.packages.install) {
      throw new VmpError('PACKAGES', `missing packages: ${missing.join(', ')} (packages.install is false)`, { hint: `install them: ${cmd} ${args.join(' ')}` });
    }
    state.packagesToInstall = missing;
    if (ctx.check) return { status: 'pending', summary: `would install ${missing.join(', ')}`, changes: missing.map((p) => `install ${p}`) };
    ctx.progress(`installing ${missing.join(', ')}`);
    const { warnings } = await guardStockInitrds(host, () => installPackages(host, pm, missing));
    const now = await installedPackages(host, pm, missing);
    const still = missing.filter((p) => !now.has(p));
    if (still.length) throw new VmpError('PACKAGES', `${cmd} succeeded but ${still.join(', ')} still not installed`, { context: { command: [cmd, ...args] } });
    state.packagesInstalled = missing;
    await refuseUnexecutableGahp(host, facts);
    return { status: 'changed', summary: `installed ${missing.join(', ')}`, changes: missing.map((p) => `installed ${p}`), warnings };
  },
};
