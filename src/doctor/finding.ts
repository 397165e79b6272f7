// What doctor reports: one finding per check, with the evidence it rests on and what to do next.
export type FindingStatus = 'ok' | 'warn' | 'problem';

export interface Finding {
  /** The check's id, e.g. `vm-memory`, `libvirt`, `advertised`. */
  check: string;
  status: FindingStatus;
  /** One line: what is so. */
  summary: string;
  /** Where it shows: `file, line N: NAME = value` of the config, log lines, command output. */
  evidence: string[];
  /** The next action (problems and warnings). */
  action?: string;
  /** The check whose problem explains this one: the renderer says it under that cause, not as a cause of its own. */
  causedBy?: string;
  /** Said under its cause instead of the summary, so the cause's words are not repeated. */
  consequence?: string;
}

export interface Diagnosis {
  host: string;
  condorVersion?: string;
  vmType?: string;
  /** No finding is a problem. */
  healthy: boolean;
  findings: Finding[];
}

export const ok = (check: string, summary: string, evidence: string[] = []): Finding => ({ check, status: 'ok', summary, evidence });
export const warn = (check: string, summary: string, action: string, evidence: string[] = []): Finding => ({ check, status: 'warn', summary, evidence, action });
export const problem = (check: string, summary: string, action: string, evidence: string[] = [], causedBy?: string): Finding =>
  ({ check, status: 'problem', summary, evidence, action, ...(causedBy ? { causedBy } : {}) });
