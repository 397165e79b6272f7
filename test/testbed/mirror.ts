// The Debian mirror comes from the host's own apt configuration, read at run time.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export interface AptSource { uri: string; suites: string[] }

export function parseDeb822(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of stanza.split('\n')) {
      if (line.startsWith('#')) continue;
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (m) fields.set(m[1]!.toLowerCase(), m[2]!.trim());
    }
    if (fields.get('enabled') === 'no') continue;
    if (!(fields.get('types') ?? '').split(/\s+/).includes('deb')) continue;
    for (const uri of (fields.get('uris') ?? '').split(/\s+/).filter(Boolean)) {
      out.push({ uri, suites: (fields.get('suites') ?? '').split(/\s+/).filter(Boolean) });
    }
  }
  return out;
}

export function parseOneLine(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
    if (m) out.push({ uri: m[1]!, suites: [m[2]!] });
  }
  return out;
}

/** The first configured Debian archive (not security, not a third-party repo). */
export function pickDebianMirror(sources: AptSource[]): string | undefined {
  const isMain = (s: AptSource) => /\/debian\/?$/.test(s.uri) && !s.suites.some((x) => x.endsWith('-security'));
  return sources.find(isMain)?.uri.replace(/\/$/, '');
}

export function hostDebianMirror(root = '/etc/apt'): string {
  const sources: AptSource[] = [];
  const dir = join(root, 'sources.list.d');
  if (existsSync(dir)) {
    for (const f of readdirSync(dir).sort()) {
      const text = readFileSync(join(dir, f), 'utf8');
      if (f.endsWith('.sources')) sources.push(...parseDeb822(text));
      else if (f.endsWith('.list')) sources.push(...parseOneLine(text));
    }
  }
  if (existsSync(join(root, 'sources.list'))) sources.push(...parseOneLine(readFileSync(join(root, 'sources.list'), 'utf8')));
  const m = pickDebianMirror(sources);
  if (!m) throw new Error(`testbed: no Debian archive found in ${root}/sources.list or ${dir}/ (need a URIs/deb line ending in /debian)`);
  return m;
}
