// Initrd (Xen): a separate image with the front-end drivers, built beside the stock one and never over it;
// rebuilt only when the kernel, drivers, tool or module files changed, or the image is missing or damaged.
import { which } from '../host/host.ts';
import {
  buildInitrd, chooseTool, desiredManifestFields, expandOutput, initrdUpToDate, refuseStockOutput, resolveDrivers,
  refuseForeignOutput, resolveKernelVersion, type InitrdTool,
} from '../initrd/index.ts';
import type { RunContext, Step } from './step.ts';

export async function xenKernelVersion(ctx: RunContext): Promise<string> {
  if (ctx.state.xen?.kernelVersion) return ctx.state.xen.kernelVersion;
  const kver = await resolveKernelVersion(ctx.host, ctx.profile.xen!.kernelVersion, ctx.facts.kernelRelease);
  ctx.state.xen = { ...ctx.state.xen, kernelVersion: kver };
  return kver;
}

export const initrd: Step = {
  id: 'initrd',
  title: 'Initrd: a separate Xen initrd with the front-end drivers',
  async run(ctx) {
    const x = ctx.profile.xen!;
    if (!x.initrd.build) return { status: 'skipped', summary: 'xen.initrd.build is false' };
    const kver = await xenKernelVersion(ctx);
    const output = expandOutput(x.initrd.output, kver);
    await refuseStockOutput(ctx.host, output);
    await refuseForeignOutput(ctx.host, output);
    ctx.state.xen = { ...ctx.state.xen, initrd: output };
    const drivers = await resolveDrivers(ctx.host, kver, x.initrd.drivers);
    const builtIn = drivers.filter((d) => d.state === 'builtin').map((d) => `${d.module} is built into ${kver}: nothing to add`);
    const mods = drivers.filter((d) => d.state === 'module').map((d) => d.module);

    let tool: { tool: InitrdTool; path: string };
    try {
      tool = await chooseTool(ctx.host, x.initrd.tool);
    } catch (e) {
      // In --check the tool may be one the packages step would install.
      const wanted = x.initrd.tool === 'auto' ? undefined : x.initrd.tool;
      if (ctx.check && ctx.state.packagesToInstall.length && (!wanted || !(await which(ctx.host, wanted)))) {
        return { status: 'pending', summary: `would build ${output} for kernel ${kver} with ${wanted ?? 'the installed tool'} (after installing it): ${mods.join(', ') || 'no modules'}`, changes: [`build ${output}`], warnings: builtIn };
      }
      throw e;
    }
    const desired = await desiredManifestFields(ctx.host, kver, tool.tool, drivers);
    const state = await initrdUpToDate(ctx.host, output, desired);
    if (state.upToDate) return { status: 'ok', summary: `${output} up to date (kernel ${kver}, ${tool.tool}, ${mods.join(', ') || 'built-in drivers only'})`, warnings: builtIn };
    const what = `build ${output} with ${tool.tool} for kernel ${kver}: ${mods.join(', ') || 'no modules (all built in)'} (${state.reason})`;
    if (ctx.check) return { status: 'pending', summary: `would ${what}`, changes: [`build ${output}`], warnings: builtIn };
    ctx.progress(`building ${output} with ${tool.tool} (about 20 s)`);
    const r = await buildInitrd(ctx.host, { output, kernelVersion: kver, tool: tool.tool, toolPath: tool.path, drivers, progress: ctx.progress });
    return {
      status: 'changed',
      summary: `built ${output} with ${tool.tool} in ${(r.ms / 1000).toFixed(1)} s (${(r.manifest.imageBytes / 1048576).toFixed(1)} MiB; ${mods.join(', ')} verified in the image; ${state.reason})`,
      changes: [`built ${output}`],
      warnings: builtIn,
    };
  },
};
