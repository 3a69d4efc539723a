import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { verifyWebhook } from '../../src/webhooks/signature.js';
import { startNotifierRuntime } from '../../src/runtime/notifier-runtime.js';
import { traceIdFor } from '../../src/core/trace-context.js';
import { freePort } from '../support/free-port.js';
import { DEMO_TARGETS, eventually, startStack, testConfig, type TestStack } from '../support/test-stack.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const oldSecret = `whsec_${randomBytes(32).toString('base64')}`;

describe('redelivering a pending callback', () => {
  it('queues it again without a duplicate when the message is still waiting', async () => {
    const receiver = await startUpstream();
    const config = testConfig({ targets: DEMO_TARGETS, webhooks: { secrets: [secret], allowlist: ['127.0.0.0/8'], scheduleMs: [0], jitter: 0 } });
    const stack = await startStack({ config });
    try {
      const res = await stack.request.post('/v1/jobs').set('Prefer', 'wait=10').send({ target: 'echo', callback: { url: `${receiver.url}/h` } });
      expect(res.body).toMatchObject({ status: 'succeeded', callback: { state: 'pending' } });
      const again = await stack.request.post(`/v1/admin/webhook-dead-letters/${res.body.id}/redeliver`);
      expect(again.status).toBe(202);
      const notifier = await startNotifierRuntime({ config, redis: stack.redisTarget, logger: stack.logger });
      try {
        await eventually(async () => (await stack.request.get(`/v1/jobs/${res.body.id}`)).body.callback.state === 'delivered');
        expect(receiver.requests).toHaveLength(1);
      } finally {
        await notifier.close();
      }
    } finally {
      await stack.close();
      await receiver.close();
    }
  });
});

