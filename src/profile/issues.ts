export interface ProfileIssue {
  file: string;
  line: number;
  col: number;
  /** Dotted path, e.g. "condor.vm.memory"; "" for the document as a whole. */
  path: string;
  message: string;
  hint?: string;
}

export type PathSegment = string | number;

export function dottedPath(path: readonly PathSegment[]): string {
  return path.map(String).join('.');
}

export function formatIssue(i: ProfileIssue): string {
  const where = i.path === '' ? '' : `${i.path}: `;
  const hint = i.hint ? `\n  hint: ${i.hint}` : '';
  return `${i.file}:${i.line}:${i.col}: ${where}${i.message}${hint}`;
}

/** Sort by position (stable, so the first-found issue at a spot stays first) and drop repeats. */
export function sortAndDedupe(issues: readonly ProfileIssue[]): ProfileIssue[] {
  const seen = new Set<string>();
  const unique = issues.filter((i) => {
    const key = JSON.stringify([i.line, i.col, i.path, i.message]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique.sort((a, b) => a.line - b.line || a.col - b.col);
}
