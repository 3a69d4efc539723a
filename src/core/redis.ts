import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisClusterTarget, RedisTarget } from '../config/env.js';
import { keySlot } from './key-slot.js';

/** A connection: to one Redis, or to a Redis Cluster (whose commands route by key slot). */
export type RedisClient = Redis | Cluster;

export type { RedisClusterTarget, RedisTarget };

export const isCluster = (redis: RedisClient): redis is Cluster => (redis as { isCluster?: boolean }).isCluster === true;

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
export function issueTogether<T>(redis: RedisClient, issue: () => T): T {
  // A cluster's commands go to several nodes' sockets: nothing to cork there.
  const socket = !isCluster(redis) && redis.status === 'ready' ? redis.stream : null;
  socket?.cork();
  try {
    return issue();
  } finally {
    socket?.uncork();
  }
}

export function createRedis(target: RedisTarget, role: RedisRole, name: string): RedisClient {
  if (typeof target === 'string') return new Redis(target, redisOptions(role, name));
  return new Cluster(
    target.nodes.map((n) => ({ ...n })),
    clusterOptions(target, role, name),
  );
}

/**
 * A cluster connection for `role`: each node's connection as redisOptions says, the
 * offline queue and the retry strategy at the cluster's level (where ioredis reads them),
 * and no auto-pipelining (ioredis groups an auto-pipelined script call by its first
 * argument, not its first key, ioredis#2109: our scripts with a variable number of keys
 * would go to the wrong node). Reads go to masters: a replica may lag behind a write the
 * same request just made.
 */
export function clusterOptions(target: RedisClusterTarget, role: RedisRole, name: string): ClusterOptions {
  const { enableOfflineQueue, retryStrategy, enableAutoPipelining: _notOnACluster, ...node } = redisOptions(role, name);
  return {
    redisOptions: {
      ...node,
      ...(target.username !== undefined && { username: target.username }),
      ...(target.password !== undefined && { password: target.password }),
      ...(target.tls && { tls: {} }),
    },
    enableOfflineQueue: enableOfflineQueue ?? true,
    enableAutoPipelining: false,
    scaleReads: 'master',
    clusterRetryStrategy: (times) => retryStrategy?.(times) ?? 2_000,
    // A failover takes the cluster-node-timeout and an election: keep redirected commands
    // trying meanwhile (within each command's own timeout on the producer).
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    retryDelayOnTryAgain: 100,
    slotsRefreshTimeout: 2_000,
  };
}

/** A command whose first argument is its only key: `['hgetall', key]`, `['zadd', key, score, member]`. */
export type KeyedCommand = [name: string, key: string, ...args: (string | number)[]];

/** A pipeline's replies: per command, its error or its result. */
export type Replies = [Error | null, unknown][];

/**
 * Sends commands over keys of several hash slots at once and returns their replies in
 * order, as one pipeline does: one pipeline on a single Redis; on a cluster one pipeline
 * per slot (ioredis refuses a pipeline that spans nodes, and only one slot's keys are sure
 * to stay together while slots move), all in flight together.
 */
export async function sendAcrossSlots(redis: RedisClient, commands: readonly KeyedCommand[]): Promise<Replies> {
  if (commands.length === 0) return [];
  if (!isCluster(redis)) return ((await redis.pipeline(commands.map((c) => [...c])).exec()) ?? []) as Replies;
  const bySlot = new Map<number, number[]>();
  commands.forEach((c, i) => {
    const slot = keySlot(c[1]);
    const group = bySlot.get(slot);
    if (group) group.push(i);
    else bySlot.set(slot, [i]);
  });
  const out: Replies = new Array(commands.length);
  await Promise.all(
    [...bySlot.values()].map(async (indexes) => {
      const replies = ((await redis.pipeline(indexes.map((i) => [...commands[i]!])).exec()) ?? []) as Replies;
      indexes.forEach((i, j) => (out[i] = replies[j] ?? [new Error('no reply'), null]));
    }),
  );
  return out;
}

/** The connections a command over every key must visit: each master of a cluster, or the one Redis (on a ready connection: before it has read the slot map, a cluster lists its seeds). */
export function masters(redis: RedisClient): Redis[] {
  return isCluster(redis) ? redis.nodes('master') : [redis];
}

/** Resolves once the connection is ready, or rejects after `timeoutMs`. */
export async function waitReady(redis: RedisClient, timeoutMs = 5_000): Promise<void> {
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
export async function closeRedis(redis: RedisClient): Promise<void> {
  try {
    if (redis.status === 'end') return;
    if (redis.status === 'ready') await redis.quit();
    else redis.disconnect();
  } catch {
    redis.disconnect();
  }
}