describe('webhook callbacks', () => {
  let receiver: Upstream;
  let stack: TestStack;
  beforeAll(async () => {
    receiver = await startUpstream();
    stack = await startStack({
      notifier: true,
      config: testConfig({
        targets: DEMO_TARGETS,
        webhooks: { secrets: [secret, oldSecret], scheduleMs: [0, 150, 150], jitter: 0, timeoutMs: 400, allowlist: ['127.0.0.0/8'] },
      }),
    });
  });
  afterEach(() => {
    receiver.requests.length = 0;
    receiver.replies({ status: 204 });
  });
  afterAll(async () => {
    await stack.close();
    await receiver.close();
  });

  const submit = (target: string, input: unknown, callback: Record<string, unknown>) =>
    stack.request.post('/v1/jobs').set('X-Request-Id', `wh-${target}-${Date.now()}`).send({ target, input, callback: { url: `${receiver.url}/hooks`, ...callback } });
  const callbackState = async (id: string) => (await stack.request.get(`/v1/jobs/${id}`)).body.callback?.state as string;

  it('delivers a signed job.succeeded that the Standard Webhooks reference library verifies', async () => {
    receiver.replies({ status: 204 });
    const res = await submit('echo', { hello: 'hooks' }, {});
    expect(res.status).toBe(202);
    expect(res.body.callback).toEqual({ url: `${receiver.url}/hooks`, events: ['job.succeeded', 'job.failed', 'job.canceled'], state: 'pending' });
    await eventually(async () => (await callbackState(res.body.id)) === 'delivered');
    const [req] = receiver.requests;
    const body = req!.body.toString('utf8');
    const headers = req!.headers as Record<string, string>;
    // Verified with the specification's reference library, with the current and the rotated-out secret.
    const payload = new Webhook(secret.slice('whsec_'.length)).verify(body, headers) as { type: string; data: { id: string; status: string; result: unknown } };
    expect(payload.type).toBe('job.succeeded');
    expect(payload.data).toMatchObject({ id: res.body.id, status: 'succeeded', result: { echo: { hello: 'hooks' } } });
    expect(() => new Webhook(oldSecret.slice('whsec_'.length)).verify(body, headers)).not.toThrow();
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(headers['x-request-id']).toBe(res.body.correlationId);
    expect(headers.traceparent).toMatch(new RegExp(`^00-${traceIdFor(res.body.correlationId as string)}-[0-9a-f]{16}-01$`));
    expect(verifyWebhook([secret], headers, body)).toMatchObject({ type: 'job.succeeded' });
    expect(() => verifyWebhook([`whsec_${randomBytes(32).toString('base64')}`], headers, body)).toThrow(/no signature matches/);

    const deliveries = await stack.request.get(`/v1/jobs/${res.body.id}/deliveries`);
    expect(deliveries.body.items).toEqual([expect.objectContaining({ attempt: 1, statusCode: 204, outcome: 'delivered', event: 'job.succeeded', webhookId: headers['webhook-id'] })]);
  });

  it('sends job.failed and job.canceled, and skips events the client did not ask for', async () => {
    const failed = await submit('fail', { message: 'no' }, {});
    await eventually(async () => (await callbackState(failed.body.id)) === 'delivered');
    expect(JSON.parse(receiver.requests[0]!.body.toString()).type).toBe('job.failed');

    const skipped = await submit('fail', {}, { events: ['job.succeeded'] });
    await eventually(async () => (await callbackState(skipped.body.id)) === 'skipped');

    await stack.request.post('/v1/admin/targets/echo/pause');
    const canceled = await submit('echo', {}, { events: ['job.canceled'] });
    await stack.request.post(`/v1/jobs/${canceled.body.id}/cancel`);
    await stack.request.post('/v1/admin/targets/echo/resume');
    await eventually(async () => (await callbackState(canceled.body.id)) === 'delivered');
    expect(receiver.requests.map((r) => JSON.parse(r.body.toString()).type)).toEqual(['job.failed', 'job.canceled']);
  });

  it('retries a failing receiver with one stable webhook-id, then dead-letters it; redelivery works', async () => {
    receiver.replies({ status: 500 });
    const res = await submit('echo', {}, {});
    await eventually(async () => (await callbackState(res.body.id)) === 'failed');
    expect(receiver.requests).toHaveLength(3);
    expect(new Set(receiver.requests.map((r) => r.headers['webhook-id'])).size).toBe(1);
    const deliveries = (await stack.request.get(`/v1/jobs/${res.body.id}/deliveries`)).body.items as { outcome: string }[];
    expect(deliveries.map((d) => d.outcome)).toEqual(['retrying', 'retrying', 'failed']);
    const dl = await stack.request.get('/v1/admin/webhook-dead-letters');
    expect(dl.body.items.map((j: { id: string }) => j.id)).toContain(res.body.id);

    receiver.replies({ status: 200 });
    const again = await stack.request.post(`/v1/admin/webhook-dead-letters/${res.body.id}/redeliver`);
    expect(again.status).toBe(202);
    await eventually(async () => (await callbackState(res.body.id)) === 'delivered');
    expect(receiver.requests.at(-1)!.headers['webhook-id']).toBe(receiver.requests[0]!.headers['webhook-id']);
    expect((await stack.request.get('/v1/admin/webhook-dead-letters')).body.items.map((j: { id: string }) => j.id)).not.toContain(res.body.id);
  });

  it('does not follow a redirect: a 3xx is a failed attempt', async () => {
    receiver.replies({ status: 302, headers: { location: '/elsewhere' } }, { status: 200 });
    const res = await submit('echo', {}, {});
    await eventually(async () => (await callbackState(res.body.id)) === 'delivered');
    expect(receiver.requests.map((r) => r.url)).toEqual(['/hooks', '/hooks']);
    const deliveries = (await stack.request.get(`/v1/jobs/${res.body.id}/deliveries`)).body.items as { statusCode: number }[];
    expect(deliveries.map((d) => d.statusCode)).toEqual([302, 200]);
  });

  it('reads a large answer only up to the cap and still counts the 2xx', async () => {
    receiver.replies({ status: 200, body: 'x'.repeat(2_000_000) });
    const res = await submit('echo', {}, {});
    await eventually(async () => (await callbackState(res.body.id)) === 'delivered');
    expect(receiver.requests).toHaveLength(1);
  });

  it('stops at once on 410 Gone', async () => {
    receiver.replies({ status: 410 });
    const res = await submit('echo', {}, {});
    await eventually(async () => (await callbackState(res.body.id)) === 'failed');
    expect(receiver.requests).toHaveLength(1);
    expect((await stack.request.get('/v1/admin/webhook-dead-letters')).body.items.map((j: { id: string }) => j.id)).not.toContain(res.body.id);
  });

  it('times out a slow receiver and retries it', async () => {
    receiver.replies({ status: 200, delayMs: 2_000 }, { status: 200 });
    const res = await submit('echo', {}, {});
    await eventually(async () => (await callbackState(res.body.id)) === 'delivered');
    const deliveries = (await stack.request.get(`/v1/jobs/${res.body.id}/deliveries`)).body.items as { error: string | null; outcome: string }[];
    expect(deliveries[0]).toMatchObject({ outcome: 'retrying', error: expect.stringContaining('timeout') });
    expect(deliveries[1]).toMatchObject({ outcome: 'delivered' });
  });

  it('delivers once the receiver comes back up', async () => {
    const port = await freePort();
    const res = await submit('echo', {}, { url: `http://127.0.0.1:${port}/late` });
    await eventually(async () => (await stack.request.get(`/v1/jobs/${res.body.id}/deliveries`)).body.items.length >= 1);
    const seen: string[] = [];
    const late = createServer((req, r) => {
      seen.push(String(req.headers['webhook-id']));
      r.writeHead(200).end();
    });
    await new Promise<void>((ok) => late.listen(port, '127.0.0.1', ok));
    try {
      await eventually(async () => (await callbackState(res.body.id)) === 'delivered');
      const deliveries = (await stack.request.get(`/v1/jobs/${res.body.id}/deliveries`)).body.items as { error: string | null; webhookId: string }[];
      expect(deliveries[0]!.error).toContain('ECONNREFUSED');
      expect(seen).toEqual([deliveries[0]!.webhookId]);
    } finally {
      late.closeAllConnections();
      await new Promise((ok) => late.close(ok));
    }
  });
});
