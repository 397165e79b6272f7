// Parsers for /lib/modules/KVER/modules.dep, modules.builtin and modules.builtin.modinfo. Pure.
import { normalizeModuleName } from './names.ts';

const MODULE_FILE = /\.ko(\.(xz|zst|gz|bz2))?$/;

/** xen-netfront for .../xen-netfront.ko.xz (undefined when the path is not a module file). */
export function moduleNameFromPath(path: string): string | undefined {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return MODULE_FILE.test(base) ? base.replace(MODULE_FILE, '') : undefined;
}

/**
 * modules.dep → normalized module name → path relative to /lib/modules/KVER. Accepts the absolute paths old
 * module-init-tools wrote (/lib/modules/2.6.18-…/kernel/…) and backslash-continued lines.
 */
export function parseModulesDep(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.replace(/\\\r?\n/g, ' ').split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0 || line.trimStart().startsWith('#')) continue;
    const path = line.slice(0, colon).trim().replace(/^\/lib\/modules\/[^/]+\//, '');
    const name = moduleNameFromPath(path);
    if (name && !out.has(normalizeModuleName(name))) out.set(normalizeModuleName(name), path);
  }
  return out;
}

/** modules.builtin (one kernel/…/name.ko a line) → normalized names. */
export function parseModulesBuiltin(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const name = moduleNameFromPath(line.trim());
    if (name) out.add(normalizeModuleName(name));
  }
  return out;
}

/** modules.builtin.modinfo (NUL-separated `module.key=value`) → normalized names of the built-in modules. */
export function parseModulesBuiltinModinfo(text: string): Set<string> {
  const out = new Set<string>();
  for (const rec of text.split('\0')) {
    const m = /^([^.=\s]+)\.[^=]+=/.exec(rec);
    if (m?.[1]) out.add(normalizeModuleName(m[1]));
  }
  return out;
}
