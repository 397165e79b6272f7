// Doctor's output: plain text (problems first, each cause once with what follows from it, then warnings, then the
// ok checks one line each) and --json (one object with findings[]).
import type { Diagnosis, Finding } from './finding.ts';
import { rootOf } from './causes.ts';

export function diagnosisExitCode(d: Diagnosis): number {
  return d.healthy ? 0 : 1;
}

export function formatDiagnosis(d: Diagnosis): string {
  const all = d.findings;
  const causes = all.filter((f) => f.status === 'problem' && rootOf(all, f) === f);
  const followers = (c: Finding) => all.filter((f) => f !== c && f.status === 'problem' && rootOf(all, f) === c);
  const warns = all.filter((f) => f.status === 'warn');
  const oks = all.filter((f) => f.status === 'ok');
  const about = [d.condorVersion && `HTCondor ${d.condorVersion}`, d.vmType && `VM_TYPE ${d.vmType}`].filter(Boolean).join(', ');
  const lines = [`vm-provision doctor on ${d.host}${about ? ` (${about})` : ''}`];
  lines.push(d.healthy
    ? `healthy: nothing keeps this node from running VM jobs${warns.length ? ` (${warns.length} warning${warns.length > 1 ? 's' : ''})` : ''}`
    : `${causes.length} problem${causes.length > 1 ? 's' : ''} keep${causes.length > 1 ? '' : 's'} this node from running VM jobs:`);
  const evidence = (f: Finding, indent: string) => f.evidence.flatMap((e) => e.split('\n')).map((e) => `${indent}${e}`);
  for (const c of causes) {
    lines.push(`PROBLEM ${c.check}: ${c.summary}`, ...evidence(c, '    '));
    for (const f of followers(c)) lines.push(`  so ${f.check}: ${f.consequence ?? f.summary}`, ...evidence(f, '      '));
    if (c.action) lines.push(`  next: ${c.action}`);
  }
  for (const w of warns) {
    lines.push(`WARNING ${w.check}: ${w.summary}`, ...evidence(w, '    '));
    if (w.action) lines.push(`  next: ${w.action}`);
  }
  for (const o of oks) lines.push(`ok      ${o.check}: ${o.summary}`);
  return lines.join('\n');
}

export function diagnosisJson(d: Diagnosis): string {
  return JSON.stringify({ type: 'doctor', host: d.host, condorVersion: d.condorVersion, vmType: d.vmType, healthy: d.healthy, exitCode: diagnosisExitCode(d), findings: d.findings });
}
