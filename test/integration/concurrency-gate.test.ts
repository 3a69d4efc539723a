import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, testConfig, type TestStack } from '../support/test-stack.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

/**
 * An executor's part of adaptive concurrency, in one process: attempts wait for a place of
 * its share and start once one frees; 429s cut the shared limit; a job canceled while it
 * waits for a place never reaches the upstream and spends no attempt.
 */
describe('adaptive concurrency in one executor', () => {
  let stack: TestStack;
  let upstream: Upstream;
  let inFlight = 0;
  let most = 0;

  beforeAll(async () => {
    upstream = await startUpstream();
    stack = await startStack({
      config: testConfig({
        targets: {
          api: {
            kind: 'http',
            url: `${upstream.url}/api`,
            concurrency: 50,
            attempts: 5,
            // Latency out of the picture (a busy test machine must not cut it): 429s are the only signal here.
            adaptiveConcurrency: { min: 1, max: 3, latencyTolerance: 100 },
            backoff: { initialDelayMs: 20, multiplier: 1, maxDelayMs: 20, jitter: 0 },
          },
        },
      }),
    });
  });
  afterAll(async () => {
    await stack?.close();
    await upstream?.close();
  });

  it('never runs more than its limit allows, and the limit grows from min to max on healthy answers', async () => {
    upstream.respondWith(async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 30));
      inFlight -= 1;
      return { status: 200, body: '{"ok":true}', headers: { 'content-type': 'application/json' } };
    });
    const ids = await Promise.all(Array.from({ length: 40 }, async (_, i) => (await stack.request.post('/v1/jobs').send({ target: 'api', input: { i } }).expect(202)).body.id as string));
    for (const id of ids) expect((await stack.request.get(`/v1/jobs/${id}?wait=30`)).body).toMatchObject({ status: 'succeeded', attempts: 1 });
    // 50 slots in the executor, but never more than max (3) at the upstream, and it got there.
    expect(most).toBe(3);
    expect((await stack.request.get('/v1/admin/targets/api')).body.concurrency).toMatchObject({ limit: 3, min: 1, max: 3 });
  });

  it('a job canceled while it waits for a place never reaches the upstream', async () => {
    upstream.reset();
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    upstream.respondWith(async () => {
      await held;
      return { status: 200, body: '{"ok":true}', headers: { 'content-type': 'application/json' } };
    });
    const busy = await Promise.all(Array.from({ length: 3 }, async () => (await stack.request.post('/v1/jobs').send({ target: 'api', input: {} }).expect(202)).body.id as string));
    const waiting = (await stack.request.post('/v1/jobs').send({ target: 'api', input: { late: true } }).expect(202)).body.id as string;
    // Three calls hold the three places; the fourth job is taken but waits, its record queued.
    while (upstream.requests.length < 3) await new Promise((r) => setTimeout(r, 10));
    expect((await stack.request.get(`/v1/jobs/${waiting}`)).body).toMatchObject({ status: 'queued', attempts: 0 });
    expect((await stack.request.post(`/v1/jobs/${waiting}/cancel`)).body.status).toBe('canceled');
    release();
    for (const id of busy) expect((await stack.request.get(`/v1/jobs/${id}?wait=30`)).body.status).toBe('succeeded');
    expect((await stack.request.get(`/v1/jobs/${waiting}`)).body).toMatchObject({ status: 'canceled', attempts: 0 });
    expect(upstream.requests).toHaveLength(3);
  });

  it('429s cut the limit', async () => {
    upstream.reset();
    // Six 429s, then every call is held: no healthy answer can grow the limit back before it is read.
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    upstream.respondWith(async (_req, i) => {
      if (i < 6) return { status: 429, body: 'busy' };
      await held;
      return { status: 200, body: '{"ok":true}', headers: { 'content-type': 'application/json' } };
    });
    const ids = await Promise.all(Array.from({ length: 20 }, async (_, i) => (await stack.request.post('/v1/jobs').send({ target: 'api', input: { i } }).expect(202)).body.id as string));
    while (upstream.requests.length < 7) await new Promise((r) => setTimeout(r, 10));
    // The gate reports every 50 ms; read until the report that carries the 429s has landed.
    let limit = 3;
    for (let tries = 0; tries < 200 && limit >= 3; tries += 1) {
      limit = (await stack.request.get('/v1/admin/targets/api')).body.concurrency.limit as number;
      if (limit >= 3) await new Promise((r) => setTimeout(r, 25));
    }
    expect(limit).toBeLessThan(3);
    release();
    for (const id of ids) expect((await stack.request.get(`/v1/jobs/${id}?wait=30`)).body.status).toBe('succeeded');
  });
});
