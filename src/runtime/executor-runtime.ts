import type { GatewayConfig } from '../config/schema.js';
import { JobStore } from '../core/job-store.js';
import { createKeys } from '../core/keys.js';
import type { Logger } from '../core/logger.js';
import { closeRedis, createRedis, type RedisClient, type RedisTarget } from '../core/redis.js';
import { Executor, targetsToServe } from '../../workers/executor/executor.js';
import { WebhookQueue } from '../core/webhook-queue.js';
import { CallbackTrigger } from '../webhooks/callback-trigger.js';
import { OutboxRelay } from '../jobs/outbox-relay.js';
import { JobActivity } from '../observability/job-activity.js';
import { JobObserver } from '../observability/job-observer.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { countRedisErrors } from '../observability/redis-errors.js';
import type { Tracing } from '../observability/tracing.js';
import { newWorkerId, WorkerHeartbeat } from '../observability/worker-heartbeat.js';

export interface ExecutorRuntime {
  executor: Executor;
  metrics: Metrics;
  /** This process's heartbeat id (what /readyz and the dashboard count). */
  workerId: string;
  /** The worker connection, for the metrics server's readiness check. */
  connection: RedisClient;
  /** False once close() began. */
  isRunning(): boolean;
  /** Idempotent: drains the executor (up to `timeoutMs`), then closes its connections. */
  close(timeoutMs?: number): Promise<void>;
}

export async function startExecutorRuntime(opts: {
  config: GatewayConfig;
  redis: RedisTarget;
  logger: Logger;
  targets?: readonly string[];
  metrics?: Metrics;
  tracing?: Tracing | undefined;
}): Promise<ExecutorRuntime> {
  const { config, redis: target, logger } = opts;
  const metrics = opts.metrics ?? createMetrics({ process: 'executor', defaultMetrics: true });
  const keys = createKeys(config.server.keyPrefix);
  const connection = createRedis(target, 'worker', 'executor');
  const subscriber = createRedis(target, 'subscriber', 'executor-sub');
  countRedisErrors(connection, 'executor', metrics, logger);
  countRedisErrors(subscriber, 'executor-sub', metrics, logger);
  const store = new JobStore(connection, keys);
  const webhooks = new WebhookQueue(connection, keys);
  const activity = new JobActivity(connection, keys);
  const workerId = newWorkerId('executor');
  const relay = new OutboxRelay(connection, keys, targetsToServe(config, opts.targets), new CallbackTrigger(config, webhooks, logger), logger, { consumer: workerId });
  const executor = new Executor({
    outboxWritten: () => relay.kick(),
    config,
    keys,
    store,
    connection,
    subscriber,
    logger,
    observer: new JobObserver(metrics, activity),
    ...(opts.targets && { targets: opts.targets }),
    ...(opts.tracing && { tracing: opts.tracing }),
    executorId: workerId,
  });
  await executor.start();
  await relay.start();
  const heartbeat = new WorkerHeartbeat(connection, executor.servedTargets.map((t) => keys.workers(t)), workerId);
  await heartbeat.start();
  let closing: Promise<void> | null = null;
  return {
    executor,
    metrics,
    workerId: heartbeat.workerId,
    connection,
    isRunning: () => closing === null,
    close(timeoutMs = 25_000) {
      closing ??= (async () => {
        // Leave the roll-call first: this process takes no new jobs from here on.
        await heartbeat.stop();
        await executor.close(timeoutMs);
        // After the executor: the jobs it ended while draining leave their effects now.
        await relay.close();
        await activity.close();
        await webhooks.close().catch(() => undefined);
        await Promise.allSettled([closeRedis(subscriber), closeRedis(connection)]);
      })();
      return closing;
    },
  };
}
