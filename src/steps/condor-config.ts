// HTCondor config: render the drop-in, check nothing overrides it, replace it atomically with a backup.
import { basename, dirname } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { VmpError, commandContext } from '../errors/vmp-error.ts';
import { renderConfig, BACKUP_DIR } from '../condor/render.ts';
import { STARTD_VIEW, parseConfigSources, parseConfigValVerbose, type KnobSource } from '../condor/config-val.ts';
import { EXCLUDED_NAME, readPosition, type ConfigLayout } from '../condor/config-order.ts';
import { environmentOverrides, findOverrides, notFromOurFile, withoutComposing } from '../condor/override-check.ts';
import { laterDefinitions } from '../condor/find-definitions.ts';
import { refuseForeignConfig, sameSettings, sha256 } from './config-ownership.ts';
import { askRunningStartd, nodeIsoNow } from './restart.ts';
import { STATE_DIR } from '../engine/journal.ts';
import type { Host } from '../host/host.ts';
import type { RunContext, Step } from './step.ts';
import { findPygrub, predictedPygrub } from '../xen/tools.ts';

export const DROP_IN_NAME = '50-vm-universe.config';

export function targetPath(ctx: RunContext): string {
  const { profile, facts } = ctx;
  if (profile.condor.configFile !== 'auto') return profile.condor.configFile;
  const last = facts.condor.localConfigDirs.at(-1);
  if (!last) {
    throw new VmpError('CONFIG', 'HTCondor has no LOCAL_CONFIG_DIR, so configFile: auto has nowhere to write', {
      hint: 'add a LOCAL_CONFIG_DIR to HTCondor\'s config (e.g. LOCAL_CONFIG_DIR = /etc/condor/config.d), or set condor.configFile to a new file in one',
    });
  }
  return `${last.replace(/\/+$/, '')}/${DROP_IN_NAME}`;
}

async function configVal(host: Host, names: string[], env?: Record<string, string>) {
  const r = await host.exec('condor_config_val', [...STARTD_VIEW, ...names], { env });
  return { r, sources: parseConfigValVerbose(r.stdout, names) };
}

/** HTCondor's own read order, asked only when a knob comes from a file the layout cannot place (an included one). */
async function readOrder(host: Host, layout: ConfigLayout, sources: Map<string, KnobSource>): Promise<string[] | undefined> {
  const unplaced = [...sources.values()].some((s) => s.defined && s.file && !s.file.startsWith('<') && readPosition(layout, s.file)[0] === 0);
  if (!unplaced) return undefined;
  const r = await host.exec('condor_config_val', ['-config']);
  const order = parseConfigSources(r.stdout);
  return r.exitCode === 0 && order.length ? order : undefined;
}

