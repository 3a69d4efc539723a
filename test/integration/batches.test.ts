import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../src/webhooks/signature.js';
import { apiKeys, bearer } from '../support/api-keys.js';
import { DEMO_TARGETS, eventually, startStack, testConfig, type TestStack } from '../support/test-stack.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

const { tokens, auth } = apiKeys({ acme: 'client', tiny: 'client', other: 'client' });

/**
 * The stack's batch hashes. Only they count: a batch's pending set empties (and so vanishes)
 * when the relay carries out its last job's end, which may land after an earlier test's wait
 * returned.
 */
const batchHashes = async (stack: TestStack) =>
  (await stack.keys(`${stack.config.server.keyPrefix}:batch:*`)).filter((k) => /\}:bat_[A-Za-z0-9_-]+$/.test(k)).length;

/**
 * POST /v1/batches and GET /v1/batches/{id} on the in-process stack: all or none at
 * submit, each job an ordinary job, and the batch read (and long-polled) from its jobs.
 */
describe('batches', () => {
  let stack: TestStack;
  const post = (token: string, body: unknown, headers: Record<string, string> = {}) => stack.request.post('/v1/batches').set(bearer(token)).set(headers).send(body as object);
  /** The job records, the batch hashes and the tenant's job list: a refused batch must add to none. */
  const stored = async (token: string) => ({
    records: (await stack.keys(`${stack.config.server.keyPrefix}:job:*`)).filter((k) => /\}:job_[A-Za-z0-9_-]+$/.test(k)).length,
    batches: await batchHashes(stack),
    listed: ((await stack.request.get('/v1/jobs?limit=100').set(bearer(token))).body.items as unknown[]).length,
  });

  beforeAll(async () => {
    stack = await startStack({
      config: testConfig({
        targets: { ...DEMO_TARGETS, 'billing-eu': { kind: 'handler', handler: 'echo' }, narrow: { kind: 'handler', handler: 'echo', maxQueuedJobs: 3 } },
        routes: { region: { switch: [{ when: 'region = "eu"', target: 'billing-eu' }, { target: 'echo' }] } },
        server: { maxBatchJobs: 50, maxBatchBytes: 4_096 },
        tenants: { overrides: { tiny: { maxInFlightJobs: 3 } } },
        auth,
      }),
    });
  });
  afterAll(async () => {
    await stack.close();
  });

  it('admits every job, answers 202 with the batch, and its document completes as the jobs end', async () => {
    const jobs = [
      { target: 'echo', input: { n: 0 } },
      { target: 'flaky', input: { failTimes: 1 } },
      { target: 'fail', input: { message: 'no' } },
      { route: 'region', input: { region: 'eu' } },
    ];
    const res = await post(tokens.acme, { jobs });
    expect(res.status).toBe(202);
    expect(res.headers.location).toBe(res.body.links.self);
    // Unfinished: poll again after the gateway's interval; the tenant's rate window as it stands after four jobs.
    expect(res.headers['retry-after']).toBe('1');
    expect(res.headers['ratelimit-limit']).toBe('100000');
    expect(res.body).toMatchObject({ id: expect.stringMatching(/^bat_/), status: 'running', counts: { queued: 4, running: 0, succeeded: 0 } });
    expect(res.body.jobs).toHaveLength(4);
    const ids = (res.body.jobs as { id: string }[]).map((j) => j.id);
    // Each is an ordinary job at its own URL; the routed one ran where its route sent it.
    expect((await stack.request.get(`/v1/jobs/${ids[3]}`).set(bearer(tokens.acme))).body).toMatchObject({ target: 'billing-eu', route: 'region' });

    const done = await stack.request.get(`/v1/batches/${res.body.id as string}?wait=15`).set(bearer(tokens.acme));
    expect(done.status).toBe(200);
    expect(done.headers['retry-after']).toBeUndefined();
    expect(done.body).toMatchObject({ id: res.body.id, status: 'completed', counts: { queued: 0, running: 0, succeeded: 3, failed: 1, canceled: 0, expired: 0 } });
    expect(done.body.jobs).toEqual([
      { id: ids[0], status: 'succeeded' },
      { id: ids[1], status: 'succeeded' },
      { id: ids[2], status: 'failed' },
      { id: ids[3], status: 'succeeded' },
    ]);
  });

  it('refuses the whole batch when any item is invalid, pointing at each by index, and stores nothing', async () => {
    const before = await stored(tokens.acme);
    const res = await post(tokens.acme, {
      jobs: [{ target: 'echo' }, { target: 'nope' }, { target: 'echo', priority: 99 }, { route: 'region', target: 'echo' }, { target: 'echo', colour: 'red' }],
    });
    expect([res.status, res.body.code]).toEqual([422, 'validation_failed']);
    const paths = (res.body.errors as { path: string }[]).map((e) => e.path);
    // The schema's problems come first (they stop the batch before any target is looked up).
    expect(paths).toEqual(['/jobs/3/target', '/jobs/4']);
    const semantic = await post(tokens.acme, { jobs: [{ target: 'echo' }, { target: 'nope' }, { target: 'echo', priority: 99 }, { route: 'region', input: 'x' }] });
    expect([semantic.status, semantic.body.code]).toEqual([422, 'validation_failed']);
    expect(semantic.body.detail).toBe("3 of the batch's 4 jobs are invalid");
    // The routed item's target (echo, the default) takes an object: its input is checked against it.
    expect((semantic.body.errors as { path: string }[]).map((e) => e.path)).toEqual(['/jobs/1/target', '/jobs/2/priority', '/jobs/3/input']);
    // Past server.maxBatchBytes (4 KiB here) the body is refused before it is parsed.
    const tooBig = await post(tokens.acme, { jobs: [{ target: 'echo', input: { pad: 'x'.repeat(5_000) } }] });
    expect([tooBig.status, tooBig.body.code]).toEqual([413, 'payload_too_large']);
    const tooMany = await post(tokens.acme, { jobs: Array.from({ length: 51 }, () => ({ target: 'echo' })) });
    expect([tooMany.status, tooMany.body.errors?.[0]?.path]).toEqual([422, '/jobs']);
    expect((await post(tokens.acme, { jobs: [] })).status).toBe(422);
    expect(await stored(tokens.acme)).toEqual(before);
  });

  it('a batch past its tenant quota is refused whole: the jobs already admitted are taken back out', async () => {
    const before = await stored(tokens.tiny);
    const res = await post(tokens.tiny, { jobs: Array.from({ length: 5 }, (_, n) => ({ target: 'echo', input: { n, delayMs: 1_000 } })) });
    expect([res.status, res.body.code]).toEqual([429, 'quota_exceeded']);
    expect(await stored(tokens.tiny)).toEqual(before);
  });

  it("a batch that would fill a target's queue past maxQueuedJobs is a 503 queue_full, and stores nothing", async () => {
    // Delayed a minute, so they stay queued (counted in the depth) until canceled.
    const item = (n: number) => ({ target: 'narrow', input: { n }, delay: 60_000 });
    const before = await stored(tokens.acme);
    const over = await post(tokens.acme, { jobs: [item(0), { target: 'echo' }, item(1), item(2), item(3)] });
    expect([over.status, over.body.code]).toEqual([503, 'queue_full']);
    expect(over.body.detail).toBe('target "narrow" has room for 3 more jobs (at most 3 wait), and this batch has 4 for it; retry later');
    expect(over.headers['retry-after']).toBe('5');
    expect(await stored(tokens.acme)).toEqual(before);
    // Exactly the room left fits.
    const fits = await post(tokens.acme, { jobs: [item(0), item(1), item(2)] });
    expect(fits.status).toBe(202);
    for (const { id } of fits.body.jobs as { id: string }[]) {
      expect((await stack.request.post(`/v1/jobs/${id}/cancel`).set(bearer(tokens.acme))).body.status).toBe('canceled');
    }
  });

  it('an Idempotency-Key replays the batch; another tenant cannot read it', async () => {
    const body = { jobs: [{ target: 'echo', input: { k: 1 } }, { target: 'echo', input: { k: 2 } }] };
    const first = await post(tokens.acme, body, { 'Idempotency-Key': '"batch-1"' });
    const again = await post(tokens.acme, body, { 'Idempotency-Key': '"batch-1"' });
    expect(first.status).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    expect((await stack.request.get(`/v1/batches/${first.body.id as string}`).set(bearer(tokens.other))).status).toBe(404);
    expect((await stack.request.get('/v1/batches/bat_AAAAAAAAAAAAAAAAAAAAAA').set(bearer(tokens.acme))).status).toBe(404);
    expect((await stack.request.get('/v1/batches/nope').set(bearer(tokens.acme))).status).toBe(404);
  });
});

