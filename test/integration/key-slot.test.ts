import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, inject } from 'vitest';
import { keySlot } from '../../src/core/key-slot.js';

/** Our slot function against Redis's own (the test Redis runs cluster-enabled, so CLUSTER KEYSLOT answers). */
describe('keySlot', () => {
  const redis = new Redis(inject('redisUrl'));
  afterAll(() => redis.disconnect());
  const redisSlot = async (key: string) => Number(await redis.call('CLUSTER', 'KEYSLOT', key));

  it('agrees with CLUSTER KEYSLOT on hash tags, empty tags, unclosed braces and non-ASCII keys', async () => {
    for (const key of ['', 'foo', '{user1000}.following', '{user1000}.followers', 'foo{}{bar}', 'foo{{bar}}zap', 'foo{bar}{zap}', '{', '}{', 'ag:job:{stIe}:job_stIe123', 'clé-ünïcode-☃', '{☃}x']) {
      expect(keySlot(key), key).toBe(await redisSlot(key));
    }
    // The examples of the cluster specification.
    expect(keySlot('123456789')).toBe(12_739);
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
  });

  it('agrees with CLUSTER KEYSLOT on any string', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 40 }), async (key) => {
        expect(keySlot(key)).toBe(await redisSlot(key));
      }),
      { numRuns: 200 },
    );
  });
});
