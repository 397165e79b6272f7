// Shared by the knob tests: the snapshot profiles, versions, and parsing a rendered file back into knob names.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadProfile, type Profile } from '../../../src/profile/index.ts';
import { parseVersion, type CondorVersion } from '../../../src/condor/version.ts';
import type { Hypervisor } from '../../../src/condor/knobs.ts';

export const RENDER_FIXTURES = fileURLToPath(new URL('../../fixtures/render/', import.meta.url));

export function v(text: string): CondorVersion {
  const r = parseVersion(text);
  if (!r) throw new Error(`bad version ${text}`);
  return r;
}

export function profileText(h: Hypervisor): string {
  return readFileSync(`${RENDER_FIXTURES}profiles/${h}.yaml`, 'utf8');
}

/** A snapshot profile (test/fixtures/render/profiles/<h>.yaml), optionally edited by string replacements. */
export function snapshotProfile(h: Hypervisor, edits: Array<[string, string]> = []): Profile {
  let text = profileText(h);
  for (const [a, b] of edits) {
    if (!text.includes(a)) throw new Error(`${h}.yaml has no ${JSON.stringify(a)}`);
    text = text.replace(a, b);
  }
  const r = loadProfile(`${h}.yaml`, text);
  if (!r.ok) throw new Error(`${h}.yaml does not load: ${JSON.stringify(r.issues)}`);
  return r.profile;
}

/** Knob lines of a rendered file: [name, value] in file order (comments skipped). */
export function knobLines(content: string): Array<[string, string]> {
  return content.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => {
    const m = /^(\S+)\s+= (.*)$/.exec(l);
    if (!m) throw new Error(`not a knob line: ${JSON.stringify(l)}`);
    return [m[1]!, m[2]!];
  });
}