describe('a batch callback', () => {
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  let receiver: Upstream;
  let stack: TestStack;
  beforeAll(async () => {
    receiver = await startUpstream();
    receiver.replies({ status: 204 });
    stack = await startStack({
      notifier: true,
      config: testConfig({ targets: DEMO_TARGETS, webhooks: { secrets: [secret], scheduleMs: [0, 150, 150], jitter: 0, timeoutMs: 400, allowlist: ['127.0.0.0/8'] } }),
    });
  });
  afterAll(async () => {
    await stack.close();
    await receiver.close();
  });

  it('fires batch.completed once, signed, when the last job ends, with the batch document', async () => {
    const res = await stack.request
      .post('/v1/batches')
      .set('X-Request-Id', 'batch-hook')
      .send({ jobs: [{ target: 'echo', input: { n: 1 } }, { target: 'echo', input: { n: 2, delayMs: 300 } }, { target: 'fail' }], callback: { url: `${receiver.url}/batch` } });
    expect(res.status).toBe(202);
    expect(res.body.callback).toEqual({ url: `${receiver.url}/batch`, state: 'pending' });
    const id = res.body.id as string;
    await eventually(async () => (await stack.request.get(`/v1/batches/${id}`)).body.callback?.state === 'delivered', 15_000);
    // Only the batch's webhook: its jobs have no callbacks of their own.
    expect(receiver.requests).toHaveLength(1);
    const [req] = receiver.requests;
    const body = req!.body.toString('utf8');
    const headers = Object.fromEntries(Object.entries(req!.headers).map(([k, v]) => [k, String(v)]));
    expect(verifyWebhook([secret], headers, body)).toMatchObject({ type: 'batch.completed' });
    expect(headers['webhook-id']).toBe(`msg_${id}`);
    expect(headers['x-request-id']).toBe('batch-hook');
    const payload = JSON.parse(body) as { type: string; data: { id: string; status: string; counts: Record<string, number> } };
    expect(payload.data).toMatchObject({ id, status: 'completed', counts: { succeeded: 2, failed: 1, queued: 0, running: 0 } });
    // Nothing more comes: the batch completes once.
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.requests).toHaveLength(1);
  });

  it('a receiver that answers 410 Gone stops the delivery: the batch shows callback.state failed, and nothing is sent again', async () => {
    receiver.requests.length = 0;
    receiver.replies({ status: 410 });
    const res = await stack.request.post('/v1/batches').send({ jobs: [{ target: 'echo', input: { n: 1 } }], callback: { url: `${receiver.url}/gone` } });
    expect(res.status).toBe(202);
    const id = res.body.id as string;
    await eventually(async () => (await stack.request.get(`/v1/batches/${id}`)).body.callback?.state === 'failed', 15_000);
    // The schedule has two more tries (150 ms apart): 410 stops them.
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.requests.filter((r) => r.url === '/gone')).toHaveLength(1);
    receiver.replies({ status: 204 });
  });

  it('refuses a callback the SSRF guard refuses, and stores nothing', async () => {
    const before = await batchHashes(stack);
    // A private address literal, outside the allowlist: refused by the classifier, no look-up, never contacted.
    const res = await stack.request.post('/v1/batches').send({ jobs: [{ target: 'echo' }], callback: { url: 'http://10.0.0.1/hook' } });
    expect([res.status, res.body.code, res.body.errors?.[0]?.path]).toEqual([422, 'validation_failed', '/callback/url']);
    expect(await batchHashes(stack)).toBe(before);
  });
});
