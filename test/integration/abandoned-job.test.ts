import { describe, expect, it } from 'vitest';
import { createKeys } from '../../src/core/keys.js';
import { startStack } from '../support/test-stack.js';

describe('a job the executor cannot process', () => {
  it('ends failed and dead-lettered once BullMQ gives up, instead of showing running forever', async () => {
    const stack = await startStack({ executor: false });
    try {
      const { body } = await stack.request.post('/v1/jobs').send({ target: 'echo' });
      // Corrupt the job's event log so that every attempt throws before it can record anything.
      const events = createKeys(stack.config.server.keyPrefix).jobEvents(body.id);
      await stack.redis.del(events);
      await stack.redis.set(events, 'not a list');
      await stack.startExecutor();
      const done = await stack.request.get(`/v1/jobs/${body.id}?wait=15`);
      expect(done.body).toMatchObject({ status: 'failed', deadLettered: true, error: { code: 'internal_error' } });
      const dl = await stack.request.get('/v1/admin/dead-letters');
      expect(dl.body.items.map((j: { id: string }) => j.id)).toContain(body.id);
    } finally {
      await stack.close();
    }
  });
});
