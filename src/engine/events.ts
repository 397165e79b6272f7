// The typed event stream a run emits: the terminal display, plain lines and --json all read it.
import type { StepStatus } from '../steps/step.ts';
import type { RestartCost } from '../condor/slot-work.ts';

export type RunEvent =
  | { type: 'start'; host: string; profile: string; check: boolean; steps: Array<{ id: string; title: string }> }
  | { type: 'step-start'; step: string; title: string }
  | { type: 'progress'; step: string; message: string }
  | {
    type: 'step'; step: string; title: string; status: StepStatus; summary: string; changes: string[]; diff?: string;
    warnings: string[]; ms: number; error?: Record<string, unknown>; cost?: RestartCost;
  };

export interface StepResult {
  step: string; title: string; status: StepStatus; summary: string; changes: string[]; diff?: string; warnings: string[]; ms: number; cost?: RestartCost;
}

export interface RunReport {
  host: string;
  profile: string;
  check: boolean;
  steps: StepResult[];
  counts: Record<StepStatus, number>;
  changed: boolean;
  failed: boolean;
  error?: import('../errors/vmp-error.ts').VmpError;
  ms: number;
}
