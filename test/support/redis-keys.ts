import { isCluster, masters, waitReady, type RedisClient } from '../../src/core/redis.js';

/**
 * Deletes keys one command each, in one round trip: a DEL of several keys is refused
 * (CROSSSLOT) when they are in different hash slots, as on the slot-checked test Redis. On
 * a cluster, where one pipeline may not span nodes, each key is its own command.
 */
export async function deleteKeys(redis: RedisClient, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  if (isCluster(redis)) {
    await Promise.all(keys.map((key) => redis.unlink(key)));
    return;
  }
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.unlink(key);
  await pipeline.exec();
}

/**
 * Every key matching `pattern`, from every master of a cluster. Waits for the connection to
 * be ready first: until a cluster connection has read the slot map, its node list is the
 * seed list, replicas included, which would report a master's keys twice.
 */
export async function keysMatching(redis: RedisClient, pattern: string): Promise<string[]> {
  await waitReady(redis, 10_000);
  return (await Promise.all(masters(redis).map((node) => node.keys(pattern)))).flat();
}

/** Deletes every key matching `pattern` (a test's unique prefix, say). */
export async function deleteMatching(redis: RedisClient, pattern: string): Promise<void> {
  await deleteKeys(redis, await keysMatching(redis, pattern));
}
