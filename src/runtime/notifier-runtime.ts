import type { GatewayConfig } from '../config/schema.js';
import { JobStore } from '../core/job-store.js';
import { createKeys } from '../core/keys.js';
import type { Logger } from '../core/logger.js';
import { closeRedis, createRedis, type RedisClient, type RedisTarget } from '../core/redis.js';
import { Notifier } from '../../workers/notifier/notifier.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { countRedisErrors } from '../observability/redis-errors.js';
import type { Tracing } from '../observability/tracing.js';
import { newWorkerId, WorkerHeartbeat } from '../observability/worker-heartbeat.js';

export interface NotifierRuntime {
  notifier: Notifier;
  metrics: Metrics;
  workerId: string;
  connection: RedisClient;
  isRunning(): boolean;
  close(): Promise<void>;
}

export async function startNotifierRuntime(opts: { config: GatewayConfig; redis: RedisTarget; logger: Logger; metrics?: Metrics; tracing?: Tracing | undefined }): Promise<NotifierRuntime> {
  const { config, redis: target, logger } = opts;
  const metrics = opts.metrics ?? createMetrics({ process: 'notifier', defaultMetrics: true });
  const keys = createKeys(config.server.keyPrefix);
  const connection = createRedis(target, 'worker', 'notifier');
  countRedisErrors(connection, 'notifier', metrics, logger);
  const store = new JobStore(connection, keys);
  const notifier = new Notifier({ config, keys, store, connection, logger, metrics, ...(opts.tracing && { tracing: opts.tracing }) });
  await notifier.start();
  const heartbeat = new WorkerHeartbeat(connection, [keys.notifiers()], newWorkerId('notifier'));
  await heartbeat.start();
  let closing: Promise<void> | null = null;
  return {
    notifier,
    metrics,
    workerId: heartbeat.workerId,
    connection,
    isRunning: () => closing === null,
    close() {
      closing ??= heartbeat
        .stop()
        .then(() => notifier.close())
        .then(() => closeRedis(connection));
      return closing;
    },
  };
}
