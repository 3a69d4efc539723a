import type { TestProject } from 'vitest/node';
import { startRedisCluster, type RedisCluster } from './redis-cluster.js';

let cluster: RedisCluster | undefined;

/**
 * The cluster tier's Redis: a real Redis Cluster on loopback (3 masters, 3 replicas),
 * started once for the tier. Its test files are the core suites the single-Redis tiers
 * run too; test/support/test-stack.ts connects them to this cluster when `redisCluster`
 * is provided.
 */
export async function setup(project: TestProject): Promise<void> {
  cluster = await startRedisCluster();
  project.provide('redisCluster', JSON.stringify(cluster.target));
}

export async function teardown(): Promise<void> {
  await cluster?.destroy();
}
