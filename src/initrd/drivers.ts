// Where each requested front-end driver is for one kernel: a module file, built in, or missing.
import type { Host } from '../host/host.ts';
import { initrdError } from './errors.ts';
import { parseModulesBuiltin, parseModulesBuiltinModinfo, parseModulesDep, moduleNameFromPath } from './modules-files.ts';
import { mapDriverName, normalizeModuleName } from './names.ts';
import { MODULES_DIR, type DriverPlan } from './types.ts';

/** Looks one driver up by the kernel-appropriate name first, then as written. Pure. */
export function planDriver(requested: string, kernelVersion: string, dep: Map<string, string>, builtin: Map<string, string>): DriverPlan | undefined {
  const names = [...new Set([mapDriverName(requested, kernelVersion), requested.trim()])];
  for (const name of names) {
    const file = dep.get(normalizeModuleName(name));
    if (file) return { requested, module: moduleNameFromPath(file) ?? name, state: 'module', file };
  }
  for (const name of names) {
    const b = builtin.get(normalizeModuleName(name));
    if (b) return { requested, module: b, state: 'builtin' };
  }
  return undefined;
}

/** Normalized name → display name of the built-in modules (modules.builtin, else modules.builtin.modinfo). */
function builtinNames(builtinText: string | undefined, modinfoText: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of (builtinText ?? '').split('\n')) {
    const name = moduleNameFromPath(line.trim());
    if (name) out.set(normalizeModuleName(name), name);
  }
  if (modinfoText) {
    // `name.file=drivers/…/xen-fbfront` keeps the dashed spelling when there is one.
    const files = new Map<string, string>();
    for (const rec of modinfoText.split('\0')) {
      const m = /^([^.=\s]+)\.file=(.*)$/.exec(rec);
      if (m?.[1] && m[2]) files.set(normalizeModuleName(m[1]), m[2].slice(m[2].lastIndexOf('/') + 1));
    }
    for (const n of parseModulesBuiltinModinfo(modinfoText)) if (!out.has(n)) out.set(n, files.get(n) ?? n);
  }
  for (const n of parseModulesBuiltin(builtinText ?? '')) if (!out.has(n)) out.set(n, n);
  return out;
}

export async function resolveDrivers(host: Host, kernelVersion: string, requested: string[]): Promise<DriverPlan[]> {
  const dir = `${MODULES_DIR}/${kernelVersion}`;
  const depText = await host.readFile(`${dir}/modules.dep`);
  if (depText === undefined) {
    throw initrdError(`kernel ${kernelVersion} has no ${dir}/modules.dep`, { hint: `run depmod ${kernelVersion}`, context: { file: `${dir}/modules.dep` } });
  }
  const dep = parseModulesDep(depText);
  const builtin = builtinNames(await host.readFile(`${dir}/modules.builtin`), await host.readFile(`${dir}/modules.builtin.modinfo`));
  const plans: DriverPlan[] = [];
  for (const r of requested) {
    const plan = planDriver(r, kernelVersion, dep, builtin);
    if (!plan) {
      const mapped = mapDriverName(r, kernelVersion);
      const tried = mapped === r.trim() ? `"${r}"` : `"${mapped}" or "${r}"`;
      throw initrdError(`driver ${r} is not available for kernel ${kernelVersion}: no module ${tried} in ${dir}/modules.dep and none built in (modules.builtin)`, {
        hint: `check the name (xenlinux 2.6.18 kernels call them xennet/xenblk, later ones xen-netfront/xen-blkfront); modinfo -k ${kernelVersion} ${mapped}`,
        context: { file: `${dir}/modules.dep` },
      });
    }
    if (!plans.some((p) => normalizeModuleName(p.module) === normalizeModuleName(plan.module))) plans.push(plan);
  }
  return plans;
}
