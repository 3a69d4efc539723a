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
      await stack.redis.set(`${stack.config.server.keyPrefix}:q:${createKeys(stack.config.server.keyPrefix).queueName('fail')}:meta`, 'not-a-hash');
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

  it('changes nothing when the replay itself is refused: it is one script', async () => {
    const stack = await startStack();
    try {
      const id = await failJob(stack);
      const keys = createKeys(stack.config.server.keyPrefix);
      // Its end freed its in-flight slot (through the outbox, just after the end).
      await eventually(async () => (await stack.redis.zscore(keys.tenantInFlight('public'), id)) === null);
      const before = await stack.redis.hgetall(keys.job(id));
      const events = await stack.redis.lrange(keys.jobEvents(id), 0, -1);
      const outbox = await stack.redis.xlen(keys.outbox('fail'));
      // The target's dead-letter index turns into a string: the replay's script, which takes
      // the job out of it, refuses before any write. (It used to reset the record first.)
      const index = keys.targetDeadLetters('fail');
      await stack.redis.del(index);
      await stack.redis.set(index, 'not-a-zset');
      const res = await stack.request.post(`/v1/admin/dead-letters/${id}/replay`);
      expect(res.status).toBe(500);
      expect(await stack.redis.hgetall(keys.job(id))).toEqual(before);
      expect(await stack.redis.lrange(keys.jobEvents(id), 0, -1)).toEqual(events);
      expect(await stack.redis.xlen(keys.outbox('fail'))).toBe(outbox);
      expect(await stack.redis.zscore(keys.tenantInFlight('public'), id)).toBeNull();
    } finally {
      await stack.close();
    }
  });
});
