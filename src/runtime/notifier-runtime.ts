import type { GatewayConfig } from '../config/schema.js';
import { JobStore } from '../core/job-store.js';
import { createKeys } from '../core/keys.js';
import type { Logger } from '../core/logger.js';
import { closeRedis, createRedis } from '../core/redis.js';
import { Notifier } from '../../workers/notifier/notifier.js';
import { indexHorizonMs } from './index-horizon.js';

export interface NotifierRuntime {
  notifier: Notifier;
  close(): Promise<void>;
}

export async function startNotifierRuntime(opts: { config: GatewayConfig; redisUrl: string; logger: Logger }): Promise<NotifierRuntime> {
  const { config, redisUrl, logger } = opts;
  const keys = createKeys(config.server.keyPrefix);
  const connection = createRedis(redisUrl, 'worker', 'notifier');
  connection.on('error', (err) => logger.debug({ err: err.message }, 'redis connection error'));
  const store = new JobStore(connection, keys, indexHorizonMs(config));
  const notifier = new Notifier({ config, keys, store, connection, logger });
  await notifier.start();
  let closing: Promise<void> | null = null;
  return {
    notifier,
    close() {
      closing ??= notifier.close().then(() => closeRedis(connection));
      return closing;
    },
  };
}
