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

/**
 * What the cluster tier runs: submit, Prefer: wait and long-poll, event streams, cancel,
 * retries, dead letters and replay, idempotency, tenant isolation, webhooks, rate limits
 * and quotas (docs/operations.md, Redis Cluster).
 */
const CLUSTER_SUITES = [
  'test/integration/submit.test.ts',
  'test/integration/polling.test.ts',
  'test/integration/events.test.ts',
  'test/integration/cancel.test.ts',
  'test/integration/dead-letters.test.ts',
  'test/integration/idempotency.test.ts',
  'test/integration/auth.test.ts',
  'test/integration/webhooks.test.ts',
  'test/integration/rate-limit.test.ts',
  'test/integration/limits.test.ts',
  'test/integration/list.test.ts',
  'test/integration/transparent.test.ts',
  'test/integration/operability.test.ts',
  'test/integration/bad-input.test.ts',
  'test/integration/outbox-relay.test.ts',
  'test/integration/in-flight-audit.test.ts',
  'test/integration/expiry.test.ts',
  'test/integration/circuit-deferral.test.ts',
  'test/integration/concurrency-gate.test.ts',
  // A batch's hash and list on its own slot, its jobs' statuses read across theirs.
  'test/integration/batches.test.ts',
  // A route's job on its pseudo-target's slot, each step on its target's, told through the outboxes.
  'test/integration/routes.test.ts',
  'test/integration/route-job-surface.test.ts',
  // The dashboard and bull-board's raw queue view, in the browser, on the cluster.
  'test/e2e/dashboard.test.ts',
];

export default defineConfig({
  test: {
    projects: [
      tier('unit', ['test/unit/**/*.test.ts']),
      tier('contract', ['test/contract/**/*.test.ts']),
      tier('integration', ['test/integration/**/*.test.ts']),
      tier('e2e', ['test/e2e/**/*.test.ts']),
      tier('fault', ['test/fault/**/*.test.ts']),
      tier('client', ['packages/client/test/**/*.test.ts']),
      // The core behaviour suites again, on a real Redis Cluster (3 masters, 3 replicas) instead of one Redis.
      {
        test: {
          name: 'cluster',
          include: CLUSTER_SUITES,
          testTimeout: 30_000,
          hookTimeout: 60_000,
          globalSetup: ['test/support/global-redis-cluster.ts'],
        },
      },
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
