import type { Express } from 'express';
import { handlers } from '../../workers/handlers/index.js';
import type { GatewayConfig } from '../config/schema.js';
import { JobQueues } from '../core/job-queues.js';
import { IdempotencyStore } from '../core/idempotency-store.js';
import { JobStore } from '../core/job-store.js';
import { DeadLetterIndex } from '../core/dead-letter-index.js';
import { TenantJobList } from '../core/tenant-job-list.js';
import { JobWatcher } from '../core/job-watcher.js';
import { TenantAdmission } from '../core/tenant-admission.js';
import { BatchedRateLimiter } from '../auth/batched-rate-limiter.js';
import { createKeys, type Keys } from '../core/keys.js';
import type { Logger } from '../core/logger.js';
import { closeRedis, createRedis, type RedisClient, type RedisTarget } from '../core/redis.js';
import { createApp } from '../http/app.js';
import { AdminService } from '../jobs/admin-service.js';
import { JobService } from '../jobs/job-service.js';
import { BatchService } from '../jobs/batch-service.js';
import { BatchStore } from '../core/batch-store.js';
import { ReplicaAck } from '../core/replica-ack.js';
import { indexHorizonMs } from './index-horizon.js';
import { WebhookQueue } from '../core/webhook-queue.js';
import { CallbackTrigger } from '../webhooks/callback-trigger.js';
import { routeTarget, RouteSteps } from '../core/route-steps.js';
import { OutboxRelay } from '../jobs/outbox-relay.js';
import { InFlightAudit } from '../jobs/in-flight-audit.js';
import { newWorkerId } from '../observability/worker-heartbeat.js';
import { AdminSessions } from '../auth/admin-sessions.js';
import { FleetStatus } from '../observability/fleet-status.js';
import { CircuitBreakers } from '../core/circuit-breaker.js';
import { ConcurrencyLimits } from '../core/concurrency-limit.js';
import { JobActivity } from '../observability/job-activity.js';
import { JobObserver } from '../observability/job-observer.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { registerQueueCollectors } from '../observability/queue-collectors.js';
import { countRedisErrors } from '../observability/redis-errors.js';
import type { Tracing } from '../observability/tracing.js';

export interface GatewayRuntime {
  app: Express;
  metrics: Metrics;
  keys: Keys;
  store: JobStore;
  redis: RedisClient;
  /** Wakes held requests when their job changes (its sweep count is what tests read). */
  watcher: JobWatcher;
  /** The tenants' request rate for all but submits (tests call its sync()). */
  rateLimiter: BatchedRateLimiter;
  /** Carries out what the outboxes hold now (tests wait on it instead of sleeping). */
  relayNow(): Promise<void>;
  /** Shutdown, first step: held long-polls and event streams answer now with what they have. */
  stopWaiting(): void;
  /** Idempotent: closes queues and connections. */
  close(): Promise<void>;
}

/** How long a cancel or a replay waits for its outbox effects before it answers anyway. */
const RELAY_WAIT_MS = 1_000;

