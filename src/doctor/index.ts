// vm-provision doctor as a library: the fleet's status uses the same checks.
export { diagnose, runChecks } from './diagnose.ts';
export { gatherEvidence } from './gather.ts';
export { formatDiagnosis, diagnosisJson, diagnosisExitCode } from './format.ts';
export type { Diagnosis, Finding, FindingStatus } from './finding.ts';
export type { Evidence } from './evidence.ts';
