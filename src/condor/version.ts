// HTCondor versions as numbers, from `condor_version` or a user's "X.Y.Z".
export interface CondorVersion { major: number; minor: number; patch: number; text: string }

export function parseVersion(text: string): CondorVersion | undefined {
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0), text: `${m[1]}.${m[2]}.${m[3] ?? 0}` };
}

/** `$CondorVersion: 23.9.6 2026-07-12 PackageID: ... $` */
export function parseCondorVersionOutput(stdout: string): CondorVersion | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith('$CondorVersion:'));
  return line ? parseVersion(line.slice('$CondorVersion:'.length)) : undefined;
}

export function compareVersions(a: CondorVersion, b: CondorVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

export function atLeast(v: CondorVersion, text: string): boolean {
  return compareVersions(v, parseVersion(text)!) >= 0;
}
