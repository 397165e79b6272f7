// Query and install packages with the node's own package manager (argv only).
import type { Host } from '../host/host.ts';
import type { PackageManager } from '../facts/gather.ts';
import { VmpError, commandContext } from '../errors/vmp-error.ts';
import { classifyAptFailure, describeAptFailure, parseAptSources, parseDpkgAudit } from './apt-errors.ts';

/** dpkg-query prints `name<TAB>ii ` for installed packages; rpm prints the name or "package X is not installed". */
export function parseInstalled(pm: PackageManager, stdout: string): Set<string> {
  const out = new Set<string>();
  for (const line of stdout.split('\n')) {
    if (pm === 'apt-get') {
      const [name, abbrev] = line.split('\t');
      // Status-Abbrev: desired (i, h = hold, …), then current state; `i` there means installed.
      if (name && abbrev?.[1] === 'i') out.add(name.split(':')[0]!);
    } else if (line.trim() && !/is not installed/.test(line)) {
      out.add(line.trim());
    }
  }
  return out;
}

export async function installedPackages(host: Host, pm: PackageManager, names: string[]): Promise<Set<string>> {
  if (!names.length) return new Set();
  const r = pm === 'apt-get'
    ? await host.exec('dpkg-query', ['-W', '-f', '${Package}\t${db:Status-Abbrev}\n', ...names])
    : await host.exec('rpm', ['-q', '--qf', '%{NAME}\n', ...names]);
  return parseInstalled(pm, r.stdout);
}

export function installArgv(pm: PackageManager, names: string[]): [string, string[]] {
  switch (pm) {
    case 'apt-get': return ['apt-get', ['install', '-y', '-q', '--no-install-recommends', ...names]];
    case 'dnf': return ['dnf', ['install', '-y', '-q', ...names]];
    case 'yum': return ['yum', ['install', '-y', '-q', ...names]];
    case 'zypper': return ['zypper', ['--non-interactive', 'install', '--no-recommends', ...names]];
  }
}

const APT_ENV = { DEBIAN_FRONTEND: 'noninteractive', NEEDRESTART_MODE: 'l' };

export async function installPackages(host: Host, pm: PackageManager, names: string[]): Promise<void> {
  const [cmd, args] = installArgv(pm, names);
  const opts = { env: pm === 'apt-get' ? APT_ENV : {}, timeoutMs: 30 * 60_000 };
  let r = await host.exec(cmd, args, opts);
  // A stale package index is the usual reason apt cannot find a package: refresh once, then retry.
  if (r.exitCode !== 0 && pm === 'apt-get' && /Unable to locate package|has no installation candidate|404\s+Not Found/.test(r.stderr + r.stdout)) {
    await host.exec('apt-get', ['update', '-q'], opts);
    r = await host.exec(cmd, args, opts);
  }
  if (r.exitCode !== 0 && pm === 'apt-get') {
    // Name the cause on the first screen: apt's own line, the unfinished packages or the sources it read.
    const f = classifyAptFailure(`${r.stderr}\n${r.stdout}`);
    const unfinished = f.kind === 'dpkg-interrupted' ? parseDpkgAudit((await host.exec('dpkg', ['--audit'])).stdout) : undefined;
    const sources = f.kind === 'not-installable' ? parseAptSources((await host.exec('apt-cache', ['policy'])).stdout) : undefined;
    const { message, hint } = describeAptFailure(f, names, { unfinished, sources });
    throw new VmpError('PACKAGES', `${message} (${cmd} exit ${r.exitCode})`, { hint, context: commandContext(r) });
  }
  if (r.exitCode !== 0) {
    throw new VmpError('PACKAGES', `${cmd} could not install ${names.join(' ')} (exit ${r.exitCode})`, {
      hint: 'check the node\'s package sources and that these packages exist for this distribution; run the command by hand to see the full output',
      context: commandContext(r),
    });
  }
}
