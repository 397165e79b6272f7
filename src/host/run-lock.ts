// The run lock is a kernel object (a Linux abstract-namespace socket): the kernel frees it when its holder
// dies, however it dies, so it cannot go stale. A file beside it names the holder for the "locked" message.
import { createServer, type Server } from 'node:net';
import { readFileSync, writeFileSync, renameSync, unlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { VmpError } from '../errors/vmp-error.ts';
import type { LockHandle } from './host.ts';

interface Holder { pid: number; since: string; argv: string }

function bind(name: string): Promise<Server | undefined> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', (e: NodeJS.ErrnoException) => (e.code === 'EADDRINUSE' ? resolve(undefined) : reject(e)));
    srv.listen({ path: `\0${name}` }, () => { srv.unref(); resolve(srv); });
  });
}

async function readHolder(infoPath: string): Promise<Holder | undefined> {
  // The holder writes its info right after binding: allow it a moment.
  for (let i = 0; i < 10; i++) {
    try { return JSON.parse(readFileSync(infoPath, 'utf8')) as Holder; } catch { await sleep(20); }
  }
  return undefined;
}

export async function acquireRunLock(infoPath: string): Promise<LockHandle> {
  const srv = await bind(`vm-provision:${infoPath}`);
  if (!srv) {
    const h = await readHolder(infoPath);
    const who = h ? `PID ${h.pid} (running since ${h.since}: \`vm-provision ${h.argv}\`)` : 'another process (PID not recorded yet)';
    throw new VmpError('LOCKED', `another vm-provision run is in progress on this node: ${who}`, {
      hint: h ? `wait for PID ${h.pid} to finish; the lock goes with that process, however it ends` : 'try again in a moment',
      context: { pid: h?.pid, file: infoPath },
    });
  }
  const me: Holder = { pid: process.pid, since: new Date().toISOString(), argv: process.argv.slice(2).join(' ') };
  writeFileSync(`${infoPath}.tmp`, JSON.stringify(me) + '\n');
  renameSync(`${infoPath}.tmp`, infoPath);
  return {
    release: async () => {
      try { unlinkSync(infoPath); } catch { /* gone */ }
      await new Promise<void>((r) => srv.close(() => r()));
    },
  };
}
