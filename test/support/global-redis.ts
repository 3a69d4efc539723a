import type { TestProject } from 'vitest/node';
import { hasRedisServerBinary, startRedisServer, type RedisServer } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    /** The cluster tier's Redis Cluster, as a JSON RedisClusterTarget; empty elsewhere. */
    redisCluster: string;
  }
}

let server: RedisServer | undefined;

/**
 * One private redis-server for the run (the machine's shared Redis stays
 * untouched); each test isolates itself with a unique key prefix. It runs as a one-node
 * cluster, so any multi-key command, transaction or script across hash slots fails the
 * test that made it (see startRedisServer's `slotChecked`). Without the binary, falls
 * back to REDIS_URL.
 */
export async function setup(project: TestProject): Promise<void> {
  if (hasRedisServerBinary()) {
    server = await startRedisServer([], { slotChecked: true });
    project.provide('redisUrl', server.url);
    project.provide('redisCluster', '');
    return;
  }
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('tests need redis-server on PATH or REDIS_URL');
  project.provide('redisUrl', url);
  project.provide('redisCluster', '');
}

export async function teardown(): Promise<void> {
  await server?.destroy();
}
