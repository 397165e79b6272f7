// Bundles the CLI into one self-contained file, templates embedded: dist/vm-provision.mjs runs with plain `node`.
// The program is bundled as CommonJS and embedded as a string in a small launcher that compiles it with a V8 code
// cache (Node 20 has no module compile cache): a no-op apply is mostly process start-up, and compiling the ~1 MB
// bundle was a third of it.
import { build } from 'esbuild';
import { readFile, writeFile, chmod, mkdir } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { resolve, dirname } from 'node:path';
import { pathToFileURL } from 'node:url';

const rawText = {
  name: 'raw-text',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (a) => ({ path: resolve(dirname(a.importer), a.path.slice(0, -4)), namespace: 'raw' }));
    b.onLoad({ filter: /.*/, namespace: 'raw' }, async (a) => ({ contents: await readFile(a.path, 'utf8'), loader: 'text' }));
  },
};

/**
 * The launcher around the bundled program. The code cache is code V8 runs: it is read and written only in a directory
 * of this user's own that no one else can write (parent included, a sticky one allowed), from a regular file of ours.
 * VMP_COMPILE_CACHE_DEBUG=1 reports each decision on stderr.
 */
export function launcherSource(program, hash) {
  return `#!/usr/bin/env node
// vm-provision (single file). The program below is compiled once per version with a V8 code cache kept in
// /var/cache/vm-provision (or the temp dir when not root; VMP_COMPILE_CACHE moves it); a missing, refused or
// rejected cache only costs time. The cache is code: one another user could write is never read nor written.
import { createRequire } from 'node:module';
import { Script } from 'node:vm';
import { closeSync, constants as C, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
const PROGRAM = ${JSON.stringify(program)};
const filename = fileURLToPath(import.meta.url);
const uid = process.getuid ? process.getuid() : -1;
const cacheDir = process.env.VMP_COMPILE_CACHE || (uid === 0 ? '/var/cache/vm-provision' : join(tmpdir(), 'vm-provision-' + uid));
const cacheFile = join(cacheDir, 'compile-${hash}.bin');
const debug = process.env.VMP_COMPILE_CACHE_DEBUG ? (m) => process.stderr.write('vm-provision: compile cache: ' + m + '\\n') : () => {};
const notOurs = (st, what) => st.uid !== uid ? what + ' is owned by uid ' + st.uid : st.mode & 0o022 ? what + ' is writable by group or others' : '';
// '' = safe to use, 'missing' = may be created, else why it is refused.
function dirProblem() {
  if (uid < 0) return 'no user id on this platform';
  let st, parent;
  try { st = lstatSync(cacheDir); } catch (e) { if (e.code !== 'ENOENT') return cacheDir + ': ' + e.code; }
  if (st && !st.isDirectory()) return cacheDir + (st.isSymbolicLink() ? ' is a symbolic link' : ' is not a directory');
  if (st && notOurs(st, cacheDir)) return notOurs(st, cacheDir);
  try { parent = statSync(dirname(cacheDir)); } catch (e) { return dirname(cacheDir) + ': ' + e.code; }
  // Whoever can write the parent can swap the directory: only us or root, or a sticky directory like /tmp.
  if (parent.uid !== uid && parent.uid !== 0) return dirname(cacheDir) + ' is owned by uid ' + parent.uid;
  if (parent.mode & 0o022 && !(parent.mode & 0o1000)) return dirname(cacheDir) + ' is writable by group or others';
  return st ? '' : 'missing';
}
function readCache(dir) {
  if (dir) { debug(dir === 'missing' ? 'none yet in ' + cacheDir : 'not used: ' + dir); return undefined; }
  let fd;
  try { fd = openSync(cacheFile, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK); } catch (e) {
    debug(e.code === 'ENOENT' ? 'none yet: ' + cacheFile : 'not used: ' + cacheFile + ': ' + e.code);
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    const why = st.isFile() ? notOurs(st, cacheFile) : cacheFile + ' is not a regular file';
    if (why) { debug('not used: ' + why); return undefined; }
    return readFileSync(fd);
  } finally { closeSync(fd); }
}
const dir = dirProblem();
const cachedData = readCache(dir);
const script = new Script('(function (exports, require, module, __filename, __dirname) {' + PROGRAM + '\\n})', { filename, cachedData });
if (cachedData) debug(script.cachedDataRejected ? 'rejected by V8: ' + cacheFile : 'used: ' + cacheFile);
// --check and plan change nothing on the node, not even this cache.
const readOnly = process.argv.includes('--check') || process.argv[2] === 'plan';
if ((!cachedData || script.cachedDataRejected) && !readOnly && (dir === '' || dir === 'missing')) {
  process.once('exit', () => {
    try {
      // Not recursive: Node's recursive mkdir can loop forever where mkdir says ENOENT under an existing parent (/proc).
      if (dir === 'missing') mkdirSync(cacheDir, { mode: 0o700 });
      const why = dirProblem();
      if (why) { debug('not written: ' + why); return; }
      // O_EXCL: never through a file or link someone left at the name.
      const tmp = cacheFile + '.' + process.pid + '.tmp';
      const fd = openSync(tmp, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
      try { writeSync(fd, script.createCachedData()); } finally { closeSync(fd); }
      renameSync(tmp, cacheFile);
      debug('written: ' + cacheFile);
    } catch (e) { debug('not written: ' + e.message); }
  });
}
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(filename), module, filename, dirname(filename));
`;
}

async function main() {
  const result = await build({
    entryPoints: ['src/cli/main.ts'],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    plugins: [rawText],
    logLevel: 'warning',
  });
  const program = result.outputFiles[0].text;
  const hash = createHash('sha256').update(program).digest('hex').slice(0, 16);
  await mkdir('dist', { recursive: true });
  await writeFile('dist/vm-provision.mjs', launcherSource(program, hash));
  await chmod('dist/vm-provision.mjs', 0o755);
}

// Imported by the launcher's tests for launcherSource(); run as a script, it builds.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
