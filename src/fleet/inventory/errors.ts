import type { FleetIssue } from '../issues.ts';

/** A problem in an inventory file, at a place in it. */
export class InventoryError extends Error {
  constructor(readonly issue: FleetIssue) {
    super(`${issue.file}:${issue.line}:${issue.col}: ${issue.message}`);
  }
}

export function inventoryIssue(file: string, line: number, col: number, message: string, hint?: string): InventoryError {
  return new InventoryError({ file, line, col, path: '', message, ...(hint ? { hint } : {}) });
}
