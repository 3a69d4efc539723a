import { describe, expect, it } from 'vitest';
import { DEMO_TARGETS, eventually, startStack, testConfig } from '../support/test-stack.js';

describe('maximum queue age', () => {
  it('ends a job that waited too long as failed with code expired, without running it', async () => {
    const stack = await startStack({
      config: testConfig({ targets: { echo: { ...DEMO_TARGETS.echo, maxQueueAgeMs: 60_000 } } }),
      executor: false,
    });
    try {
      const stale = await stack.request.post('/v1/jobs').send({ target: 'echo', ttl: 50 });
      const fresh = await stack.request.post('/v1/jobs').send({ target: 'echo' });
      const createdAt = Date.parse(stale.body.createdAt as string);
      await eventually(() => Date.now() > createdAt + 100);
      await stack.startExecutor();
      const expired = await stack.request.get(`/v1/jobs/${stale.body.id}?wait=10`);
      expect(expired.body).toMatchObject({ status: 'failed', attempts: 0, startedAt: null, deadLettered: false, error: { code: 'expired', retryable: false } });
      expect((await stack.request.get(`/v1/jobs/${fresh.body.id}?wait=10`)).body.status).toBe('succeeded');
    } finally {
      await stack.close();
    }
  });
});
