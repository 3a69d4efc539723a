import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeys } from '../../src/core/keys.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { eventually, startStack, type TestStack } from '../support/test-stack.js';

describe('when Redis fails during admission', () => {
  it('undoes a half-stored job and never answers 202', async () => {
    const stack = await startStack({ executor: false });
    try {
      // A key of the wrong type makes BullMQ's add script fail inside real Redis,
      // while the job record's own write succeeds: the gateway must undo the record.
      const prefix = stack.config.server.keyPrefix;
      await stack.redis.set(`${prefix}:q:${createKeys(prefix).queueName('echo')}:meta`, 'not-a-hash');
      const res = await stack.request.post('/v1/jobs').send({ target: 'echo' });
      expect(res.status).toBe(500);
      expect(res.body.code).toBe('internal_error');
      expect(JSON.stringify(res.body)).not.toMatch(/WRONGTYPE|meta|stack/i);
      const keys = await stack.keys(`${prefix}:*`);
      expect(keys.filter((k) => k.includes(':job:'))).toEqual([]);
      expect(await stack.redis.zcard(`${prefix}:tenant:{public}:jobs`)).toBe(0);
    } finally {
      await stack.close();
    }
  });
});

describe('when Redis refuses the undo too', () => {
  it('keeps the undo and tries it again until it goes through', async () => {
    const stack = await startStack({ executor: false });
    try {
      const prefix = stack.config.server.keyPrefix;
      // BullMQ's add fails (wrong-type meta key), and so does the undo: its ZREM on the
      // webhook dead-letter index meets a string. (A real outage does both at once.)
      await stack.redis.set(`${prefix}:q:${createKeys(prefix).queueName('echo')}:meta`, 'not-a-hash');
      await stack.redis.set(`${prefix}:webhook-dead-letters`, 'not-a-zset');
      const res = await stack.request.post('/v1/jobs').send({ target: 'echo' });
      expect(res.status).toBe(500);
      const id = await eventually(() => stack.logs.lines.find((l) => l.event === 'job.admission_undo_failed')?.jobId as string | undefined);
      expect(stack.logs.lines.some((l) => l.event === 'job.admission_undone')).toBe(false);

      // Redis takes it again: the next retry (every second) succeeds.
      await stack.redis.del(`${prefix}:webhook-dead-letters`);
      await eventually(() => stack.logs.lines.some((l) => l.event === 'job.admission_undone' && l.jobId === id), 10_000);
      expect((await stack.keys(`${prefix}:job:*`)).length).toBe(0);
      expect(await stack.redis.zcard(`${prefix}:tenant:{public}:in-flight`)).toBe(0);
    } finally {
      await stack.close();
    }
  });
});

describe('when Redis is slow', () => {
  it('answers 503 once the 2 s command timeout passes, never 202, and serves again afterwards', async () => {
    const redis = await startRedisServer(['--enable-debug-command', 'yes']);
    const stack = await startStack({ redis: redis.url, executor: false });
    const blocker = new Redis(redis.url);
    try {
      expect((await stack.request.post('/v1/jobs').send({ target: 'echo' })).status).toBe(202);
      // Connected first, so that the sleep reaches Redis before the submit does.
      await blocker.ping();
      const sleeping = blocker.call('DEBUG', 'SLEEP', '4').catch(() => undefined);
      const res = await stack.request.post('/v1/jobs').send({ target: 'echo' });
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('redis_unavailable');
      expect(res.headers['retry-after']).toBe('1');
      await sleeping;
      await eventually(async () => (await stack.request.post('/v1/jobs').send({ target: 'echo' })).status === 202);
    } finally {
      blocker.disconnect();
      await stack.close();
      await redis.destroy();
    }
  });
});

describe('when Redis is down', () => {
  let redis: RedisServer;
  let stack: TestStack;
  beforeAll(async () => {
    redis = await startRedisServer();
    stack = await startStack({ redis: redis.url, executor: false });
  });
  afterAll(async () => {
    await redis.start().catch(() => undefined);
    await stack.close();
    await redis.destroy();
  });

  it('answers 503 with Retry-After instead of hanging or accepting, and recovers when Redis returns', async () => {
    const before = await stack.request.post('/v1/jobs').send({ target: 'echo' });
    expect(before.status).toBe(202);
    await redis.stop();
    await eventually(() => stack.gateway.redis.status !== 'ready');

    const submit = await stack.request.post('/v1/jobs').send({ target: 'echo' });
    expect(submit.status).toBe(503);
    expect(submit.body.code).toBe('redis_unavailable');
    expect(submit.headers['retry-after']).toBe('1');
    const read = await stack.request.get(`/v1/jobs/${before.body.id}`);
    expect(read.status).toBe(503);
    expect((await stack.request.get('/readyz')).status).toBe(503);

    await redis.start();
    await eventually(async () => (await stack.request.get('/readyz')).status === 200);
    const after = await stack.request.post('/v1/jobs').send({ target: 'echo' });
    expect(after.status).toBe(202);
  });
});
