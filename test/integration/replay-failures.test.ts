import { describe, expect, it } from 'vitest';
import { createKeys } from '../../src/core/keys.js';
import { eventually, startStack, type TestStack } from '../support/test-stack.js';

const failJob = async (stack: TestStack): Promise<string> => {
  const res = await stack.request.post('/v1/jobs').set('Prefer', 'wait=10').send({ target: 'fail' });
  expect(res.body).toMatchObject({ status: 'failed', deadLettered: true });
  return res.body.id as string;
};

const listedUnderTarget = async (stack: TestStack, id: string) => {
  const res = await stack.request.get('/v1/admin/dead-letters').query({ target: 'fail', limit: 500 });
  return res.status === 200 && (res.body.items as { id: string }[]).some((j) => j.id === id);
};

describe('when Redis fails during a replay', () => {
  it('puts the dead letter back as it was when the enqueue fails', async () => {
    const stack = await startStack();
    try {
      const id = await failJob(stack);
      const before = (await stack.request.get(`/v1/jobs/${id}`)).body;
      // BullMQ's add script fails on a wrong-type meta key; the record's reset went through.
      await stack.redis.set(`${stack.config.server.keyPrefix}:q:{fail}:meta`, 'not-a-hash');
      const res = await stack.request.post(`/v1/admin/dead-letters/${id}/replay`);
      expect(res.status).toBe(500);
      const after = (await stack.request.get(`/v1/jobs/${id}`)).body;
      expect(after).toMatchObject({ status: 'failed', deadLettered: true, error: before.error, finishedAt: before.finishedAt });
      expect((await stack.request.get(`/v1/admin/dead-letters/${id}`)).status).toBe(200);
      expect(await listedUnderTarget(stack, id)).toBe(true);
    } finally {
      await stack.close();
    }
  });

  it('keeps putting it back until Redis takes it, when the compensation is refused too', async () => {
    const stack = await startStack();
    try {
      const id = await failJob(stack);
      // The target's dead-letter index turns into a string: the replay's removal from it
      // fails after the reset, and so does the compensation's re-add. (An outage does both.)
      const index = createKeys(stack.config.server.keyPrefix).targetDeadLetters('fail');
      await stack.redis.del(index);
      await stack.redis.set(index, 'not-a-zset');
      const res = await stack.request.post(`/v1/admin/dead-letters/${id}/replay`);
      expect(res.status).toBe(500);
      await new Promise((r) => setTimeout(r, 200));

      // Redis takes it again: the next retry (every second) puts the dead letter back.
      await stack.redis.del(index);
      await eventually(() => listedUnderTarget(stack, id), 10_000);
      expect(stack.logs.lines.some((l) => l.event === 'dead_letter.replay_undo_failed' && l.jobId === id)).toBe(true);
      expect(stack.logs.lines.some((l) => l.event === 'dead_letter.replay_undone' && l.jobId === id)).toBe(true);
      expect((await stack.request.get(`/v1/jobs/${id}`)).body).toMatchObject({ status: 'failed', deadLettered: true });
      expect((await stack.request.get(`/v1/admin/dead-letters/${id}`)).status).toBe(200);
    } finally {
      await stack.close();
    }
  });
});
