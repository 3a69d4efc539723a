import type { RedisClient } from '../core/redis.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from './metrics.js';

/**
 * Counts a connection's errors into `asyncgw_redis_errors_total{connection}`. ioredis
 * reconnects by itself and emits one error per failed try, so the log line stays at
 * debug (an outage would otherwise flood the log); the counter and /readyz tell operators.
 */
export function countRedisErrors(redis: RedisClient, connection: string, metrics: Metrics, logger: Logger): void {
  redis.on('error', (err: Error) => {
    metrics.redisErrors.inc({ connection });
    logger.debug({ err: err.message, connection }, 'redis connection error');
  });
}
