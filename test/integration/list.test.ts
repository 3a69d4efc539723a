import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from '../support/test-stack.js';

describe('GET /v1/jobs', () => {
  let stack: TestStack;
  const ids: string[] = [];
  beforeAll(async () => {
    stack = await startStack({ executor: false });
    for (let i = 0; i < 5; i++) {
      const res = await stack.request
        .post('/v1/jobs')
        .set('X-Request-Id', `list-${i}`)
        .send({ target: i % 2 ? 'flaky' : 'echo', metadata: { order: String(i), team: i < 3 ? 'a' : 'b' } });
      ids.push(res.body.id as string);
    }
  });
  afterAll(async () => {
    await stack.close();
  });

  it('pages through the jobs newest first with an opaque cursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await stack.request.get('/v1/jobs').query({ limit: 2, ...(cursor && { cursor }) });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((j: { id: string }) => j.id));
      cursor = res.body.nextCursor as string | null;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
  });

  it('filters by metadata, target, status and correlation id', async () => {
    const team = await stack.request.get('/v1/jobs').query({ 'metadata.team': 'b' });
    expect(team.body.items.map((j: { id: string }) => j.id)).toEqual([ids[4], ids[3]]);
    const flaky = await stack.request.get('/v1/jobs').query({ target: 'flaky' });
    expect(flaky.body.items.map((j: { id: string }) => j.id)).toEqual([ids[3], ids[1]]);
    const queued = await stack.request.get('/v1/jobs').query({ status: 'succeeded' });
    expect(queued.body.items).toEqual([]);
    const byCorrelation = await stack.request.get('/v1/jobs').query({ correlationId: 'list-2' });
    expect(byCorrelation.body.items.map((j: { id: string }) => j.id)).toEqual([ids[2]]);
  });

  it('refuses a forged cursor, a bad limit and an unknown status with 400', async () => {
    for (const query of [{ cursor: 'Zm9vOmJhcg' }, { limit: '0' }, { limit: '1000' }, { status: 'done' }]) {
      const res = await stack.request.get('/v1/jobs').query(query);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('invalid_parameter');
    }
  });
});
