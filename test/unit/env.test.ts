import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/load-config.js';
import { describeRedis, loadEnv, redisTarget, replicaWait } from '../../src/config/env.js';

describe('loadEnv', () => {
  it('applies defaults', () => {
    expect(loadEnv({})).toMatchObject({ PORT: 8080, REDIS_URL: 'redis://127.0.0.1:6379', LOG_LEVEL: 'info', AUTO_REDIS: true });
  });
  it('parses booleans explicitly: "false" is false', () => {
    expect(loadEnv({ AUTO_REDIS: 'false' }).AUTO_REDIS).toBe(false);
  });
  it('reports every bad variable', () => {
    expect(() => loadEnv({ PORT: 'eighty', REDIS_URL: 'http://x', LOG_LEVEL: 'loud' })).toThrow(/PORT[\s\S]*REDIS_URL[\s\S]*LOG_LEVEL/);
  });
});

describe('the Redis to use', () => {
  const problems = (env: Record<string, string>): readonly string[] => {
    try {
      loadEnv(env);
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    return [];
  };

  it('is REDIS_URL, or its default, without REDIS_CLUSTER_NODES', () => {
    expect(redisTarget(loadEnv({}))).toBe('redis://127.0.0.1:6379');
    expect(redisTarget(loadEnv({ REDIS_URL: 'rediss://:pw@redis.internal:6380' }))).toBe('rediss://:pw@redis.internal:6380');
  });

  it('is a cluster of the seed nodes with REDIS_CLUSTER_NODES, credentials and TLS applying to every node', () => {
    const env = loadEnv({ REDIS_CLUSTER_NODES: ' 10.0.0.1:7000, redis-b:7001,[::1]:7002 ', REDIS_USERNAME: 'gw', REDIS_PASSWORD: 's3cret', REDIS_TLS: 'true' });
    const target = redisTarget(env);
    expect(target).toEqual({
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: 'redis-b', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      username: 'gw',
      password: 's3cret',
      tls: true,
    });
    // Logged without the credentials.
    expect(describeRedis(target, (u) => u)).toBe('cluster 10.0.0.1:7000,redis-b:7001,[::1]:7002 (TLS)');
  });

  it('reads a variable set to nothing as unset (how compose passes REDIS_URL= for a cluster)', () => {
    expect(redisTarget(loadEnv({ REDIS_URL: '', REDIS_CLUSTER_NODES: 'redis-node-1:6379' }))).toEqual({ nodes: [{ host: 'redis-node-1', port: 6379 }], tls: false });
    expect(loadEnv({ PORT: '', REDIS_CLUSTER_NODES: '' })).toMatchObject({ PORT: 8080, REDIS_URL: 'redis://127.0.0.1:6379' });
  });

  it('waits for replicas only when REDIS_WAIT_REPLICAS asks for some', () => {
    expect(replicaWait(loadEnv({}))).toBeUndefined();
    expect(replicaWait(loadEnv({ REDIS_WAIT_REPLICAS: '2', REDIS_WAIT_TIMEOUT_MS: '250' }))).toEqual({ replicas: 2, timeoutMs: 250 });
    expect(replicaWait(loadEnv({ REDIS_WAIT_REPLICAS: '1' }))).toEqual({ replicas: 1, timeoutMs: 1_000 });
  });

  it('refuses REDIS_URL and REDIS_CLUSTER_NODES together, naming both', () => {
    expect(problems({ REDIS_URL: 'redis://a:6379', REDIS_CLUSTER_NODES: 'a:7000' })).toEqual([
      'REDIS_URL and REDIS_CLUSTER_NODES: both are set; set REDIS_URL for a single Redis or REDIS_CLUSTER_NODES for a cluster, not both',
    ]);
  });

  it('refuses a malformed node list, each bad node named', () => {
    expect(problems({ REDIS_CLUSTER_NODES: 'a:7000,b,c:99999' }).join('\n')).toMatch(/"b" is not host:port[\s\S]*"c:99999" is not host:port/);
    expect(problems({ REDIS_CLUSTER_NODES: ' , ' })).toEqual(['REDIS_CLUSTER_NODES: lists no node (host:port,host:port)']);
  });

  it('refuses cluster-only settings beside a single Redis, saying where they go instead', () => {
    expect(problems({ REDIS_PASSWORD: 'x', REDIS_TLS: 'true' })).toEqual([
      'REDIS_PASSWORD: applies to REDIS_CLUSTER_NODES only; a single Redis takes its credentials in REDIS_URL (redis://user:password@host:6379)',
      'REDIS_TLS: applies to REDIS_CLUSTER_NODES only; a single Redis over TLS is a rediss:// REDIS_URL',
    ]);
  });
});
