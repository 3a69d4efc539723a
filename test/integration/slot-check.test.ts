import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { uniquePrefix } from '../support/test-stack.js';

/**
 * The shared test Redis is a one-node cluster (test/support/global-redis.ts), so every
 * integration and contract test runs slot-checked: a multi-key command, transaction or
 * script across hash slots fails the test that made it, as it would on Redis Cluster.
 */
describe('the slot-checked test Redis', () => {
  const redis = new Redis(inject('redisUrl'));
  const p = uniquePrefix();
  afterAll(() => redis.disconnect());

  it('refuses multi-key commands, transactions and scripts across slots, and allows them within one', async () => {
    await expect(redis.del(`${p}:{a}:1`, `${p}:{b}:1`)).rejects.toThrow(/CROSSSLOT/);
    await expect(redis.multi().set(`${p}:{a}:1`, '1').set(`${p}:{b}:1`, '1').exec()).rejects.toThrow(/EXECABORT|CROSSSLOT/);
    await expect(redis.eval('return 1', 2, `${p}:{a}:1`, `${p}:{b}:1`)).rejects.toThrow(/CROSSSLOT/);
    // One hash tag, one slot: fine.
    expect(await redis.multi().set(`${p}:{a}:1`, '1').set(`${p}:{a}:2`, '2').exec()).toEqual([
      [null, 'OK'],
      [null, 'OK'],
    ]);
    expect(await redis.del(`${p}:{a}:1`, `${p}:{a}:2`)).toBe(2);
  });
});
