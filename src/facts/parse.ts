// Fact parsers: text in, values out (tested from captured real output).
export interface OsRelease { id: string; idLike: string[]; versionId: string; prettyName: string }

export function parseOsRelease(text: string): OsRelease {
  const kv = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) kv.set(m[1]!, m[2]!.replace(/^(["'])(.*)\1$/, '$2'));
  }
  return {
    id: kv.get('ID') ?? 'unknown',
    idLike: (kv.get('ID_LIKE') ?? '').split(/\s+/).filter(Boolean),
    versionId: kv.get('VERSION_ID') ?? '',
    prettyName: kv.get('PRETTY_NAME') ?? kv.get('NAME') ?? 'unknown',
  };
}

export type OsFamily = 'debian' | 'rhel' | 'suse' | 'unknown';

export function osFamily(os: OsRelease): OsFamily {
  for (const id of [os.id, ...os.idLike]) {
    if (['debian', 'ubuntu'].includes(id)) return 'debian';
    if (['rhel', 'fedora', 'centos', 'rocky', 'almalinux', 'ol', 'amzn'].includes(id)) return 'rhel';
    if (['suse', 'opensuse', 'sles', 'opensuse-leap', 'opensuse-tumbleweed'].includes(id)) return 'suse';
  }
  return 'unknown';
}

export function parseMemTotalMiB(meminfo: string): number | undefined {
  const m = /^MemTotal:\s+(\d+)\s+kB/m.exec(meminfo);
  return m ? Math.floor(Number(m[1]) / 1024) : undefined;
}

export function cpuVirtFlags(cpuinfo: string): { vmx: boolean; svm: boolean } {
  const flags = new Set(/^flags\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.split(/\s+/) ?? []);
  return { vmx: flags.has('vmx'), svm: flags.has('svm') };
}

export interface UnitState { name: string; loadState: string; activeState: string; unitFileState: string }

/** `systemctl show -p Id,LoadState,ActiveState,UnitFileState A B ...`: blocks separated by blank lines. */
export function parseSystemctlShow(stdout: string): UnitState[] {
  return stdout.split(/\n\s*\n/).map((block) => {
    const kv = new Map<string, string>();
    for (const l of block.split('\n')) { const i = l.indexOf('='); if (i > 0) kv.set(l.slice(0, i), l.slice(i + 1).trim()); }
    return { name: kv.get('Id') ?? '', loadState: kv.get('LoadState') ?? '', activeState: kv.get('ActiveState') ?? '', unitFileState: kv.get('UnitFileState') ?? '' };
  }).filter((u) => u.name);
}

export interface ProcessRow { ruser: string; comm: string; pid: number }

/** `ps -e -o pid= -o ruser= -o comm=` */
export function parsePs(stdout: string): ProcessRow[] {
  return stdout.split('\n').map((l) => l.trim().split(/\s+/)).filter((p) => p.length >= 3)
    .map(([pid, ruser, ...comm]) => ({ pid: Number(pid), ruser: ruser!, comm: comm.join(' ') }));
}
