// The manifest beside each built image: what it was built from, so a later run can tell whether to rebuild.
import type { Host } from '../host/host.ts';
import { commandContext, initrdError } from './errors.ts';
import { MODULES_DIR, type DriverPlan, type InitrdTool } from './types.ts';

export interface InitrdManifest {
  kernelVersion: string;
  tool: InitrdTool;
  drivers: DriverPlan[];
  /** module name → sha256 of its file under /lib/modules/KVER (modules only). */
  moduleHashes: Record<string, string>;
  imageSha256: string;
  imageBytes: number;
  builtAt: string;
  formatVersion: 1;
}

export type DesiredManifest = Pick<InitrdManifest, 'kernelVersion' | 'tool' | 'drivers' | 'moduleHashes'>;

export function manifestPath(output: string): string {
  return `${output}.manifest.json`;
}

/** sha256sum output → path → hash (GNU escapes odd names with a leading backslash). Pure. */
export function parseSha256sum(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\\?([0-9a-f]{64}) [ *](.+)$/.exec(line.trimEnd());
    if (m?.[1] && m[2]) out.set(m[2], m[1]);
  }
  return out;
}

/** sha256 of files on the node, through `sha256sum` so it works the same over SSH. */
export async function sha256Files(host: Host, paths: string[]): Promise<Map<string, string>> {
  if (!paths.length) return new Map();
  const r = await host.exec('sha256sum', ['--', ...paths], { timeoutMs: 120_000 });
  const sums = parseSha256sum(r.stdout);
  const missing = paths.filter((p) => !sums.has(p));
  if (r.exitCode !== 0 || missing.length) {
    throw initrdError(`cannot checksum ${missing.length ? missing.join(', ') : paths.join(', ')}`, { context: commandContext(r, { file: missing[0] ?? paths[0] }) });
  }
  return sums;
}

export async function desiredManifestFields(host: Host, kernelVersion: string, tool: InitrdTool, drivers: DriverPlan[]): Promise<DesiredManifest> {
  const modules = drivers.filter((d) => d.state === 'module' && d.file);
  const paths = modules.map((d) => `${MODULES_DIR}/${kernelVersion}/${d.file}`);
  const sums = await sha256Files(host, paths);
  const moduleHashes: Record<string, string> = {};
  modules.forEach((d, i) => { moduleHashes[d.module] = sums.get(paths[i]!)!; });
  return { kernelVersion, tool, drivers: drivers.map(canonicalDriver), moduleHashes };
}

function canonicalDriver(d: DriverPlan): DriverPlan {
  return { requested: d.requested, module: d.module, state: d.state, ...(d.file !== undefined ? { file: d.file } : {}) };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function sortedRecord(r: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));
}

/** Reads and checks a manifest file's text; undefined when it is not a format-1 manifest. Pure. */
export function parseManifest(text: string): InitrdManifest | undefined {
  try {
    const m = JSON.parse(text) as Partial<InitrdManifest>;
    if (m?.formatVersion !== 1 || typeof m.kernelVersion !== 'string' || typeof m.tool !== 'string' || !Array.isArray(m.drivers)
      || typeof m.moduleHashes !== 'object' || m.moduleHashes === null || typeof m.imageSha256 !== 'string' || typeof m.imageBytes !== 'number') return undefined;
    return m as InitrdManifest;
  } catch {
    return undefined;
  }
}

/** Compares a manifest with what a build would record now (without looking at the image). Pure. */
export function compareManifest(m: InitrdManifest, desired: DesiredManifest): string | undefined {
  if (m.kernelVersion !== desired.kernelVersion) return `kernel version changed (${m.kernelVersion} → ${desired.kernelVersion})`;
  if (!sameJson(m.drivers.map(canonicalDriver), desired.drivers.map(canonicalDriver))) return 'drivers changed';
  if (m.tool !== desired.tool) return 'tool changed';
  if (!sameJson(sortedRecord(m.moduleHashes), sortedRecord(desired.moduleHashes))) return 'module files changed';
  return undefined;
}

export async function initrdUpToDate(host: Host, output: string, desired: DesiredManifest): Promise<{ upToDate: boolean; reason: string }> {
  const stale = (reason: string) => ({ upToDate: false, reason });
  const info = await host.fileInfo(output);
  if (!info) return stale('image missing');
  const text = await host.readFile(manifestPath(output));
  if (text === undefined) return stale('no manifest');
  const m = parseManifest(text);
  if (!m) return stale(`no manifest (${manifestPath(output)} is not a format-1 manifest)`);
  const changed = compareManifest(m, desired);
  if (changed) return stale(changed);
  const corrupt = 'image changed or corrupt (sha256 differs from manifest)';
  if (info.kind === 'file' && info.size !== m.imageBytes) return stale(corrupt);
  const sum = (await sha256Files(host, [output])).get(output);
  if (sum !== m.imageSha256) return stale(corrupt);
  return { upToDate: true, reason: 'up to date' };
}
