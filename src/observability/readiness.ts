import type { RedisClient } from '../core/redis.js';

/**
 * The checks behind every `/readyz`: the gateway's (src/http/routes/health.ts) and a
 * worker's own metrics endpoint (metrics-server.ts). Below both, so that neither imports
 * the other.
 */

/** How long a readiness probe waits for any one check. */
export const READY_TIMEOUT_MS = 1_000;

/** Resolves with the promise's value, or `fallback` after `ms` (or when it rejects). */
export async function within<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p.catch(() => fallback), new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** True when Redis answers a PING within `ms`. */
export function redisAnswers(redis: RedisClient, ms = READY_TIMEOUT_MS): Promise<boolean> {
  return within(redis.ping().then(() => true), ms, false);
}
