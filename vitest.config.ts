import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

/**
 * One project per test tier: `vitest run --project unit` (npm run test:unit) is the fast
 * loop; `vitest run` runs them all. The projects do not extend this file: the globalSetup
 * below belongs to the root only, so one redis-server serves every project (each project
 * reads the root's provided `redisUrl`), and coverage, maxWorkers and reporters are
 * settings of the whole run. Every tier keeps the same defaults; the slow tests of e2e and
 * fault carry their own per-test timeouts (fault ones through budgetMs in
 * test/fault/harness/scale.ts).
 */
function tier(name: string, include: string[]): TestProjectInlineConfiguration {
  return { test: { name, include, testTimeout: 30_000, hookTimeout: 30_000 } };
}

export default defineConfig({
  test: {
    projects: [
      tier('unit', ['test/unit/**/*.test.ts']),
      tier('contract', ['test/contract/**/*.test.ts']),
      tier('integration', ['test/integration/**/*.test.ts']),
      tier('e2e', ['test/e2e/**/*.test.ts']),
      tier('fault', ['test/fault/**/*.test.ts']),
      tier('client', ['packages/client/test/**/*.test.ts']),
    ],
    globalSetup: ['test/support/global-redis.ts'],
    // Two cores: spawned-process suites are heavy, so files run two at a time (all projects together).
    maxWorkers: 2,
    coverage: {
      provider: 'v8',
      // Code only: src/core/scripts/*.lua and the dashboard's assets are not JavaScript.
      include: ['src/**/*.ts', 'workers/**/*.ts'],
      // packages/client is measured on its own: npx vitest run --project client --coverage --coverage.include='packages/client/src/**'
      // Browser code: exercised by test/e2e/dashboard.test.ts in Chromium, where V8 coverage of Node cannot see it.
      exclude: ['src/admin-ui/**'],
      reporter: ['text-summary'],
      // The floor only goes up: raise it when coverage rises. Entry points run as child
      // processes in test/e2e and are not counted here. The thresholds apply to whatever
      // projects the run includes: all of them in npm test.
      thresholds: { statements: 87, branches: 82, functions: 86, lines: 89 },
    },
  },
});
