// Bundles the CLI into one self-contained file, templates embedded: dist/vm-provision.mjs runs with plain `node`.
import { build } from 'esbuild';
import { readFile, chmod } from 'node:fs/promises';
import { resolve, dirname } from 'node:path';

const rawText = {
  name: 'raw-text',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (a) => ({ path: resolve(dirname(a.importer), a.path.slice(0, -4)), namespace: 'raw' }));
    b.onLoad({ filter: /.*/, namespace: 'raw' }, async (a) => ({ contents: await readFile(a.path, 'utf8'), loader: 'text' }));
  },
};

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/vm-provision.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  plugins: [rawText],
  // CommonJS dependencies (systeminformation) need require() inside an ES module.
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __vmpCreateRequire } from 'node:module';\nconst require = __vmpCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
await chmod('dist/vm-provision.mjs', 0o755);
