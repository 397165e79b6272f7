import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PROFILE_BYTES, readProfileText } from '../../../src/profile/index.ts';

let dir: string;
let server: Server | undefined;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vmp-read-'));
});
afterAll(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('readProfileText', () => {
  it('reads a regular file, also through a symlink', async () => {
    writeFileSync(join(dir, 'p.yaml'), 'kind: HostProfile\n');
    symlinkSync(join(dir, 'p.yaml'), join(dir, 'link.yaml'));
    expect(await readProfileText(join(dir, 'p.yaml'))).toBe('kind: HostProfile\n');
    expect(await readProfileText(join(dir, 'link.yaml'))).toBe('kind: HostProfile\n');
  });

  it('keeps the errno of a missing file', async () => {
    await expect(readProfileText(join(dir, 'missing.yaml'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a FIFO at once instead of waiting for a writer', async () => {
    const fifo = join(dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    await expect(readProfileText(fifo)).rejects.toThrow('it is a FIFO, not a regular file');
  }, 2000);

  it('refuses a directory, a device and a socket', async () => {
    await expect(readProfileText(dir)).rejects.toThrow('it is a directory, not a regular file');
    await expect(readProfileText('/dev/zero')).rejects.toThrow('it is a character device, not a regular file');
    const socket = join(dir, 'sock');
    server = createServer();
    await new Promise<void>((done) => server!.listen(socket, done));
    await expect(readProfileText(socket)).rejects.toThrow('it is a socket, not a regular file');
  }, 2000);

  it('reads at most one byte past the limit, so the loader can refuse a large file', async () => {
    const big = join(dir, 'big.yaml');
    writeFileSync(big, Buffer.alloc(MAX_PROFILE_BYTES * 3, 'a'));
    expect((await readProfileText(big)).length).toBe(MAX_PROFILE_BYTES + 1);
  });
});
