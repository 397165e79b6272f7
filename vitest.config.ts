import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 20_000, sequence: { groupOrder: 0 } },
      },
      {
        test: {
          name: 'e2e',
          // After the unit tests: a different worker limit needs its own group.
          sequence: { groupOrder: 1 },
          include: ['test/e2e/**/*.test.ts', 'test/testbed/**/*.test.ts'],
          globalSetup: ['test/testbed/global-setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 900_000,
          pool: 'forks',
          // Each file boots its own nodes; two at a time suits a 2-core machine.
          maxWorkers: 2,
        },
      },
    ],
  },
});
