import type { GatewayConfig } from '../config/schema.js';
import { JobStore } from '../core/job-store.js';
import { createKeys } from '../core/keys.js';
import type { Logger } from '../core/logger.js';
import { closeRedis, createRedis } from '../core/redis.js';
import { Executor } from '../../workers/executor/executor.js';
import { WebhookQueue } from '../core/webhook-queue.js';
import { CallbackTrigger } from '../webhooks/callback-trigger.js';
import { indexHorizonMs } from './index-horizon.js';

export interface ExecutorRuntime {
  executor: Executor;
  /** Idempotent: drains the executor (up to `timeoutMs`), then closes its connections. */
  close(timeoutMs?: number): Promise<void>;
}

export async function startExecutorRuntime(opts: {
  config: GatewayConfig;
  redisUrl: string;
  logger: Logger;
  targets?: readonly string[];
}): Promise<ExecutorRuntime> {
  const { config, redisUrl, logger } = opts;
  const keys = createKeys(config.server.keyPrefix);
  const connection = createRedis(redisUrl, 'worker', 'executor');
  const subscriber = createRedis(redisUrl, 'subscriber', 'executor-sub');
  connection.on('error', (err) => logger.debug({ err: err.message }, 'redis connection error'));
  subscriber.on('error', (err) => logger.debug({ err: err.message }, 'redis subscriber error'));
  const store = new JobStore(connection, keys, indexHorizonMs(config));
  const webhooks = new WebhookQueue(connection, keys);
  const trigger = new CallbackTrigger(config, store, webhooks, logger);
  const executor = new Executor({
    onJobEnded: (record, status, at) => trigger.jobEnded(record, status, at),
    config,
    keys,
    store,
    connection,
    subscriber,
    logger,
    ...(opts.targets && { targets: opts.targets }),
  });
  await executor.start();
  let closing: Promise<void> | null = null;
  return {
    executor,
    close(timeoutMs = 25_000) {
      closing ??= (async () => {
        await executor.close(timeoutMs);
        await webhooks.close().catch(() => undefined);
        await Promise.allSettled([closeRedis(subscriber), closeRedis(connection)]);
      })();
      return closing;
    },
  };
}
