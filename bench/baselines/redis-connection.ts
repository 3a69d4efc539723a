import { Cluster, Redis, type RedisOptions } from 'ioredis';

/**
 * The Redis-backed baselines' connection, as their author would open it: an ioredis
 * `Cluster` seeded with REDIS_CLUSTER_NODES (`host:port,host:port`) when that is set, a
 * `Redis` on REDIS_URL otherwise. `options` are each connection's (on a cluster, every
 * node's: ioredis reads maxRetriesPerRequest there, and so does BullMQ's check of it).
 */
export function connect(options: RedisOptions): Redis | Cluster {
  const nodes = process.env.REDIS_CLUSTER_NODES;
  if (!nodes) return new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', options);
  return new Cluster(nodes.split(',').map(seed), { redisOptions: options });
}

function seed(hostPort: string): { host: string; port: number } {
  const at = hostPort.lastIndexOf(':');
  return { host: hostPort.slice(0, at).trim(), port: Number(hostPort.slice(at + 1)) };
}

/**
 * A BullMQ key prefix for `name`, in braces on a cluster. BullMQ's scripts touch several
 * keys of a queue (`<prefix>:<queue>:...`), which a cluster only allows in one hash slot: a
 * prefix in braces is a hash tag that puts a whole queue in one. The runner uses it too,
 * for the queue it fills for the bare worker.
 */
export function bullPrefixFor(name: string, cluster: boolean): string {
  return cluster ? `{${name}}` : name;
}

/** This baseline's BullMQ prefix: BULL_PREFIX, else `name` as bullPrefixFor makes it for this process's Redis. */
export function bullPrefix(name: string): string {
  return process.env.BULL_PREFIX ?? bullPrefixFor(name, Boolean(process.env.REDIS_CLUSTER_NODES));
}
