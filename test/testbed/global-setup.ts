// Vitest global setup: build (or reuse) the images once per test run, and say why e2e tests cannot run.
import type { TestProject } from 'vitest/node';
import { testbedUnavailable } from './prereqs.ts';
import { ensureImages } from './images.ts';
import { reapOrphans } from './nodes.ts';

declare module 'vitest' {
  export interface ProvidedContext { testbedUnavailable: string }
}

export default async function setup(project: TestProject) {
  let why = testbedUnavailable() ?? '';
  if (!why) {
    try {
      reapOrphans();
      const r = await ensureImages();
      process.stderr.write(`[testbed] images ${r.key} ${r.built ? `built in ${r.seconds.toFixed(0)} s` : 'reused from cache'}\n`);
    } catch (e) {
      why = `testbed images could not be built: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  if (why) process.stderr.write(`[testbed] end-to-end tests will NOT run: ${why}\n`);
  project.provide('testbedUnavailable', why);
  return () => { reapOrphans(); };
}
