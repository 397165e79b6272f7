// HTCondor reads the main config, then each LOCAL_CONFIG_DIR (left to right, files in lexical order), then
// LOCAL_CONFIG_FILE; the last definition wins. This decides whether a file is read after ours.
import { basename, dirname } from 'node:path';

export interface ConfigLayout { localConfigDirs: string[]; localConfigFiles: string[] }

/** The files HTCondor skips in a config dir (LOCAL_CONFIG_DIR_EXCLUDE_REGEXP's default). */
export const EXCLUDED_NAME = /^\.|^#|~$|\.(rpmsave|rpmnew|dpkg-old|dpkg-dist|dpkg-new|cfsaved|pl|py|sh)$/;

/** A sortable read position: [phase, dir index, name]; phase 0 = main config, 1 = dirs, 2 = local files. */
export function readPosition(layout: ConfigLayout, file: string): [number, number, string] {
  const dirIdx = layout.localConfigDirs.findIndex((d) => d.replace(/\/+$/, '') === dirname(file));
  if (dirIdx >= 0) return [1, dirIdx, basename(file)];
  const fileIdx = layout.localConfigFiles.indexOf(file);
  if (fileIdx >= 0) return [2, fileIdx, ''];
  return [0, 0, ''];
}

export function readAfter(layout: ConfigLayout, a: string, b: string): boolean {
  const pa = readPosition(layout, a);
  const pb = readPosition(layout, b);
  return pa[0] - pb[0] > 0 || (pa[0] === pb[0] && (pa[1] - pb[1] > 0 || (pa[1] === pb[1] && pa[2] > pb[2])));
}

/**
 * Is `a` read after `b`, given HTCondor's own list of the files it read in read order (`condor_config_val -config`:
 * included files come where they were included)? A file not in the list yet (ours before its first write) sits
 * before the first listed file the layout reads after it.
 */
export function readAfterIn(layout: ConfigLayout, order: string[] | undefined, a: string, b: string): boolean {
  if (!order) return readAfter(layout, a, b);
  const pos = (f: string) => {
    const i = order.indexOf(f);
    if (i >= 0) return i;
    const j = order.findIndex((q) => readAfter(layout, q, f));
    return (j < 0 ? order.length : j) - 0.5;
  };
  return a !== b && pos(a) > pos(b);
}

export function splitList(value: string | undefined): string[] {
  return (value ?? '').split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
}
