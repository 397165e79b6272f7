// Vitest global setup: install missing host tools, build (or reuse) the images once per test run, and say why
// the end-to-end tests cannot run when they cannot (scripts/run-tests.ts turns that into a failed `npm test`).
import { writeFileSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { ensureHostTools } from './prereqs.ts';
import { ensureImages } from './images.ts';
import { reapOrphans } from './nodes.ts';
import { kvmMode, kvmNote, type KvmMode } from './kvm.ts';

declare module 'vitest' {
  export interface ProvidedContext { testbedUnavailable: string; testbedKvm: KvmMode; testbedKvmNote: string }
}

/** Where the test runner reads what the global setup found (set by scripts/run-tests.ts). */
export const STATUS_ENV = 'VMP_TEST_STATUS_FILE';

export interface TestbedStatus { reason: string; kvm: KvmMode; kvmNote: string; hostTools: string[]; setupSeconds: number }

export default async function setup(project: TestProject) {
  let why = '';
  let hostTools: string[] = [];
  const t0 = Date.now();
  try {
    hostTools = (await ensureHostTools()).installed;
    reapOrphans();
    const r = await ensureImages();
    process.stderr.write(`[testbed] images ${r.key} ${r.built ? `built in ${r.seconds.toFixed(0)} s` : 'reused from cache'}\n`);
  } catch (e) {
    why = e instanceof Error ? e.message.split('\n')[0]! : String(e);
  }
  const status: TestbedStatus = { reason: why, kvm: kvmMode(), kvmNote: kvmNote(), hostTools, setupSeconds: (Date.now() - t0) / 1000 };
  if (why) process.stderr.write(`[testbed] end-to-end tests will NOT run: ${why}\n`);
  else process.stderr.write(`[testbed] ${status.kvmNote}\n`);
  if (process.env[STATUS_ENV]) writeFileSync(process.env[STATUS_ENV]!, JSON.stringify(status) + '\n');
  project.provide('testbedUnavailable', why);
  project.provide('testbedKvm', status.kvm);
  project.provide('testbedKvmNote', status.kvmNote);
  return () => { if (!why) reapOrphans(); };
}
