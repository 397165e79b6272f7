// Reading lsinitrd / lsinitramfs output, and finding a module in it. Pure.
import { moduleNameFromPath } from './modules-files.ts';
import { normalizeModuleName } from './names.ts';

// `ls -l`-style lines as lsinitrd prints them (cpio -tv): mode, links, owner, group, size (or major, minor), date, path.
const LS_LINE = /^([-dlcbpsD])[-rwxsStT]{9}[.+@]?\s+\d+\s+\S+\s+\S+\s+(?:\d+,\s*)?\d+\s+(?:[A-Z][a-z]{2}\s+\d{1,2}\s+(?:\d{1,2}:\d{2}|\d{4})|\d{4}-\d{2}-\d{2}(?:\s+\d{2}:\d{2}(?::\d{2})?)?)\s+(.+)$/;

/** lsinitrd (dracut) output → file paths; the header (version, arguments, dracut modules, cmdline) is skipped. */
export function parseLsinitrdListing(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = LS_LINE.exec(line.trimEnd());
    if (!m?.[2]) continue;
    let path = m[2];
    if (m[1] === 'l') { const arrow = path.indexOf(' -> '); if (arrow >= 0) path = path.slice(0, arrow); }
    out.push(path);
  }
  return out;
}

/** lsinitramfs (initramfs-tools) and `cpio -t` output: one path a line. */
export function parsePlainListing(text: string): string[] {
  return text.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '');
}

/** True when the listing holds the module's file (name.ko, .ko.xz, .ko.zst, .ko.gz; - and _ alike). */
export function initrdContainsModule(listing: string[], module: string): boolean {
  const want = normalizeModuleName(module);
  return listing.some((p) => {
    const name = moduleNameFromPath(p.trim());
    return name !== undefined && normalizeModuleName(name) === want;
  });
}
