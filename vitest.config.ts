import { defineConfig } from 'vitest/config';

// Tests use real servers (Postgres, Redis, Prometheus, processes); they are slower than unit
// tests and share machine resources, so files run with limited parallelism.
export default defineConfig({
  test: {
    include: [
      'harness/**/*.test.ts',
      'scenarios/**/*.test.ts',
      'fixtures/**/*.test.ts',
      'bench/**/*.test.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