export const condorConfig: Step = {
  id: 'condor-config',
  title: 'HTCondor config: VM_* knobs',
  async run(ctx) {
    const { host, facts, state } = ctx;
    const path = targetPath(ctx);
    state.configPath = path;
    const layout = { localConfigDirs: facts.condor.localConfigDirs, localConfigFiles: facts.condor.localConfigFiles };
    const inDir = layout.localConfigDirs.some((d) => d.replace(/\/+$/, '') === dirname(path));
    if (!inDir && !layout.localConfigFiles.includes(path)) {
      throw new VmpError('CONFIG', `HTCondor does not read ${path}: it is in no LOCAL_CONFIG_DIR (${layout.localConfigDirs.join(', ') || 'none'}) and is not LOCAL_CONFIG_FILE`, {
        hint: 'use configFile: auto, or a path inside one of those directories',
      });
    }
    if (inDir && EXCLUDED_NAME.test(basename(path))) {
      throw new VmpError('CONFIG', `HTCondor skips files named like ${basename(path)} (LOCAL_CONFIG_DIR_EXCLUDE_REGEXP)`, { hint: `name it e.g. ${DROP_IN_NAME}` });
    }
    const { content, knobs, warnings } = renderConfig({ profile: ctx.profile, version: facts.condor.version!, os: 'linux', found: await foundValues(ctx) });
    const names = knobs.map(([n]) => n);
    state.configKnobs = knobs;
    const current = await host.readFile(path);
    refuseForeignConfig(path, current, ctx.journal.data, layout.localConfigFiles);

    // Before writing: a knob set in a file read after ours, or in the daemons' environment, would silently win.
    // Facts already hold every writable knob's source; ask again only for a name they lack.
    const known = facts.condor.knobSources;
    const before = known && names.every((n) => known[n])
      ? new Map(names.map((n) => [n, known[n]!]))
      : (await configVal(host, names)).sources;
    const order = await readOrder(host, layout, before);
    const written = await laterDefinitions(host, layout, path, names, order);
    const overrides = findOverrides(layout, path, before, order);
    for (const d of written) {
      if (!overrides.some((o) => o.knob === d.knob && o.file === d.file)) overrides.push(d);
    }
    overrides.push(...environmentOverrides((await askRunningStartd(ctx)).sources));
    const effective = withoutComposing(overrides, written);
    if (effective.length) {
      const o = effective[0]!;
      const at = (x: typeof o) => `${x.as ? `${x.as} ` : ''}${x.file}${x.line ? `:${x.line}` : ''}`;
      throw new VmpError('CONFIG_OVERRIDDEN', `${o.knob} is also set ${o.file.startsWith('/') ? `in ${o.file}${o.line ? `, line ${o.line}` : ''}${o.as ? ` (as ${o.as})` : ''}` : `in ${o.file}`} (= ${o.value ?? ''}), which HTCondor ${o.file.startsWith('/') ? `reads after ${path}` : 'applies over every config file'}: our value would not take effect${effective.length > 1 ? ` (also: ${effective.slice(1).map((x) => `${x.knob} in ${at(x)}`).join(', ')})` : ''}`, {
        hint: o.file.startsWith('/')
          ? `remove ${effective.map((x) => x.as ?? x.knob).join(', ')} from ${o.file}, or point condor.configFile at a file read later`
          : `remove _CONDOR_${o.knob} from condor_master's environment (its systemd unit or /etc/default/condor)`,
        context: o.file.startsWith('/') ? { file: o.file, line: o.line } : {},
      });
    }

    // Only what HTCondor reads counts: a header that differs (version, profile name) is not a change.
    if (current !== undefined && sameSettings(current, content)) {
      return { status: 'ok', summary: `${path} up to date (${names.length} knobs${current === content ? '' : '; only comments differ, not rewritten'})`, warnings };
    }
    const diff = createTwoFilesPatch(current === undefined ? '/dev/null' : path, path, current ?? '', content, undefined, undefined, { context: 3 })
      .split('\n').filter((l) => !l.startsWith('====') && !l.startsWith('Index: ')).join('\n');
    const changes = [current === undefined ? `create ${path}` : `update ${path}`];
    state.restartReason ??= ctx.check ? 'config would change' : 'config changed';
    if (ctx.check) { state.configChanged = true; return { status: 'pending', summary: `would ${changes[0]}`, changes, diff, warnings }; }

    // Stage: the rendered file alone, read as HTCondor would read it, must define exactly our values.
    const staged = `${STATE_DIR}/staged/${basename(path)}`;
    try {
      await host.mkdirp(dirname(staged));
      await host.writeFileAtomic(staged, content, { mode: 0o600 });
    } catch (e) {
      if (e instanceof VmpError && e.code === 'FILESYSTEM') throw new VmpError(e.code, `${e.message}: the config is staged there before it is written, so nothing was changed`, { hint: e.hint, context: e.context, cause: e });
      throw e;
    }
    const check = await configVal(host, names, { CONDOR_CONFIG: staged });
    const wrong = notFromOurFile(staged, knobs, check.sources);
    if (wrong.length) {
      throw new VmpError('CONFIG', `the staged config does not read back as written (${wrong.map((w) => w.name).join(', ')})`, {
        context: commandContext(check.r, { file: staged }),
      });
    }

    // Journal first: a run killed after the write still owes the startd its restart.
    const previousPending = ctx.journal.data.pendingRestart;
    await ctx.journal.update({ pendingRestart: { reason: state.restartReason, since: await nodeIsoNow(ctx) } });
    let backup: string | undefined;
    if (current !== undefined) {
      backup = `${BACKUP_DIR}/${basename(path)}.${new Date().toISOString().replace(/[:.]/g, '-')}`;
      await host.mkdirp(BACKUP_DIR, 0o700);
      await host.writeFileAtomic(backup, current, { mode: 0o600 });
      await pruneBackups(host, basename(path));
    }
    try {
      await host.writeFileAtomic(path, content, { mode: 0o644 });
    } catch (e) {
      // Not written: owe no restart for it, and keep no backup of a file that did not change.
      await ctx.journal.update({ pendingRestart: previousPending }, previousPending ? [] : ['pendingRestart']).catch(() => undefined);
      if (backup) await host.remove(backup).catch(() => undefined);
      await host.remove(staged).catch(() => undefined);
      if (e instanceof VmpError && e.code === 'FILESYSTEM') {
        throw new VmpError(e.code, `${e.message}; ${current === undefined ? 'no config was created' : `${path} was left as it was`}, no restart owed`, { hint: e.hint, context: e.context, cause: e });
      }
      throw e;
    }
    state.configChanged = true;
    state.configBefore = current ?? null;

    const after = await configVal(host, names);
    const bad = notFromOurFile(path, knobs, after.sources);
    if (bad.length) {
      await restoreConfig(host, path, current ?? null);
      await ctx.journal.update({ pendingRestart: previousPending }, previousPending ? [] : ['pendingRestart']);
      await host.remove(staged);
      const b = bad[0]!;
      throw new VmpError('CONFIG_OVERRIDDEN', `after writing ${path}, ${b.name} comes from ${b.file ?? 'nowhere'}${b.line ? `, line ${b.line}` : ''}; the previous file was put back`, {
        hint: b.file && !b.file.startsWith('<')
          ? `remove ${b.as ?? b.name} from ${b.file}`
          : `HTCondor reads ${b.name} as its built-in value (raw: ${b.raw ?? 'none'}), not ours: find where it is set with condor_config_val -subsystem startd -v ${b.name}`,
        context: b.file && !b.file.startsWith('<') ? { file: b.file, line: b.line } : {},
      });
    }
    await ctx.journal.update({ lastConfig: { path, backup, writtenAt: await nodeIsoNow(ctx), sha256: sha256(content), verified: false } });
    await host.remove(staged);
    return { status: 'changed', summary: `${current === undefined ? 'created' : 'updated'} ${path}${backup ? ` (backup ${backup})` : ''}`, changes, diff, warnings };
  },
};

