import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { isRedisConnectionError } from '../../src/http/problem.js';

describe('isRedisConnectionError', () => {
  it("recognises the errors ioredis gives for a command lost with the connection, and nothing else", async () => {
    // Never connected (lazyConnect), no offline queue: as the gateway's producer connection when its socket just died.
    const client = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    const notWriteable = await client.get('k').catch((e: unknown) => e);
    client.disconnect();
    const closed = await client.get('k').catch((e: unknown) => e);
    expect(isRedisConnectionError(notWriteable)).toBe(true);
    expect(isRedisConnectionError(closed)).toBe(true);
    expect(isRedisConnectionError(new Error('Command timed out'))).toBe(true);
    expect(isRedisConnectionError(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(false);
    expect(isRedisConnectionError('Command timed out')).toBe(false);
  });

  it('recognises what a cluster command meets during a failover (seen in test/fault/cluster-failover.test.ts), and not a script bug', () => {
    for (const message of [
      'Too many Cluster redirections. Last error: Error: Connection is closed.',
      'Too many Cluster redirections. Last error: ReplyError: MOVED 5686 127.0.0.1:42235',
      'CLUSTERDOWN The cluster is down',
      'TRYAGAIN Multiple keys request during rehashing of slot',
      'MOVED 3999 127.0.0.1:7002',
    ]) {
      expect(isRedisConnectionError(new Error(message)), message).toBe(true);
    }
    expect(isRedisConnectionError(Object.assign(new Error('Failed to refresh slots cache.'), { name: 'ClusterAllFailedError' }))).toBe(true);
    expect(isRedisConnectionError(new Error("CROSSSLOT Keys in request don't hash to the same slot"))).toBe(false);
    expect(isRedisConnectionError(new Error('ERR Error running script: user_script:12: attempt to index a nil value'))).toBe(false);
  });
});
