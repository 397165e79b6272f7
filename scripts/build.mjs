// Bundles the CLI into one self-contained file, templates embedded: dist/vm-provision.mjs runs with plain `node`.
// The program is bundled as CommonJS and embedded as a string in a small launcher that compiles it with a V8 code
// cache (Node 20 has no module compile cache): a no-op apply is mostly process start-up, and compiling the ~1 MB
// bundle was a third of it.
import { build } from 'esbuild';
import { readFile, writeFile, chmod, mkdir } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { resolve, dirname } from 'node:path';

const rawText = {
  name: 'raw-text',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (a) => ({ path: resolve(dirname(a.importer), a.path.slice(0, -4)), namespace: 'raw' }));
    b.onLoad({ filter: /.*/, namespace: 'raw' }, async (a) => ({ contents: await readFile(a.path, 'utf8'), loader: 'text' }));
  },
};

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

const launcher = `#!/usr/bin/env node
// vm-provision (single file). The program below is compiled once per version with a V8 code cache kept in
// /var/cache/vm-provision (or the temp dir when not root); a missing or rejected cache only costs time.
import { createRequire } from 'node:module';
import { Script } from 'node:vm';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
const PROGRAM = ${JSON.stringify(program)};
const filename = fileURLToPath(import.meta.url);
const uid = process.getuid ? process.getuid() : -1;
const cacheDir = process.env.VMP_COMPILE_CACHE ?? (uid === 0 ? '/var/cache/vm-provision' : join(tmpdir(), 'vm-provision-' + uid));
const cacheFile = join(cacheDir, 'compile-${hash}.bin');
let cachedData;
try { cachedData = readFileSync(cacheFile); } catch { cachedData = undefined; }
const script = new Script('(function (exports, require, module, __filename, __dirname) {' + PROGRAM + '\\n})', { filename, cachedData });
// --check and plan change nothing on the node, not even this cache.
const readOnly = process.argv.includes('--check') || process.argv[2] === 'plan';
if ((!cachedData || script.cachedDataRejected) && !readOnly) {
  process.once('exit', () => {
    try {
      mkdirSync(cacheDir, { recursive: true, mode: 0o755 });
      const tmp = cacheFile + '.' + process.pid;
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, cacheFile);
    } catch { /* a cache is an optimisation only */ }
  });
}
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(filename), module, filename, dirname(filename));
`;
await mkdir('dist', { recursive: true });
await writeFile('dist/vm-provision.mjs', launcher);
await chmod('dist/vm-provision.mjs', 0o755);
