// Initrd paths a boot loader configuration names: GRUB 2 grub.cfg, BootLoaderSpec entries, legacy grub.conf /
// menu.lst. Includes Xen Dom0 entries, where the Dom0 initrd is a `module`/`module2` line. Pure.

const INITRD_CMD = /^(initrd|initrd16|initrdefi|initrd32)$/;
const MODULE_CMD = /^(module|module2)$/;

function unquote(w: string): string {
  return w.replace(/^(['"])(.*)\1$/, '$2');
}

/** Drops a GRUB device prefix: (hd0,1)/boot/x → /boot/x, ($root)/x → /x. */
function stripDevice(p: string): string {
  return p.replace(/^\([^)]*\)/, '');
}

/**
 * Every initrd path referenced, as written (with or without the /boot prefix), in order, once each.
 * Paths that are grub variables ($tuned_initrd) are skipped.
 */
export function parseBootLoaderInitrds(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const words = line.split(/\s+/).map(unquote);
    const cmd = words[0] ?? '';
    let paths: string[] = [];
    if (INITRD_CMD.test(cmd)) {
      paths = words.slice(1).filter((w) => !w.startsWith('--'));
    } else if (MODULE_CMD.test(cmd)) {
      // Xen entries: `module2 /vmlinuz-… root=…` is the Dom0 kernel; the initrd is the module whose file looks like one.
      const p = words.slice(1).find((w) => !w.startsWith('--'));
      if (p && /(^|\/)init(rd|ramfs)[^/]*$/.test(stripDevice(p))) paths = [p];
    }
    for (const p of paths) {
      const path = stripDevice(p);
      if (!path.startsWith('/') || path.includes('$')) continue;
      if (!out.includes(path)) out.push(path);
    }
  }
  return out;
}