/** Values the knobs take from the node: pygrub's path and the built initrd for Xen. */
async function foundValues(ctx: RunContext): Promise<Record<string, string | undefined>> {
  const VM_VERSION = ctx.profile.condor.vm.vmVersion;
  if (ctx.profile.hypervisor !== 'xen' || !ctx.profile.xen) return { VM_VERSION };
  const x = ctx.profile.xen;
  let bootloader = x.bootloader !== 'auto' ? x.bootloader : await findPygrub(ctx.host);
  if (!bootloader && ctx.check) bootloader = ctx.state.packagesToInstall.map(predictedPygrub).find(Boolean);
  if (!bootloader) {
    throw new VmpError('CONFIG', 'no pygrub found for XEN_BOOTLOADER (probed /usr/bin/pygrub, /usr/lib/xen-*/bin/pygrub, /usr/lib/xen/bin/pygrub, /usr/lib64/xen/bin/pygrub, /usr/libexec/xen/bin/pygrub)', {
      hint: 'install the Xen tools (Debian: xen-utils-<version>) or set xen.bootloader to the bootloader\'s absolute path',
    });
  }
  ctx.state.xen = { ...ctx.state.xen, bootloader };
  const kver = ctx.state.xen?.kernelVersion;
  const XEN_KERNEL = x.kernel !== 'auto' ? x.kernel : kver ? `/boot/vmlinuz-${kver}` : undefined;
  return { VM_VERSION, XEN_BOOTLOADER: bootloader, XEN_KERNEL, XEN_INITRD: x.initrd.build ? ctx.state.xen?.initrd : undefined };
}

export async function restoreConfig(host: Host, path: string, before: string | null): Promise<void> {
  if (before === null) await host.remove(path);
  else await host.writeFileAtomic(path, before, { mode: 0o644 });
}

async function pruneBackups(host: Host, name: string, keep = 10): Promise<void> {
  const all = ((await host.listDir(BACKUP_DIR)) ?? []).filter((f) => f.startsWith(`${name}.`)).sort();
  for (const f of all.slice(0, Math.max(0, all.length - keep))) await host.remove(`${BACKUP_DIR}/${f}`);
}
