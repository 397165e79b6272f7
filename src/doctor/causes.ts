// Links consequences to their cause, so that each cause is said once: a failed gahp test whose reason is libvirt
// is libvirt's problem; HasVM = false is the failed test's (or VM_TYPE's, or a restart owed).
import type { Finding } from './finding.ts';

/** The check a gahp failure reason points at. */
export function checkForGahpReason(summary: string): string | undefined {
  if (/libvirt|Failed to get output/i.test(summary)) return 'libvirt';
  if (/VM_MEMORY|sufficient memory|VM_Memory/.test(summary)) return 'vm-memory';
  if (/\/dev\/kvm|KVM not usable/.test(summary)) return 'kvm-device';
  if (/must be (defined|executable)|Failed to execute/.test(summary)) return 'gahp-binary';
  if (/root privilege|needs root/.test(summary)) return 'htcondor';
  if (/bootloader/i.test(summary)) return 'xen-bootloader';
  if (/vmware|VM TYPE/i.test(summary)) return 'vm-type';
  return undefined;
}

/** Which problems may explain another, in order of preference. */
const EXPLAINED_BY: Record<string, (f: Finding) => string[]> = {
  'gahp-test': (f) => [checkForGahpReason(f.summary) ?? ''],
  advertised: (f) => (/VM_Type = /.test(f.summary) && !/HasVM/.test(f.summary) ? ['restart-owed']
    : /no slot ad/.test(f.summary) ? ['backoff', 'startd', 'htcondor'] : ['vm-type', 'restart-owed', 'gahp-test', 'backoff', 'startd', 'htcondor']),
  'restart-owed': () => ['backoff'],
  collector: () => ['htcondor'],
  'vm-type': (f) => (/is not set/.test(f.summary) ? ['last-apply'] : []),
  // The last apply's failure, when a problem found now is its cause.
  'last-apply': () => ['apply-running', 'read-only', 'disk-full', 'clock', 'htcondor', 'collector', 'backoff', 'startd', 'libvirt', 'kvm-device', 'gahp-binary', 'vm-memory', 'knobs', 'xen-bootloader'],
};

export function linkCauses(findings: Finding[]): Finding[] {
  const problems = new Map(findings.filter((f) => f.status === 'problem').map((f) => [f.check, f]));
  return findings.map((f) => {
    if (f.status !== 'problem' || f.causedBy) return f;
    const cause = (EXPLAINED_BY[f.check]?.(f) ?? []).find((c) => c && c !== f.check && problems.has(c));
    return cause ? { ...f, causedBy: cause } : f;
  });
}

/** The root cause of a finding: follows causedBy to a finding that has none (cycles stop where they close). */
export function rootOf(findings: Finding[], f: Finding): Finding {
  const seen = new Set<string>();
  let cur = f;
  while (cur.causedBy && !seen.has(cur.check)) {
    seen.add(cur.check);
    const next = findings.find((x) => x.check === cur.causedBy);
    if (!next) break;
    cur = next;
  }
  return cur;
}