/** Builds everything the gateway needs on its own connections. Does not listen. */
export async function createGatewayRuntime(opts: {
  config: GatewayConfig;
  redis: RedisTarget;
  logger: Logger;
  metrics?: Metrics;
  tracing?: Tracing | undefined;
  /** REDIS_WAIT_REPLICAS and its timeout; absent (or undefined): no replica is waited for. */
  waitReplicas?: { replicas: number; timeoutMs: number } | undefined;
}): Promise<GatewayRuntime> {
  const { config, redis: target, logger } = opts;
  const metrics = opts.metrics ?? createMetrics({ process: 'gateway', defaultMetrics: true });
  const keys = createKeys(config.server.keyPrefix);
  const redis = createRedis(target, 'producer', 'gateway');
  const subscriber = createRedis(target, 'subscriber', 'gateway-sub');
  countRedisErrors(redis, 'gateway', metrics, logger);
  countRedisErrors(subscriber, 'gateway-sub', metrics, logger);
  const store = new JobStore(redis, keys);
  const queues = new JobQueues(redis, keys, config.targets);
  const watcher = new JobWatcher(subscriber, keys.jobChannel(), (ids) => store.eventVersions(ids));
  await watcher.start();
  const webhooks = new WebhookQueue(redis, keys);
  const trigger = new CallbackTrigger(config, webhooks, logger);
  // Every gateway relays every target's outbox: the effects of its own cancels and replays,
  // and of any target whose executors are down. On a connection of its own: a relay read in
  // flight on the auto-pipelined request connection would hold the requests' commands behind
  // it (ioredis sends one auto-pipeline at a time), past their command timeout.
  const relayConnection = createRedis(target, 'worker', 'gateway-relay');
  countRedisErrors(relayConnection, 'gateway-relay', metrics, logger);
  // And every fanOut and chain route's outbox: only a gateway moves routes on (RouteConductor).
  const routeTargets = [...config.routes.values()].filter((r) => r.kind !== 'switch').map((r) => routeTarget(r.name));
  const relay = new OutboxRelay(relayConnection, keys, [...config.targets.keys(), ...routeTargets], trigger, logger, {
    consumer: newWorkerId('gateway'),
    // `jobs` is made below; an entry read before then fails, and is carried out on the next round.
    advanceRoute: (id): Promise<void> => jobs.advanceRoute(id),
  });
  await relay.start();
  // Frees the in-flight slots a gateway that died between admission and storing left taken.
  const inFlightAudit = new InFlightAudit(relayConnection, keys, logger);
  inFlightAudit.start();
  const activity = new JobActivity(redis, keys);
  const breakers = new CircuitBreakers(redis, keys);
  const fleet = new FleetStatus(redis, keys, queues, config.targets, breakers, new ConcurrencyLimits(redis, keys));
  registerQueueCollectors(metrics, fleet);
  const admission = new TenantAdmission(redis, keys, indexHorizonMs(config));
  const rateLimiter = new BatchedRateLimiter(redis, keys, config.tenants, config.server.rateLimitSyncMs, (err) => logger.warn({ err }, 'rate counts not synced with Redis yet; retrying'));
  rateLimiter.start();
  const jobs = new JobService(config, store, queues, watcher, logger, {
    handlers,
    admission,
    list: new TenantJobList(redis, keys, store),
    outboxWritten: () => relay.runWithin(RELAY_WAIT_MS),
    observer: new JobObserver(metrics, activity),
    routeSteps: new RouteSteps(redis, keys),
    ...(opts.tracing && { tracing: opts.tracing }),
    ...(opts.waitReplicas && { replicaAck: new ReplicaAck(redis, keys, opts.waitReplicas.replicas, opts.waitReplicas.timeoutMs) }),
  });
  const admin = new AdminService({ config, store, queues, logger, trigger, fleet, activity, deadLetters: new DeadLetterIndex(redis, keys), breakers, outboxWritten: () => relay.runWithin(RELAY_WAIT_MS) });
  const app = createApp({
    config,
    jobs,
    batches: new BatchService(config, jobs, new BatchStore(redis, keys), logger),
    admin,
    redis,
    logger,
    metrics,
    fleet,
    queues,
    sessions: new AdminSessions(redis, keys.prefix),
    idempotency: new IdempotencyStore(redis, keys),
    rateLimiter,
    ...(opts.tracing && { tracing: opts.tracing }),
  });
  let closing: Promise<void> | null = null;
  return {
    app,
    metrics,
    keys,
    store,
    redis,
    watcher,
    rateLimiter,
    relayNow: () => relay.runOnce(),
    stopWaiting: () => jobs.stopWaiting(),
    close() {
      closing ??= (async () => {
        watcher.stop();
        await rateLimiter.stop().catch(() => undefined);
        await jobs.close();
        await admin.close();
        inFlightAudit.stop();
        await relay.close();
        await activity.close();
        await queues.close();
        await webhooks.close().catch(() => undefined);
        await Promise.allSettled([closeRedis(subscriber), closeRedis(relayConnection), closeRedis(redis)]);
      })();
      return closing;
    },
  };
}
