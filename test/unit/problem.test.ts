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
});
