import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeys } from '../../src/core/keys.js';
import { DEMO_TARGETS, eventually, startStack, testConfig, type TestStack } from '../support/test-stack.js';

describe('POST /v1/jobs', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack.close();
  });

  it('answers 202 with Location, Operation-Location, Retry-After and the stored job document', async () => {
    const res = await stack.request.post('/v1/jobs').send({ target: 'echo', input: { delayMs: 300 } });
    expect(res.status).toBe(202);
    const id = res.body.id as string;
    expect(id).toMatch(/^job_[A-Za-z0-9_-]{26}$/);
    expect(res.headers.location).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/v1/jobs/${id}$`));
    expect(res.headers['operation-location']).toBe(res.headers.location);
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(res.headers['x-request-id']).toBeTruthy();
    expect(res.body).toMatchObject({ target: 'echo', status: 'queued', attempts: 0, maxAttempts: 3 });
    // Stored before the answer: the record is in Redis the moment the 202 arrives.
    const stored = await stack.redis.hget(createKeys(stack.config.server.keyPrefix).job(id), 'status');
    expect(stored).not.toBeNull();
  });

  it('returns 200 with the finished document when Prefer: wait is met', async () => {
    const res = await stack.request
      .post('/v1/jobs')
      .set('Prefer', 'respond-async, wait=10')
      .send({ target: 'echo', input: { hello: 'world' } });
    expect(res.status).toBe(200);
    expect(res.headers['preference-applied']).toBe('respond-async, wait=10');
    expect(res.headers.vary).toContain('Prefer');
    expect(res.body).toMatchObject({ status: 'succeeded', result: { echo: { hello: 'world' } } });
  });

  it('falls back to 202 when the job outlasts Prefer: wait', async () => {
    const res = await stack.request.post('/v1/jobs').set('Prefer', 'wait=1').send({ target: 'echo', input: { delayMs: 5_000 } });
    expect(res.status).toBe(202);
    expect(res.headers['preference-applied']).toBe('wait=1');
    expect(['queued', 'running']).toContain(res.body.status);
    await stack.request.post(`/v1/jobs/${res.body.id}/cancel`);
  });

  it('refuses an unknown target with 422 before anything is stored', async () => {
    // Every key but the per-second rate-limit counter, which any request may start.
    const stored = async () => (await stack.keys(`${stack.config.server.keyPrefix}:*`)).filter((k) => !k.includes(':rate:')).sort();
    // The earlier tests' jobs have ended (the last was canceled); their effects are relayed
    // a moment after each end: let them settle first, so that only this request could differ.
    await eventually(async () => (await stack.redis.zcard(createKeys(stack.config.server.keyPrefix).tenantInFlight('public'))) === 0);
    const before = await stored();
    const res = await stack.request.post('/v1/jobs').send({ target: 'nope', input: {} });
    expect(res.status).toBe(422);
    expect(res.type).toBe('application/problem+json');
    expect(res.body).toMatchObject({ code: 'unknown_target', status: 422, errors: [{ path: '/target' }] });
    expect(await stored()).toEqual(before);
  });

  it('reports a delayed job as queued with its runAt, then runs it', async () => {
    const res = await stack.request.post('/v1/jobs').send({ target: 'echo', input: {}, delay: 400 });
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('queued');
    const runAt = Date.parse(res.body.runAt as string);
    expect(runAt).toBeGreaterThanOrEqual(Date.parse(res.body.createdAt as string) + 400);
    const done = await stack.request.get(`/v1/jobs/${res.body.id}?wait=10`);
    expect(done.body.status).toBe('succeeded');
    expect(Date.parse(done.body.startedAt as string)).toBeGreaterThanOrEqual(runAt);
  });

  it('accepts runAt as an absolute time', async () => {
    const runAt = new Date(Date.now() + 300).toISOString();
    const res = await stack.request.post('/v1/jobs').send({ target: 'echo', runAt });
    expect(res.body.runAt).toBe(runAt);
    const done = await stack.request.get(`/v1/jobs/${res.body.id}?wait=10`);
    expect(Date.parse(done.body.startedAt as string)).toBeGreaterThanOrEqual(Date.parse(runAt));
  });

  it('refuses a priority outside the target range and a delay past maxDelayMs', async () => {
    const p = await stack.request.post('/v1/jobs').send({ target: 'echo', priority: 11 });
    expect(p.status).toBe(422);
    expect(p.body.errors).toEqual([{ path: '/priority', message: 'must be between 0 and 10' }]);
    const d = await stack.request.post('/v1/jobs').send({ target: 'echo', delay: 8 * 86_400_000 });
    expect(d.status).toBe(422);
    expect(d.body.errors[0].path).toBe('/delay');
  });
});

describe('priority', () => {
  it('runs higher-priority jobs first within a target', async () => {
    const stack = await startStack({
      config: testConfig({ targets: { echo: { ...DEMO_TARGETS.echo, concurrency: 1 } } }),
      executor: false,
    });
    try {
      const ids: Record<number, string> = {};
      for (const priority of [1, 5, 9, 3]) {
        const res = await stack.request.post('/v1/jobs').send({ target: 'echo', priority });
        expect(res.body.priority).toBe(priority);
        ids[priority] = res.body.id as string;
      }
      await stack.startExecutor();
      const started = await eventually(async () => {
        const docs = await Promise.all(Object.values(ids).map(async (id) => (await stack.request.get(`/v1/jobs/${id}`)).body));
        return docs.every((d) => d.status === 'succeeded') ? docs : null;
      });
      const order = [...started].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt)).map((d) => d.priority as number);
      expect(order).toEqual([9, 5, 3, 1]);
    } finally {
      await stack.close();
    }
  });
});
