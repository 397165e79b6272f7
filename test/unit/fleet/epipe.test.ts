import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { fixture } from './helpers.ts';

const ROOT = resolve(import.meta.dirname, '../../..');

/** The CLI as one CommonJS file, templates embedded (as scripts/build.mjs does, without its launcher). */
async function bundleCli(): Promise<string> {
  const out = join(mkdtempSync(join(tmpdir(), 'vmp-epipe-')), 'cli.cjs');
  await build({
    entryPoints: [join(ROOT, 'src/cli/main.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: out, logLevel: 'silent',
    plugins: [{
      name: 'raw-text',
      setup(b) {
        b.onResolve({ filter: /\?raw$/ }, (a) => ({ path: resolve(dirname(a.importer), a.path.slice(0, -4)), namespace: 'raw' }));
        b.onLoad({ filter: /.*/, namespace: 'raw' }, (a) => ({ contents: readFileSync(a.path, 'utf8'), loader: 'text' }));
      },
    }],
  });
  return out;
}

describe('a reader that closes the pipe early (| head -1)', () => {
  it('fleet hosts exits 0 without a stack trace', async () => {
    const cli = await bundleCli();
    const p = spawn(process.execPath, [cli, 'fleet', 'hosts', fixture('fleets/fleet.yaml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    // Closed before the program writes a byte: its first write meets EPIPE.
    p.stdout.destroy();
    let stderr = '';
    p.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const code = await new Promise<number | null>((r) => p.on('close', (c) => r(c)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  }, 60_000);
});
