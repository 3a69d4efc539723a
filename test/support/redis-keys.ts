import type { Redis } from 'ioredis';

/**
 * Deletes keys one command each, in one round trip: a DEL of several keys is refused
 * (CROSSSLOT) when they are in different hash slots, as on the slot-checked test Redis.
 */
export async function deleteKeys(redis: Redis, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.unlink(key);
  await pipeline.exec();
}

/** Deletes every key matching `pattern` (a test's unique prefix, say). */
export async function deleteMatching(redis: Redis, pattern: string): Promise<void> {
  await deleteKeys(redis, await redis.keys(pattern));
}
