import { randomBytes } from 'node:crypto';

/**
 * The config file every process of a fault scenario reads. Locks, backoff and webhook
 * schedule are short so that a crash or a retry costs a second or two, not the
 * production defaults' minutes; quotas are out of the way (a burst must not be refused
 * for reasons other than the fault under test). No vitest import here: scripts/soak.ts
 * uses this module outside the test runner.
 */

export const WEBHOOK_SECRET = `whsec_${randomBytes(32).toString('base64')}`;

/** Stall detection: a dead executor's job is taken up again within lock + interval (3 s here). */
export const FAULT_LOCKS = { lockDurationMs: 2_000, stalledIntervalMs: 1_000 };

export interface FaultConfigDoc {
  targets: Record<string, Record<string, unknown>>;
  defaults?: Record<string, unknown>;
  webhooks?: Record<string, unknown>;
  server?: Record<string, unknown>;
  /** API keys (several tenants); none: every caller is the open tenant. */
  auth?: { keys: unknown[] };
  tenants?: Record<string, unknown>;
  routes?: Record<string, unknown>;
}

export function faultConfigDoc(doc: FaultConfigDoc): Record<string, unknown> {
  return {
    server: { keyPrefix: `f${randomBytes(5).toString('hex')}`, maxWaitSeconds: 10, ...doc.server },
    defaults: {
      attempts: 5,
      timeoutMs: 10_000,
      concurrency: 10,
      backoff: { initialDelayMs: 50, multiplier: 2, maxDelayMs: 400, jitter: 0 },
      ...FAULT_LOCKS,
      ...doc.defaults,
    },
    webhooks: {
      secrets: [WEBHOOK_SECRET],
      // Only the receiver on this machine: loopback, IPv4 only.
      allowlist: ['127.0.0.1/32'],
      // Long enough in total (about 30 s) to outlive any receiver outage a scenario stages.
      scheduleMs: [0, 200, 500, 1_000, 2_000, 3_000, 3_000, 5_000, 5_000, 5_000, 5_000],
      jitter: 0,
      timeoutMs: 1_000,
      concurrency: 20,
      ...doc.webhooks,
    },
    tenants: { ...doc.tenants, defaults: { requestsPerWindow: 1_000_000, maxInFlightJobs: 1_000_000 } },
    ...(doc.auth && { auth: doc.auth }),
    ...(doc.routes && { routes: doc.routes }),
    targets: doc.targets,
  };
}
