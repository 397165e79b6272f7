// Ansible's serial: N, "P%" of all selected hosts (rounded down, at least 1), a list whose last item repeats.
import type { BatchSize } from './schema.ts';

export const DEFAULT_BATCHES: readonly BatchSize[] = [1, '100%'];

/** Hosts in one batch for `size` of `total` selected hosts. */
export function batchSize(size: BatchSize, total: number): number {
  if (typeof size === 'number') return size;
  const pct = Number(size.slice(0, -1));
  // Integer arithmetic: Ansible's float int(0.29 * 100) gives 28; we give 29.
  return Math.max(1, Math.floor((pct * total) / 100));
}

export function splitIntoBatches<T>(hosts: readonly T[], spec: readonly BatchSize[] = DEFAULT_BATCHES): T[][] {
  const list = spec.length ? spec : DEFAULT_BATCHES;
  const rest = [...hosts];
  const out: T[][] = [];
  let i = 0;
  while (rest.length) {
    out.push(rest.splice(0, batchSize(list[i]!, hosts.length)));
    i = Math.min(i + 1, list.length - 1);
  }
  return out;
}

/** `1,5,25%` (the --batch option) → [1, 5, "25%"]. */
export function parseBatchOption(text: string): BatchSize[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => !s)) throw new Error(`--batch ${text}: an empty item`);
  return items.map((s) => {
    if (/^\d+$/.test(s) && Number(s) >= 1) return Number(s);
    const m = /^(\d{1,3})%$/.exec(s);
    if (m && Number(m[1]) >= 1 && Number(m[1]) <= 100) return s as `${number}%`;
    throw new Error(`--batch ${text}: "${s}" is not a number ≥ 1 or a percentage from 1% to 100%`);
  });
}
