import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { JobQueues } from '../../src/core/job-queues.js';
import { createKeys } from '../../src/core/keys.js';
import { DEMO_TARGETS, testConfig, uniquePrefix } from '../support/test-stack.js';

describe('JobQueues.webhookQueue', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(() => {
    redis.disconnect();
  });

  it('is one Queue with one error listener, however often it is asked for', async () => {
    const config = testConfig({ targets: DEMO_TARGETS });
    const queues = new JobQueues(redis, createKeys(uniquePrefix()), config.targets);
    try {
      const first = queues.webhookQueue();
      for (let i = 0; i < 20; i++) expect(queues.webhookQueue()).toBe(first);
      expect(first.listenerCount('error')).toBe(1);
    } finally {
      await queues.close();
    }
  });
});
