import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from '../support/test-stack.js';

describe('reading a job', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack.close();
  });

  it('long-polls with ?wait until the job ends', async () => {
    const { body } = await stack.request.post('/v1/jobs').send({ target: 'echo', input: { delayMs: 300 } });
    const res = await stack.request.get(`/v1/jobs/${body.id}?wait=20`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: body.id, status: 'succeeded', progress: 100, attempts: 1 });
    expect(res.headers['retry-after']).toBeUndefined();
  });

  it('answers ?wait with the unfinished document once the wait is over, with Retry-After', async () => {
    const { body } = await stack.request.post('/v1/jobs').send({ target: 'echo', input: { delayMs: 10_000 } });
    const res = await stack.request.get(`/v1/jobs/${body.id}?wait=1`);
    expect(res.status).toBe(200);
    expect(['queued', 'running']).toContain(res.body.status);
    expect(res.headers['retry-after']).toBe('1');
    await stack.request.post(`/v1/jobs/${body.id}/cancel`);
  });

  it('answers 409 for the result of an unfinished job, then the result once it succeeded', async () => {
    const { body } = await stack.request.post('/v1/jobs').send({ target: 'echo', input: { delayMs: 500, n: 7 } });
    const early = await stack.request.get(`/v1/jobs/${body.id}/result`);
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ code: 'job_not_finished' });
    expect(early.headers['retry-after']).toBe('1');
    await stack.request.get(`/v1/jobs/${body.id}?wait=20`);
    const result = await stack.request.get(`/v1/jobs/${body.id}/result`);
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ echo: { delayMs: 500, n: 7 } });
  });

  it('answers the failed job problem for the result of a failed job', async () => {
    const { body } = await stack.request.post('/v1/jobs').set('Prefer', 'wait=10').send({ target: 'fail', input: { message: 'bad day' } });
    expect(body.status).toBe('failed');
    const res = await stack.request.get(`/v1/jobs/${body.id}/result`);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'job_failed', jobError: { code: 'handler_failed', message: 'bad day', retryable: false } });
  });

  it.each([
    ['an unknown id', '/v1/jobs/job_AAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['a malformed id', '/v1/jobs/not-a-job'],
    ['a key pattern', '/v1/jobs/*'],
    ['a BullMQ key', '/v1/jobs/bull:echo:1'],
    ['an encoded traversal', '/v1/jobs/..%2F..%2Fadmin'],
    ['a huge id', `/v1/jobs/job_${'A'.repeat(10_000)}`],
  ])('answers 404 problem for %s', async (_name, path) => {
    const res = await stack.request.get(path);
    expect(res.status).toBe(404);
    expect(res.type).toBe('application/problem+json');
    expect(res.body.code === 'job_not_found' || res.body.code === 'route_not_found').toBe(true);
  });

  it('refuses a non-numeric wait with 400', async () => {
    const res = await stack.request.get('/v1/jobs/job_AAAAAAAAAAAAAAAAAAAAAAAAAA?wait=soon');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_parameter');
  });
});

describe('at shutdown', () => {
  it('answers held long-polls at once with the current document', async () => {
    const stack = await startStack();
    try {
      const { body } = await stack.request.post('/v1/jobs').send({ target: 'echo', input: { delayMs: 20_000 } });
      const held = stack.request.get(`/v1/jobs/${body.id}?wait=30`).then((r) => r);
      const events = stack.request.get(`/v1/jobs/${body.id}/events`).then((r) => r);
      stack.gateway.stopWaiting();
      const [poll, sse] = await Promise.all([held, events]);
      expect(poll.status).toBe(200);
      expect(['queued', 'running']).toContain(poll.body.status);
      expect(sse.status).toBe(200);
      expect(sse.text).toContain('event: status');
      await stack.request.post(`/v1/jobs/${body.id}/cancel`);
    } finally {
      await stack.close();
    }
  });
});
