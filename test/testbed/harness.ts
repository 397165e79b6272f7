// What e2e test files use: the reason the testbed cannot run (shown in the test name), and what /dev/kvm is.
import { inject } from 'vitest';

/** '' when the testbed runs here; otherwise the reason, which test names carry so a skip is never silent. */
export function testbedReason(): string {
  return inject('testbedUnavailable') ?? '';
}

export function e2eTitle(title: string): string {
  const why = testbedReason();
  return why ? `${title} — NOT RUN: ${why}` : title;
}

/** For tests that depend on /dev/kvm: the title says when the node's device is only a placeholder. */
export function kvmTitle(title: string): string {
  const t = e2eTitle(title);
  return inject('testbedKvm') === 'placeholder' ? `${t} (${inject('testbedKvmNote')})` : t;
}
