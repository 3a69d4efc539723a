import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys } from '../../../test/support/api-keys.js';
import { DEMO_TARGETS, testConfig } from '../../../test/support/test-stack.js';
import { startUpstream, type Upstream } from '../../../test/support/upstream.js';
import {
  GatewayClient,
  GatewayConnectionError,
  GatewayError,
  JobCanceledError,
  JobFailedError,
  type JobDocument,
  type JobEvent,
} from '../src/index.js';
import { recordingFetch, startGateway, type LiveGateway } from './support/gateway.js';

const { tokens, auth } = apiKeys({ acme: 'client', other: 'client' });

describe('GatewayClient against the real gateway', () => {
  let gw: LiveGateway;
  let upstream: Upstream;
  let client: GatewayClient;
  beforeAll(async () => {
    upstream = await startUpstream();
    gw = await startGateway({
      config: testConfig({
        auth,
        targets: {
          ...DEMO_TARGETS,
          shop: { kind: 'http', url: `${upstream.url}/base`, forwardHeaders: ['content-type', 'x-shop'] },
        },
        routes: { 'echo-or-fail': { switch: [{ when: 'fail = true', target: 'fail' }, { target: 'echo' }] } },
      }),
    });
    client = new GatewayClient({ baseUrl: gw.url, apiKey: tokens.acme });
  });
  afterAll(async () => {
    await gw.close();
    await upstream.close();
  });

  it('submits, waits and reads the result', async () => {
    const job = await client.submit({ target: 'echo', input: { hello: 'world', delayMs: 200 }, metadata: { order: '42' } }, { idempotencyKey: `order-${randomBytes(4).toString('hex')}` });
    expect(job.id).toMatch(/^job_/);
    expect(job.document).toMatchObject({ id: job.id, status: 'queued', metadata: { order: '42' } });
    expect(job.replayed).toBe(false);
    const done = await job.wait({ timeoutMs: 10_000 });
    expect(done.status).toBe('succeeded');
    expect(job.document).toBe(done);
    expect(await job.result()).toEqual({ echo: { hello: 'world', delayMs: 200 } });
  });

  it('submits to a route: the job runs on the target its rules pick, and its document names the route', async () => {
    const echoed = await client.submit({ route: 'echo-or-fail', input: { n: 1 } }, { wait: 5 });
    expect(echoed.document).toMatchObject({ target: 'echo', route: 'echo-or-fail', status: 'succeeded' });
    const failed = await client.submit({ route: 'echo-or-fail', input: { fail: true } }, { wait: 5 });
    expect(failed.document).toMatchObject({ target: 'fail', route: 'echo-or-fail', status: 'failed' });
  });

  it('submits a batch, all or none, and waits for it to complete', async () => {
    const batch = await client.submitBatch([{ target: 'echo', input: { n: 1 } }, { route: 'echo-or-fail', input: { fail: true } }]);
    expect(batch).toMatchObject({ status: 'running', counts: { queued: 2 } });
    const done = await client.batch(batch.id, { wait: 10 });
    expect(done).toMatchObject({ id: batch.id, status: 'completed', counts: { succeeded: 1, failed: 1 } });
    expect(done.jobs.map((j) => j.id)).toEqual(batch.jobs.map((j) => j.id));
    const refused = await client.submitBatch([{ target: 'echo' }, { target: 'nope' }]).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(GatewayError);
    expect((refused as GatewayError).errors[0]?.path).toBe('/jobs/1/target');
  });

  it('sends an Idempotency-Key of its own making, or the caller\'s; the same key gives the same job', async () => {
    const rec = recordingFetch();
    const c = new GatewayClient({ baseUrl: gw.url, apiKey: tokens.acme, fetch: rec.fetch });
    await c.submit({ target: 'echo' });
    expect(rec.calls[0]!.headers['idempotency-key']).toMatch(/^"agc_[A-Za-z0-9_-]{22}"$/);
    const key = `k-${randomBytes(6).toString('hex')}`;
    const first = await c.submit({ target: 'echo', input: { n: 1 } }, { idempotencyKey: key });
    const again = await c.submit({ target: 'echo', input: { n: 1 } }, { idempotencyKey: key });
    expect(again.id).toBe(first.id);
    expect(again.replayed).toBe(true);
    expect(rec.calls[1]!.headers['idempotency-key']).toBe(`"${key}"`);
    await c.submit({ target: 'echo' }, { idempotencyKey: null });
    expect(rec.calls[3]!.headers['idempotency-key']).toBeUndefined();
  });

  it('asks the gateway to wait (Prefer: wait=N) and gets the finished document', async () => {
    const job = await client.submit({ target: 'echo', input: { delayMs: 100 } }, { wait: 5, requestId: 'trace-abc' });
    expect(job.document).toMatchObject({ status: 'succeeded', correlationId: 'trace-abc' });
    // Already finished: no request.
    expect(await job.wait()).toBe(job.document);
  });

  it('a failed job: wait resolves with it; result rejects with JobFailedError (code, message, retryable)', async () => {
    const job = await client.submit({ target: 'fail', input: { message: 'card declined' } });
    const done = await job.wait({ timeoutMs: 10_000 });
    expect(done).toMatchObject({ status: 'failed', error: { code: 'handler_failed', message: 'card declined', retryable: false } });
    const err = await job.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobFailedError);
    expect(err).not.toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ jobId: job.id, code: 'handler_failed', message: 'card declined', retryable: false, job: { status: 'failed' } });
  });

  it('result() of an unfinished job waits for it first', async () => {
    const job = await client.submit({ target: 'echo', input: { delayMs: 300 } });
    expect(await client.job(job.id).result({ timeoutMs: 10_000 })).toEqual({ echo: { delayMs: 300 } });
  });

  it('a canceled job: cancel resolves with the document, wait with canceled, result rejects with JobCanceledError', async () => {
    const job = await client.submit({ target: 'echo', input: { delayMs: 20_000 } });
    const canceled = await job.cancel();
    expect(['canceled', 'running']).toContain(canceled.status);
    expect((await job.wait({ timeoutMs: 10_000 })).status).toBe('canceled');
    await expect(job.result()).rejects.toBeInstanceOf(JobCanceledError);
    // Canceling again is the gateway's 409.
    await expect(job.cancel()).rejects.toMatchObject({ name: 'GatewayError', status: 409, code: 'job_already_finished' });
  });

  it('a 422 becomes a GatewayError with the field errors as JSON pointers and the request id', async () => {
    const err = (await client.submit({ target: 'echo', priority: 5000, metadata: { k: 'x'.repeat(300) } } as never).catch((e: unknown) => e)) as GatewayError;
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 422, code: 'validation_failed', title: expect.any(String) });
    expect(err.errors.map((e) => e.path).sort()).toEqual(['/metadata/k', '/priority']);
    expect(err.requestId).toBeTruthy();
    expect(err.problem?.status).toBe(422);
    // A 422 is final: one request only (the idempotency key is free for a corrected retry).
    const unknown = await client.submit({ target: 'nope' }).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ status: 422, code: 'unknown_target' });
  });

  it('a 404 and a 401 are GatewayErrors too', async () => {
    await expect(client.job(`job_${'A'.repeat(22)}`).refresh()).rejects.toMatchObject({ status: 404, code: 'job_not_found' });
    const anonymous = new GatewayClient({ baseUrl: gw.url });
    await expect(anonymous.submit({ target: 'echo' })).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
    // Another tenant's job is not found, like an unknown one.
    const mine = await client.submit({ target: 'echo' });
    await expect(new GatewayClient({ baseUrl: gw.url, apiKey: tokens.other }).job(mine.id).refresh()).rejects.toMatchObject({ status: 404 });
  });

  it('gw.job(id) is a handle to an existing job, as after a restart', async () => {
    const { id } = await client.submit({ target: 'echo', input: { delayMs: 100 } });
    const later = new GatewayClient({ baseUrl: gw.url, apiKey: tokens.acme }).job(id);
    expect(later.document).toBeUndefined();
    expect((await later.wait({ timeoutMs: 10_000 })).status).toBe('succeeded');
    expect(later.document?.id).toBe(id);
  });

  it('lists every page of jobs by status and metadata', async () => {
    const order = randomBytes(4).toString('hex');
    const submitted = [];
    for (let i = 0; i < 5; i++) submitted.push(await client.submit({ target: 'fail', metadata: { order } }, { wait: 5 }));
    await client.submit({ target: 'echo', metadata: { order } }, { wait: 5 });
    const rec = recordingFetch();
    const c = new GatewayClient({ baseUrl: gw.url, apiKey: tokens.acme, fetch: rec.fetch });
    const seen: JobDocument[] = [];
    for await (const doc of c.list({ status: 'failed', metadata: { order }, limit: 2 })) seen.push(doc);
    expect(seen.map((d) => d.id).sort()).toEqual(submitted.map((j) => j.id).sort());
    expect(seen.every((d) => d.status === 'failed')).toBe(true);
    expect(rec.calls.length).toBe(3);
    expect(rec.calls[0]!.url).toContain(`metadata.order=${order}`);
    const page = await c.listPage({ metadata: { order }, limit: 10 });
    expect(page.items).toHaveLength(6);
    expect(page.nextCursor).toBeNull();
  });

  it('streams the events: status, progress, then the terminal event with the document', async () => {
    const job = await client.submit({ target: 'echo', input: { delayMs: 400 } });
    const events: JobEvent[] = [];
    for await (const e of job.events()) events.push(e);
    const statuses = events.filter((e) => e.type === 'status').map((e) => e.status);
    expect(statuses[0]).toBe('queued');
    expect(statuses).toContain('running');
    expect(statuses.at(-1)).toBe('succeeded');
    expect(events.filter((e) => e.type === 'progress').map((e) => e.progress)).toEqual([25, 50, 75, 100]);
    const last = events.at(-1)!;
    expect(last).toMatchObject({ type: 'status', terminal: true, job: { id: job.id, status: 'succeeded' } });
    expect(job.document?.status).toBe('succeeded');
    const ids = events.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    // Resuming after an id gives the rest only.
    const rest: JobEvent[] = [];
    for await (const e of job.events({ lastEventId: events[2]!.id! })) rest.push(e);
    expect(rest.map((e) => e.id)).toEqual(events.slice(3).map((e) => e.id));
  });

  it('stops the stream when the signal aborts', async () => {
    const job = await client.submit({ target: 'echo', input: { delayMs: 20_000 } });
    const ac = new AbortController();
    const got: JobEvent[] = [];
    const run = (async () => {
      for await (const e of job.events({ signal: ac.signal })) {
        got.push(e);
        if (got.length === 1) setTimeout(() => ac.abort(new Error('enough')), 50);
      }
    })();
    await expect(run).rejects.toThrow('enough');
    expect(got[0]).toMatchObject({ type: 'status', status: 'queued' });
    await job.cancel();
  });

  it('forwards a request in transparent mode and reads the upstream answer as the result', async () => {
    upstream.replies({ status: 201, headers: { 'content-type': 'application/json' }, body: '{"created":true}' });
    const job = await client.forward('shop', { method: 'put', path: '/orders/7', query: 'a=1&b=%20x', json: { qty: 2 }, headers: { 'x-shop': 'north' } });
    expect(job.document?.target).toBe('shop');
    const response = await job.resultResponse({ timeoutMs: 10_000 });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ created: true });
    expect(await job.result()).toEqual({ created: true });
    const seen = upstream.requests.at(-1)!;
    expect(seen).toMatchObject({ method: 'PUT', url: '/base/orders/7?a=1&b=%20x' });
    expect(seen.headers['x-shop']).toBe('north');
    expect(JSON.parse(seen.body.toString('utf8'))).toEqual({ qty: 2 });
    // A handler target is the gateway's 400.
    await expect(client.forward('echo')).rejects.toMatchObject({ status: 400, code: 'wrong_target_kind' });
    await expect(client.forward('shop', { method: 'GET', json: {} })).rejects.toThrow(TypeError);
    // A GET, its query sent exactly as given.
    const get = await client.forward('shop', { method: 'GET', path: 'search', query: { q: 'a b' } }, { wait: 5 });
    expect(get.document?.status).toBe('succeeded');
    expect(upstream.requests.at(-1)).toMatchObject({ method: 'GET', url: '/base/search?q=a+b' });
  });

  it('a gateway that cannot be reached is a GatewayConnectionError, after the retries', async () => {
    const rec = recordingFetch();
    const down = new GatewayClient({ baseUrl: 'http://127.0.0.1:9', fetch: rec.fetch, maxRetries: 2 });
    const err = await down.submit({ target: 'echo' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayConnectionError);
    expect(rec.calls).toHaveLength(3);
    expect(new Set(rec.calls.map((c) => c.headers['idempotency-key'])).size).toBe(1);
  });
});
