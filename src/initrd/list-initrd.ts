// Listing an image's files on the node: lsinitramfs (fast, plain paths), lsinitrd, or gzip|cpio on old systems.
import { which, type Host, type ExecResult } from '../host/host.ts';
import { commandContext, initrdError } from './errors.ts';
import { parseLsinitrdListing, parsePlainListing } from './listing.ts';

/** For nodes with neither lister (RHEL5): gzip or plain cpio only, decompressed to a temp file so errors count. */
export const CPIO_FALLBACK_SCRIPT = [
  't=$(mktemp) || exit 5',
  "trap 'rm -f \"$t\"' EXIT",
  'case $(head -c 2 -- "$1" | od -An -tx1 | tr -d " \\n") in',
  '  1f8b) gzip -dc -- "$1" > "$t" || exit 3 ;;',
  '  3037) cat -- "$1" > "$t" || exit 3 ;;',
  '  *) echo "unsupported compression (only gzip or plain cpio without lsinitrd/lsinitramfs)" >&2; exit 4 ;;',
  'esac',
  'cpio -t < "$t"',
].join('\n');

interface Lister { name: string; argv: (image: string) => [string, string[]]; parse: (stdout: string) => string[] }

async function listers(host: Host): Promise<Lister[]> {
  const out: Lister[] = [];
  const lsinitramfs = await which(host, 'lsinitramfs');
  if (lsinitramfs) out.push({ name: 'lsinitramfs', argv: (i) => [lsinitramfs, [i]], parse: parsePlainListing });
  const lsinitrd = await which(host, 'lsinitrd');
  if (lsinitrd) out.push({ name: 'lsinitrd', argv: (i) => [lsinitrd, [i]], parse: parseLsinitrdListing });
  if (!out.length) out.push({ name: 'cpio', argv: (i) => ['sh', ['-c', CPIO_FALLBACK_SCRIPT, 'sh', i]], parse: parsePlainListing });
  return out;
}

/** The image's file paths. A listing command that fails (a truncated or corrupt image) is an error. */
export async function listInitrd(host: Host, image: string): Promise<string[]> {
  let failed: { r: ExecResult; why: string } | undefined;
  for (const l of await listers(host)) {
    const [cmd, args] = l.argv(image);
    const r = await host.exec(cmd, args, { timeoutMs: 300_000 });
    const files = r.exitCode === 0 && !r.timedOut ? l.parse(r.stdout) : [];
    if (files.length) return files;
    const why = r.timedOut ? `${l.name} timed out` : r.exitCode !== 0 ? `${l.name} exited with ${r.exitCode}` : `${l.name} listed no files`;
    failed ??= { r, why };
  }
  const f = failed!;
  const detail = (f.r.stderr.trim().split('\n').find((l) => l.trim()) ?? '').trim();
  throw initrdError(`cannot read ${image}: ${f.why}${detail ? `: ${detail}` : ''}`, {
    hint: 'the image is truncated or corrupt (or in a compression the lister cannot unpack); rebuild it',
    context: commandContext(f.r, { file: image }),
  });
}
