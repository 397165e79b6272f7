// Why apt-get or dpkg failed, read from what they printed (pure): the cause, the line that says it, and what to do.

export type AptFailureKind = 'dpkg-interrupted' | 'not-installable' | 'locked' | 'fetch-failed' | 'unmet-dependencies' | 'broken-packages' | 'other';

export interface AptFailure {
  kind: AptFailureKind;
  /** The packages the cause names (not installable ones; for others, empty). */
  packages: string[];
  /** apt's own line that says it (E: …), or the last non-empty line. */
  line: string;
}

const E = (re: RegExp) => new RegExp(`^(?:E: )?${re.source}`, 'm');

// Message texts: apt 2.x (apt-pkg/deb/debsystem.cc, apt-private/private-install.cc, cacheset.cc), Debian 11–13.
const PATTERNS: Array<{ kind: AptFailureKind; re: RegExp; pkg?: RegExp }> = [
  { kind: 'dpkg-interrupted', re: E(/dpkg was interrupted, you must manually run '[^']+' to correct the problem\.?/) },
  { kind: 'locked', re: E(/Could not get lock .*/) },
  { kind: 'not-installable', re: E(/Unable to locate package \S+/), pkg: /Unable to locate package (\S+)/g },
  { kind: 'not-installable', re: E(/Package '?[^'\s]+'? has no installation candidate/), pkg: /Package '?([^'\s]+)'? has no installation candidate/g },
  { kind: 'not-installable', re: E(/Version '[^']+' for '[^']+' was not found/), pkg: /Version '[^']+' for '([^']+)' was not found/g },
  { kind: 'fetch-failed', re: E(/Failed to fetch .*/) },
  { kind: 'unmet-dependencies', re: E(/Unable to correct problems, you have held broken packages\.?/) },
  { kind: 'broken-packages', re: E(/Unmet dependencies\. Try 'apt --fix-broken install'.*/) },
];

export function classifyAptFailure(output: string): AptFailure {
  for (const p of PATTERNS) {
    const m = p.re.exec(output);
    if (!m) continue;
    if (p.kind !== 'not-installable') return { kind: p.kind, packages: [], line: m[0].trim() };
    // apt names each package on its own line, in the order asked, with one of three messages.
    const lines = output.split('\n').filter((l) => PATTERNS.some((q) => q.kind === 'not-installable' && q.re.test(l)));
    const packages = lines.flatMap((l) => PATTERNS.flatMap((q) => (q.pkg ? [...l.matchAll(q.pkg)].map((x) => x[1]!) : [])));
    return { kind: p.kind, packages: [...new Set(packages)], line: lines[0]!.trim() };
  }
  const last = output.trim().split('\n').filter((l) => l.trim()).at(-1) ?? '';
  return { kind: 'other', packages: [], line: last.trim() };
}

/**
 * The packages `dpkg --audit` reports as left unfinished (half-installed, half-configured, unpacked, awaiting
 * triggers): its explanation paragraphs are unindented, each package line starts with a space.
 */
export function parseDpkgAudit(stdout: string): Array<{ name: string; state: string }> {
  const out: Array<{ name: string; state: string }> = [];
  let state = 'unfinished';
  for (const line of stdout.split('\n')) {
    const head = /^The following packages (?:are|have been) (?:only )?([a-z -]+?)(?:,|\.|$)/.exec(line);
    if (head) { state = head[1]!.replace(/^(?:in a very bad inconsistent state|)$/, 'inconsistent').trim(); continue; }
    const m = /^ (\S+)\s/.exec(line);
    if (m && !out.some((p) => p.name === m[1])) out.push({ name: m[1]!, state });
  }
  return out;
}

/** The repositories apt reads, from `apt-cache policy` without arguments: `URI SUITE` per source. */
export function parseAptSources(policy: string): string[] {
  const out: string[] = [];
  for (const line of policy.split('\n')) {
    const m = /^\s*-?\d+\s+(\S+:\S*)\s+(\S+)(?:\s+\S+)?\s+Packages\s*$/.exec(line);
    const s = m ? `${m[1]} ${m[2]}` : undefined;
    if (s && !out.includes(s)) out.push(s);
  }
  return out;
}

/** What to say for a failed install: the cause in one sentence, and the next action. */
export function describeAptFailure(f: AptFailure, wanted: string[], ctx: { unfinished?: Array<{ name: string; state: string }>; sources?: string[] } = {}): { message: string; hint: string } {
  switch (f.kind) {
    case 'dpkg-interrupted': {
      const left = ctx.unfinished?.length ? ` (left unfinished: ${ctx.unfinished.map((p) => `${p.name} ${p.state}`).join(', ')})` : '';
      return {
        message: `dpkg was interrupted: an earlier package install was killed halfway${left}, and apt-get installs nothing until it is finished ("${f.line}")`,
        hint: 'run `dpkg --configure -a` as root (it finishes the interrupted install; vm-provision does not run it for you: it runs the maintainer scripts of packages it did not choose), then run vm-provision again',
      };
    }
    case 'not-installable': {
      const names = f.packages.length ? f.packages : wanted;
      const src = ctx.sources?.length ? ctx.sources.join(', ') : 'see /etc/apt/sources.list and /etc/apt/sources.list.d';
      return {
        message: `${names.join(', ')} cannot be installed: the node's package sources have no version of ${names.length > 1 ? 'them' : 'it'} ("${f.line}", also after apt-get update)`,
        hint: `add a repository that has ${names.join(', ')} (Debian/Ubuntu: the main archive of this release) to the node's apt sources (${src}), or remove the apt pin that hides ${names.length > 1 ? 'them' : 'it'}; then apt-get update and run vm-provision again`,
      };
    }
    case 'locked':
      return { message: `another package manager holds the dpkg lock ("${f.line}")`, hint: 'wait for it to finish (unattended-upgrades, another apt-get), then run vm-provision again' };
    case 'fetch-failed':
      return { message: `apt-get could not download packages ("${f.line}")`, hint: 'check the node\'s network and apt sources (a proxy, a mirror that is down), apt-get update, then run vm-provision again' };
    case 'unmet-dependencies':
    case 'broken-packages':
      return { message: `apt-get cannot resolve the dependencies of ${wanted.join(', ')} ("${f.line}")`, hint: 'run the install by hand to see which package conflicts (apt-get install ' + wanted.join(' ') + '), fix held or broken packages (apt --fix-broken install), then run vm-provision again' };
    default:
      return { message: `apt-get could not install ${wanted.join(' ')}${f.line ? ` ("${f.line}")` : ''}`, hint: 'check the node\'s package sources and that these packages exist for this distribution; run the command by hand to see the full output' };
  }
}
