// Parsers for doctor's node evidence: df output and /proc/self/mountinfo.

export interface DfRow { sizeKiB: number; availKiB: number; fstype: string; target: string }

/** `df -k --output=size,avail,fstype,target PATH…`: a header, then one row per path. */
export function parseDf(stdout: string): DfRow[] {
  return stdout.split('\n').slice(1).flatMap((l) => {
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.+?)\s*$/.exec(l);
    return m ? [{ sizeKiB: Number(m[1]), availKiB: Number(m[2]), fstype: m[3]!, target: m[4]! }] : [];
  });
}

export interface Mount { mountPoint: string; options: string[]; fstype: string; superOptions: string[]; line: string }

/** mountinfo escapes space, tab, newline and backslash as octal (\040). */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export function parseMountinfo(text: string): Mount[] {
  return text.split('\n').flatMap((line) => {
    const [left, right] = line.split(' - ');
    if (!left || right === undefined) return [];
    const f = left.split(' ');
    const r = right.split(' ');
    if (f.length < 6) return [];
    return [{ mountPoint: unescape(f[4]!), options: f[5]!.split(','), fstype: r[0] ?? '', superOptions: (r[2] ?? '').split(','), line }];
  });
}

/** The mount that holds `path`: the longest mount point above it; of mounts stacked on one point, the last. */
export function mountOf(mounts: Mount[], path: string): Mount | undefined {
  let best: Mount | undefined;
  for (const m of mounts) {
    const under = m.mountPoint === '/' || path === m.mountPoint || path.startsWith(`${m.mountPoint}/`);
    if (under && (!best || m.mountPoint.length >= best.mountPoint.length)) best = m;
  }
  return best;
}

export const readOnly = (m: Mount) => m.options.includes('ro') || m.superOptions.includes('ro');
