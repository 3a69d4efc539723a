import { describe, expect, it, inject } from 'vitest';
import { JobStore } from '../../src/core/job-store.js';
import { createKeys } from '../../src/core/keys.js';
import { createLogger } from '../../src/core/logger.js';
import { closeRedis, createRedis } from '../../src/core/redis.js';
import { WebhookQueue } from '../../src/core/webhook-queue.js';
import { Notifier } from '../../workers/notifier/notifier.js';
import { DEMO_TARGETS, eventually, LogSink, testConfig } from '../support/test-stack.js';

describe('the notifier', () => {
  it('takes no message before start(), like the executor', async () => {
    const config = testConfig({ targets: DEMO_TARGETS });
    const keys = createKeys(config.server.keyPrefix);
    const connection = createRedis(inject('redisUrl'), 'worker', 'notifier-test');
    const queue = new WebhookQueue(connection, keys);
    const notifier = new Notifier({ config, keys, store: new JobStore(connection, keys), connection, logger: createLogger({ level: 'debug', name: 'test' }, new LogSink()) });
    try {
      // A message for a job that does not exist: a started notifier drops it at once.
      await queue.enqueue({ jobId: 'job_AAAAAAAAAAAAAAAAAAAAAAAAAA', event: 'job.succeeded', messageId: 'msg_test' }, 1, 0);
      await new Promise((r) => setTimeout(r, 500));
      expect(await queue.counts()).toMatchObject({ waiting: 1, active: 0 });
      await notifier.start();
      await eventually(async () => (await queue.counts()).waiting === 0);
    } finally {
      await notifier.close();
      await queue.close();
      const left = await connection.keys(`${keys.prefix}:*`);
      await Promise.all(left.map((k) => connection.del(k)));
      await closeRedis(connection);
    }
  });

  it('closes cleanly when it was never started', async () => {
    const config = testConfig({ targets: DEMO_TARGETS });
    const keys = createKeys(config.server.keyPrefix);
    const connection = createRedis(inject('redisUrl'), 'worker', 'notifier-test');
    try {
      const notifier = new Notifier({ config, keys, store: new JobStore(connection, keys), connection, logger: createLogger({ level: 'debug', name: 'test' }, new LogSink()) });
      await notifier.close();
      await expect(notifier.start()).rejects.toThrow(/closed/);
    } finally {
      await closeRedis(connection);
    }
  });
});
