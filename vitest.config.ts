import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Files that drive the real cluster's drill namespace. Its lock admits one drill at a time, and
 * a cell's baseline is only meaningful while nobody else changes the namespace: these files
 * run one after another, after the others (vitest refuses two worker counts in one group).
 */
const KUBE_FILES = [
  'harness/platforms/kube/kube.test.ts',
  'harness/cli/leftover-matrix-kube.e2e.test.ts',
  'harness/platforms/kube/step-identity.test.ts',
  'harness/cli/user-runbook-kube.e2e.test.ts',
  'harness/cli/existing-deployment-kube.e2e.test.ts',
];

// Tests use real servers (Postgres, Redis, Prometheus, processes); they are slower than unit
// tests and share machine resources, so files run with limited parallelism.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'machine',
          include: [
            'harness/**/*.test.ts',
            'scenarios/**/*.test.ts',
            'fixtures/**/*.test.ts',
            'bench/**/*.test.ts',
          ],
          exclude: [...configDefaults.exclude, ...KUBE_FILES],
        },
      },
      {
        extends: true,
        test: { name: 'kube', include: KUBE_FILES, maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
