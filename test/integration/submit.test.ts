import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from '../support/test-stack.js';

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
    expect(id).toMatch(/^job_[A-Za-z0-9_-]{22}$/);
    expect(res.headers.location).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/v1/jobs/${id}$`));
    expect(res.headers['operation-location']).toBe(res.headers.location);
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(res.body).toMatchObject({ target: 'echo', status: 'queued', attempts: 0, maxAttempts: 3 });
    // Stored before the answer: the record is in Redis the moment the 202 arrives.
    const stored = await stack.redis.hget(`${stack.config.server.keyPrefix}:job:{${id}}`, 'status');
    expect(stored).not.toBeNull();
  });
});
