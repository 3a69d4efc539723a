import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { apiKeys, bearer } from '../support/api-keys.js';
import { readEvents } from '../support/sse.js';
import { eventually, startStack, testConfig, type TestStack } from '../support/test-stack.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

const { tokens, auth } = apiKeys({ acme: 'client', other: 'client' });
const secret = `whsec_${randomBytes(32).toString('base64')}`;

/**
 * A fanOut or chain route's job on the surfaces every job has: its event stream (with a
 * `step` event per step change), Idempotency-Key, the job list, and its signed webhook.
 */
describe("a route's job is a job like any other", () => {
  let stack: TestStack;
  let receiver: Upstream;
  let server: Server;
  let port: number;
  const records = async () => (await stack.keys(`${stack.config.server.keyPrefix}:job:*`)).filter((k) => /\}:job_[A-Za-z0-9_-]+$/.test(k));
  const submit = (body: object, headers: Record<string, string> = {}) => stack.request.post('/v1/jobs').set(bearer(tokens.acme)).set(headers).send(body);

  beforeAll(async () => {
    receiver = await startUpstream();
    stack = await startStack({
      notifier: true,
      config: testConfig({
        targets: { echo: { kind: 'handler', handler: 'echo' }, store: { kind: 'handler', handler: 'echo' } },
        routes: {
          'both': { fanOut: [{ name: 'a', target: 'echo', input: '{ "delayMs": 200, "n": n }' }, { name: 'b', target: 'store' }] },
          'then': { chain: [{ target: 'echo' }, { target: 'store', input: '{ "from": echo }' }] },
        },
        webhooks: { secrets: [secret], allowlist: ['127.0.0.0/8'], scheduleMs: [0], jitter: 0 },
        auth,
      }),
    });
    server = stack.gateway.app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await stack?.close();
    await receiver?.close();
  });

  it('streams a step event per step change, then the terminal status with the merged document', async () => {
    const res = await submit({ route: 'then', input: { v: 1 } });
    expect(res.status).toBe(202);
    const { status, events } = await readEvents(port, `/v1/jobs/${res.body.id as string}/events`, bearer(tokens.acme));
    expect(status).toBe(200);
    const steps = events.filter((e) => e.event === 'step').map((e) => `${String(e.data.step)}:${String(e.data.status)}`);
    // Forward only, in the order they happened (a chain step's queued can be missing when it started first).
    expect(steps).toEqual(['echo:queued', 'echo:running', 'echo:succeeded', 'store:queued', 'store:running', 'store:succeeded'].filter((s) => steps.includes(s)));
    expect(steps).toEqual(expect.arrayContaining(['echo:running', 'echo:succeeded', 'store:succeeded']));
    const last = events.at(-1)!;
    expect(last.event).toBe('status');
    expect(last.data).toMatchObject({ status: 'succeeded', job: { id: res.body.id, route: 'then', result: { echo: { from: { v: 1 } } } } });
  });

  it('answers a repeated Idempotency-Key with the same route job, and starts its steps once', async () => {
    const key = `route-${Date.now()}`;
    const body = { route: 'both', input: { n: 1 }, metadata: { case: key } };
    const before = (await records()).length;
    const first = await submit(body, { 'Idempotency-Key': key });
    const again = await submit(body, { 'Idempotency-Key': key });
    expect(first.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.steps).toEqual(first.body.steps);
    const clash = await submit({ ...body, input: { n: 2 } }, { 'Idempotency-Key': key });
    expect(clash.status).toBe(422);
    await eventually(async () => (await stack.request.get(`/v1/jobs/${first.body.id as string}`).set(bearer(tokens.acme))).body.status === 'succeeded');
    // The route's job and one job per branch, however often the key came.
    expect((await records()).length).toBe(before + 3);
  });

  it('is listed for its tenant by its route target, and for no other tenant', async () => {
    const res = await submit({ route: 'both', input: { n: 3 } }, { Prefer: 'wait=10' });
    expect(res.body.status).toBe('succeeded');
    const listed = await stack.request.get('/v1/jobs').set(bearer(tokens.acme)).query({ target: 'route:both', limit: 100 });
    expect((listed.body.items as { id: string }[]).map((j) => j.id)).toContain(res.body.id);
    const others = await stack.request.get('/v1/jobs').set(bearer(tokens.other)).query({ target: 'route:both', limit: 100 });
    expect(others.body.items).toEqual([]);
  });

  it("sends one signed job.succeeded webhook with the route's output when the route ends", async () => {
    receiver.requests.length = 0;
    receiver.replies({ status: 204 });
    const res = await submit({ route: 'both', input: { n: 4 }, callback: { url: `${receiver.url}/hooks` } });
    expect(res.body.callback).toMatchObject({ state: 'pending' });
    await eventually(async () => (await stack.request.get(`/v1/jobs/${res.body.id as string}`).set(bearer(tokens.acme))).body.callback?.state === 'delivered');
    expect(receiver.requests).toHaveLength(1);
    const req = receiver.requests[0]!;
    const payload = new Webhook(secret.slice('whsec_'.length)).verify(req.body.toString('utf8'), req.headers as Record<string, string>) as { type: string; data: { id: string; result: unknown } };
    expect(payload.type).toBe('job.succeeded');
    expect(payload.data).toMatchObject({ id: res.body.id, result: { a: { echo: { delayMs: 200, n: 4 } }, b: { echo: { n: 4 } } } });
  });
});
