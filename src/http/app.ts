import express, { type Express, type Request } from 'express';
import helmet from 'helmet';
import { corsFor } from './middleware/cors.js';
import type { RedisClient } from '../core/redis.js';
import type { GatewayConfig } from '../config/schema.js';
import { ApiError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { IdempotencyStore } from '../core/idempotency-store.js';
import { idempotency } from './middleware/idempotency.js';
import { tenantRateLimit } from './middleware/rate-limit.js';
import type { BatchedRateLimiter } from '../auth/batched-rate-limiter.js';
import type { AdminService } from '../jobs/admin-service.js';
import type { JobService } from '../jobs/job-service.js';
import { requestContext } from './middleware/request-context.js';
import { authenticate, requireRole } from './middleware/authenticate.js';
import { errorHandler } from './problem.js';
import { adminRouter } from './routes/admin.js';
import { healthRouter } from './routes/health.js';
import { jobsRouter } from './routes/jobs.js';
import { batchesRouter } from './routes/batches.js';
import type { BatchService } from '../jobs/batch-service.js';
import { JobDeferrals } from '../jobs/job-deferrals.js';
import { transparentRouter } from './routes/transparent.js';
import { dashboardPublicRouter, dashboardRouter } from './routes/dashboard.js';
import { httpMetrics } from './middleware/http-metrics.js';
import { HeldRequests } from './held-requests.js';
import type { AdminSessions } from '../auth/admin-sessions.js';
import type { JobQueues } from '../core/job-queues.js';
import type { FleetStatus } from '../observability/fleet-status.js';
import { exposition, type Metrics } from '../observability/metrics.js';
import type { Tracing } from '../observability/tracing.js';

export interface AppDeps {
  config: GatewayConfig;
  idempotency: IdempotencyStore;
  /** The tenants' request rate for everything but submits (submits are counted at admission). */
  rateLimiter: BatchedRateLimiter;
  jobs: JobService;
  batches: BatchService;
  admin: AdminService;
  /** The producer connection, for readiness and to tell an outage from a bug. */
  redis: RedisClient;
  logger: Logger;
  /** This process's Prometheus registry and counters. */
  metrics: Metrics;
  /** Queue depths and workers seen, for /readyz and the dashboard. */
  fleet: FleetStatus;
  /** BullMQ queues, for the dashboard's raw queue view. */
  queues: JobQueues;
  sessions: AdminSessions;
  /** Present when tracing is on: every request gets a SERVER span. */
  tracing?: Tracing;
}

/** Requests that submit a job: their rate is counted by the admission script, with their quota. */
const isSubmit = (req: Request) => (req.method === 'POST' && (req.path === '/v1/jobs' || req.path === '/v1/batches')) || req.path.startsWith('/v1/async/');

/** Wires the gateway's HTTP API. Never listens: src/server.ts and the tests do that. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.config.server.trustProxy);
  app.set('query parser', 'simple');

  // No ETags: computing one hashes every body, and job documents change as jobs move; a
  // poller is better served by long-poll (?wait=) than by conditional requests.
  app.set('etag', false);
  // A JSON API's share of helmet: what a browser applies to an API answer (no sniffing, no
  // framing, no referrer, HTTPS only, same-origin resources, a CSP that loads nothing).
  // The headers that only shape HTML pages are left out; the dashboard sets its own CSP.
  app.use(
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
      crossOriginOpenerPolicy: false,
      originAgentCluster: false,
      xDnsPrefetchControl: false,
      xDownloadOptions: false,
      xPermittedCrossDomainPolicies: false,
      xXssProtection: false,
    }),
  );
  if (deps.config.server.corsOrigins.length) app.use(corsFor(deps.config.server.corsOrigins));
  app.use(requestContext(deps.logger, deps.tracing));
  app.use(httpMetrics(deps.metrics));
  app.use(healthRouter(deps.redis, deps.fleet, { notifierRequired: deps.config.webhooks.secrets.length > 0 }));
  app.use(dashboardPublicRouter(deps.config.auth.keys, deps.sessions, deps.config.server.publicUrl));
  app.use(authenticate(deps.config.auth.keys, deps.sessions, deps.config.server.publicUrl));
  app.get('/metrics', requireRole('admin', 'metrics'), async (_req, res) => {
    const { contentType, body } = await exposition(deps.metrics);
    res.type(contentType).send(body);
  });
  // A metrics key reads /metrics and nothing else.
  app.use(requireRole('client', 'admin'));
  app.use(tenantRateLimit(deps.rateLimiter, isSubmit));
  app.use(['/v1/admin', '/admin'], requireRole('admin'));
  const idem = idempotency(deps.idempotency, deps.config.tenants);
  const held = new HeldRequests(deps.config.tenants, deps.config.server.maxWaiting, deps.config.server.pollAfterSeconds, deps.metrics);
  app.use(jobsRouter(deps.config, deps.jobs, idem, held, new JobDeferrals(deps.fleet, deps.config.targets)));
  app.use(batchesRouter(deps.config, deps.batches, idem, held));
  app.use(transparentRouter(deps.config, deps.jobs, idem, held));
  app.use(adminRouter(deps.config, deps.admin));
  app.use(dashboardRouter(deps.queues, [...deps.config.targets.keys()]));
  app.use((req, _res, next) => next(new ApiError('route_not_found', `no route for ${req.method} ${req.path}`)));
  app.use(errorHandler(() => deps.redis.status === 'ready', () => deps.metrics.redisErrors.inc({ connection: 'gateway' })));
  return app;
}
