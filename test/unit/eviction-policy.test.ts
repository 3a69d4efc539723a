import { describe, expect, it } from 'vitest';
import { judgeEvictionPolicy } from '../../src/core/eviction-policy.js';

describe('judgeEvictionPolicy', () => {
  it.each([
    ['noeviction', true, false],
    ['allkeys-lru', false, true],
    ['allkeys-random', false, true],
    ['volatile-lru', false, false],
    [null, false, false],
  ] as const)('%s', (policy, ok, fatal) => {
    const v = judgeEvictionPolicy(policy);
    expect(v.ok).toBe(ok);
    if (!v.ok) expect(v.fatal).toBe(fatal);
  });
});
