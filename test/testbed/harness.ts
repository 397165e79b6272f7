// What e2e test files use: the reason the testbed cannot run (shown in the test name), and node lifecycles.
import { inject } from 'vitest';

/** '' when the testbed runs here; otherwise the reason, which test names carry so a skip is never silent. */
export function testbedReason(): string {
  return inject('testbedUnavailable') ?? '';
}

export function e2eTitle(title: string): string {
  const why = testbedReason();
  return why ? `${title} — NOT RUN: ${why}` : title;
}
