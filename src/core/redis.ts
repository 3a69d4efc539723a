import { Redis, type RedisOptions } from 'ioredis';

/**
 * Connections by role. Producers (the gateway's request path) fail fast: no offline
 * queue, a command timeout, so that a Redis outage answers 503 instead of hanging.
 * Workers and subscribers wait out outages (`maxRetriesPerRequest: null`), as BullMQ
 * requires for its blocking connections.
 */
export type RedisRole = 'producer' | 'worker' | 'subscriber';

const COMMAND_TIMEOUT_MS = 2_000;

export function redisOptions(role: RedisRole, name: string): RedisOptions {
  const base: RedisOptions = {
    connectionName: `async-gateway:${name}`,
    // Keep the v5 wire protocol: BullMQ's scripts and our reply parsing expect RESP2 shapes.
    protocol: 2,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
  };
  if (role === 'producer') {
    return {
      ...base,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: COMMAND_TIMEOUT_MS,
      // Auto-pipelining: the commands issued in one tick leave in one write (bench: submit
      // 371 -> 339 CPU us/req, status 227 -> 219, Redis's own CPU per read 17 -> 4 us). It
      // was off because a batch mixing script calls once resolved with too few replies
      // ("results[i] is not iterable", with rate-limiter-flexible's scripts beside BullMQ's,
      // after a NOSCRIPT); the gateway no longer carries those scripts, and
      // test/integration/auto-pipelining.test.ts drives mixed script batches through a
      // script-cache flush. On Redis Cluster ioredis keys an auto-pipelined EVALSHA by its
      // SHA, not its first key (ioredis#2109): a cluster connection must turn it off.
      enableAutoPipelining: true,
    };
  }
  return { ...base, maxRetriesPerRequest: null, enableOfflineQueue: true };
}

/**
 * Runs `issue`, which sends several commands at once, with the connection's socket corked,
 * so that they leave in one write instead of one system call each (ioredis writes every
 * command as it is issued; on the hot paths those calls cost more CPU than the commands).
 * A pipeline() would batch them too, but ioredis copies every script defined on the
 * connection (BullMQ's ~50) onto each new pipeline. Commands must be issued synchronously
 * inside `issue`; their replies are awaited outside.
 */
export function issueTogether<T>(redis: Redis, issue: () => T): T {
  const socket = redis.status === 'ready' ? redis.stream : null;
  socket?.cork();
  try {
    return issue();
  } finally {
    socket?.uncork();
  }
}

export function createRedis(url: string, role: RedisRole, name: string): Redis {
  return new Redis(url, redisOptions(role, name));
}

/** Resolves once the connection is ready, or rejects after `timeoutMs`. */
export async function waitReady(redis: Redis, timeoutMs = 5_000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}

/** Quit politely, or cut the socket when Redis is already gone. Never throws. */
export async function closeRedis(redis: Redis): Promise<void> {
  try {
    if (redis.status === 'end') return;
    if (redis.status === 'ready') await redis.quit();
    else redis.disconnect();
  } catch {
    redis.disconnect();
  }
}
