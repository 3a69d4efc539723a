import { afterEach, describe, expect, it } from 'vitest';
import { eventually, startStack, type TestStack } from '../support/test-stack.js';

describe('cancel', () => {
  let stack: TestStack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  it('cancels a queued job at once, and no worker runs it afterwards', async () => {
    stack = await startStack({ executor: false });
    const { body } = await stack.request.post('/v1/jobs').send({ target: 'echo', input: {} });
    const res = await stack.request.post(`/v1/jobs/${body.id}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'canceled', attempts: 0 });
    expect(res.body.finishedAt).toBeTruthy();
    const counts = await stack.request.get('/v1/admin/targets/echo');
    expect(counts.body.counts.waiting).toBe(0);
    await stack.startExecutor();
    const later = await stack.request.get(`/v1/jobs/${body.id}?wait=1`);
    expect(later.body).toMatchObject({ status: 'canceled', attempts: 0, startedAt: null });
  });

  it('also cancels with DELETE /v1/jobs/{id}', async () => {
    stack = await startStack({ executor: false });
    const { body } = await stack.request.post('/v1/jobs').send({ target: 'echo', delay: 60_000 });
    const res = await stack.request.delete(`/v1/jobs/${body.id}`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('canceled');
  });

  it('aborts a running job through its AbortSignal', async () => {
    stack = await startStack();
    const { body } = await stack.request.post('/v1/jobs').send({ target: 'echo', input: { delayMs: 30_000 } });
    await eventually(async () => (await stack!.request.get(`/v1/jobs/${body.id}`)).body.status === 'running');
    const res = await stack.request.post(`/v1/jobs/${body.id}/cancel`);
    expect([200, 202]).toContain(res.status);
    const done = await stack.request.get(`/v1/jobs/${body.id}?wait=10`);
    expect(done.body).toMatchObject({ status: 'canceled', cancelRequested: true, attempts: 1 });
    const attempts = await stack.gateway.store.attempts(body.id as string);
    expect(attempts.map((a) => a.outcome)).toEqual(['canceled']);
  });

  it('answers 409 for a job that already finished', async () => {
    stack = await startStack();
    const { body } = await stack.request.post('/v1/jobs').set('Prefer', 'wait=10').send({ target: 'echo' });
    expect(body.status).toBe('succeeded');
    const res = await stack.request.post(`/v1/jobs/${body.id}/cancel`);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('job_already_finished');
  });
});
