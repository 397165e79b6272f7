// Building the Xen initrd: into a temp file beside the output, verified by listing it, then renamed into place
// with its manifest. The stock initrd is never the target, and a failed build leaves nothing behind.
import { posix } from 'node:path';
import { isVmpError } from '../errors/vmp-error.ts';
import type { Host } from '../host/host.ts';
import { appendModulesFile, buildArgv } from './argv.ts';
import { commandContext, initrdError } from './errors.ts';
import { listInitrd } from './list-initrd.ts';
import { initrdContainsModule } from './listing.ts';
import { desiredManifestFields, manifestPath, sha256Files, type InitrdManifest } from './manifest.ts';
import { refuseStockOutput } from './stock.ts';
import { refuseForeignOutput } from './ownership.ts';
import type { DriverPlan, InitrdTool } from './types.ts';

export const INITRD_STATE_DIR = '/var/lib/vm-provision';
export const INITRAMFS_TOOLS_DIR = '/etc/initramfs-tools';
const BUILD_TIMEOUT_MS = 30 * 60_000;

/** `.NAME.vmp-tmp-PID` in the output's directory: same filesystem, so the final rename is atomic. */
export function tempImagePath(output: string, pid: number = process.pid): string {
  return posix.join(posix.dirname(output), `.${posix.basename(output)}.vmp-tmp-${pid}`);
}

export function initramfsConfDir(pid: number = process.pid): string {
  return `${INITRD_STATE_DIR}/initramfs-conf-${pid}`;
}

export interface BuildArgs {
  output: string;
  kernelVersion: string;
  tool: InitrdTool;
  toolPath: string;
  drivers: DriverPlan[];
  progress?(m: string): void;
}

/** Host.remove does not recurse; the private config copy is a tree. */
async function removeTree(host: Host, dir: string): Promise<void> {
  if (!dir.startsWith(`${INITRD_STATE_DIR}/initramfs-conf-`)) throw initrdError(`internal: refusing to remove ${dir}`);
  const r = await host.exec('rm', ['-rf', '--', dir]);
  if (r.exitCode !== 0) throw initrdError(`cannot remove ${dir}`, { context: commandContext(r, { file: dir }) });
}

/** A private copy of /etc/initramfs-tools with the drivers appended to its `modules` file. */
async function prepareInitramfsConf(host: Host, dir: string, drivers: DriverPlan[]): Promise<void> {
  await removeTree(host, dir);
  await host.mkdirp(INITRD_STATE_DIR, 0o755);
  const cp = await host.exec('cp', ['-a', INITRAMFS_TOOLS_DIR, dir]);
  if (cp.exitCode !== 0) throw initrdError(`cannot copy ${INITRAMFS_TOOLS_DIR} to ${dir}`, { context: commandContext(cp, { file: dir }) });
  const modulesFile = `${dir}/modules`;
  const existing = (await host.readFile(modulesFile)) ?? '';
  await host.writeFileAtomic(modulesFile, appendModulesFile(existing, drivers), { mode: 0o644 });
}

export async function buildInitrd(host: Host, args: BuildArgs): Promise<{ manifest: InitrdManifest; ms: number }> {
  const t0 = Date.now();
  const { output, kernelVersion, tool, toolPath, drivers } = args;
  const progress = args.progress ?? (() => {});
  await refuseStockOutput(host, output);
  await refuseForeignOutput(host, output);
  const outInfo = await host.fileInfo(output);
  if (outInfo && outInfo.kind !== 'file') {
    throw initrdError(`${output} exists and is a ${outInfo.kind}, not an image file`, { hint: 'remove it or choose another xen.initrdOutput', context: { file: output } });
  }
  const tmp = tempImagePath(output);
  const confDir = tool === 'mkinitramfs' ? initramfsConfDir() : undefined;
  let renamed = false;
  try {
    await host.mkdirp(posix.dirname(output), 0o755);
    await host.remove(tmp);
    const desired = await desiredManifestFields(host, kernelVersion, tool, drivers);
    if (confDir) await prepareInitramfsConf(host, confDir, drivers);
    const [, argv] = buildArgv(tool, tmp, kernelVersion, drivers, { confDir });
    const modules = drivers.filter((d) => d.state === 'module');
    progress(`building ${output} for kernel ${kernelVersion} with ${tool}${modules.length ? ` (+ ${modules.map((d) => d.module).join(', ')})` : ' (drivers built in)'}`);
    const r = await host.exec(toolPath, argv, { timeoutMs: BUILD_TIMEOUT_MS });
    if (r.exitCode !== 0 || r.timedOut) {
      throw initrdError(`${tool} failed to build the Xen initrd for kernel ${kernelVersion}${r.timedOut ? ' (timed out)' : ` (exit ${r.exitCode})`}: ${outInfo ? `${output} was kept as it was` : `no ${output} was written`}, the stock initrd untouched`, {
        hint: `read ${tool}'s output (its last lines come with this error), fix the cause (space in ${posix.dirname(output)}: df -h ${posix.dirname(output)}; the kernel's modules in /lib/modules/${kernelVersion}), then run vm-provision again`,
        context: commandContext(r, { file: output }),
      });
    }
    const built = await host.fileInfo(tmp);
    if (built?.kind !== 'file' || built.size === 0) {
      throw initrdError(`${tool} exited 0 but wrote no image at ${tmp}`, { context: commandContext(r, { file: tmp }) });
    }
    progress(`checking the drivers in ${output}`);
    const listing = await listInitrd(host, tmp);
    const lacking = modules.filter((d) => !initrdContainsModule(listing, d.module));
    if (lacking.length) {
      // dracut logs a missing module and still exits 0; mkinitramfs drops it silently.
      throw initrdError(`${tool} built an initrd without ${lacking.map((d) => d.module).join(', ')} for kernel ${kernelVersion} (it exited 0 but the image lacks the module)`, {
        hint: `check ${lacking.map((d) => `/lib/modules/${kernelVersion}/${d.file ?? d.module}`).join(', ')} and the tool's output`,
        context: commandContext(r, { file: output }),
      });
    }
    const imageSha256 = (await sha256Files(host, [tmp])).get(tmp)!;
    await refuseStockOutput(host, output);
    const mv = await host.exec('mv', ['-f', '--', tmp, output]);
    if (mv.exitCode !== 0) throw initrdError(`cannot move the new initrd into place at ${output}`, { context: commandContext(mv, { file: output }) });
    renamed = true;
    const manifest: InitrdManifest = {
      ...desired,
      imageSha256,
      imageBytes: built.size,
      builtAt: new Date((await host.now()) * 1000).toISOString(),
      formatVersion: 1,
    };
    await host.writeFileAtomic(manifestPath(output), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o644 });
    const ms = Date.now() - t0;
    progress(`built ${output} (${(built.size / 1048576).toFixed(1)} MiB) in ${(ms / 1000).toFixed(1)} s`);
    return { manifest, ms };
  } catch (e) {
    throw isVmpError(e) ? e : initrdError(`building ${output} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e, context: { file: output } });
  } finally {
    if (!renamed) await host.remove(tmp).catch(() => {});
    if (confDir) await removeTree(host, confDir).catch(() => {});
  }
}
