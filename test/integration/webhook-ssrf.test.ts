import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAddressPolicy } from '../../src/webhooks/address-policy.js';
import { postWebhook } from '../../workers/notifier/post-webhook.js';
import { startNotifierRuntime } from '../../src/runtime/notifier-runtime.js';
import { buildConfig } from '../../src/config/load-config.js';
import { handlerNames } from '../../workers/handlers/index.js';
import { DEMO_TARGETS, eventually, startStack, testConfigDoc, type TestStack } from '../support/test-stack.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

const secret = `whsec_${randomBytes(32).toString('base64')}`;

describe('SSRF guard on callbacks', () => {
  let receiver: Upstream;
  let strictStack: TestStack;
  beforeAll(async () => {
    receiver = await startUpstream();
    const doc = testConfigDoc({ targets: DEMO_TARGETS, webhooks: { secrets: [secret] } });
    strictStack = await startStack({ config: buildConfig(doc, handlerNames) });
  });
  afterAll(async () => {
    await strictStack.close();
    await receiver.close();
  });

  it('refuses every loopback spelling at submit with 422 when loopback is not allowlisted', async () => {
    const port = new URL(receiver.url).port;
    const spellings = ['127.0.0.1', 'localhost', '[::1]', '0x7f000001', '2130706433', '0177.0.0.1', '[::ffff:127.0.0.1]', '127.1'];
    for (const host of spellings) {
      const res = await strictStack.request.post('/v1/jobs').send({ target: 'echo', callback: { url: `http://${host}:${port}/hooks` } });
      expect(res.status, host).toBe(422);
      expect(res.body.errors[0].path).toBe('/callback/url');
    }
    expect(receiver.requests).toHaveLength(0);
  });

  it('refuses a bad Callback-Url header in transparent mode with a pointer at the header', async () => {
    const doc = testConfigDoc({ targets: { up: { kind: 'http', url: `${receiver.url}/up` } }, webhooks: { secrets: [secret] } });
    const stack = await startStack({ config: buildConfig(doc, handlerNames), executor: false });
    try {
      const res = await stack.request.post('/v1/async/up/x').set('Callback-Url', 'http://169.254.169.254/').send('x');
      expect(res.status).toBe(422);
      expect(res.body.errors[0]).toMatchObject({ path: 'header:Callback-Url' });
    } finally {
      await stack.close();
    }
  });

  it('refuses callbacks when no signing secret is configured', async () => {
    const stack = await startStack({ executor: false });
    try {
      const res = await stack.request.post('/v1/jobs').send({ target: 'echo', callback: { url: 'https://hooks.example.test/x' } });
      expect(res.status).toBe(422);
      expect(res.body.detail).toContain('not enabled');
    } finally {
      await stack.close();
    }
  });

  it('checks the address at connect time: a name resolving to loopback never gets a request', async () => {
    const port = new URL(receiver.url).port;
    const outcome = await postWebhook(`http://localhost:${port}/hooks`, '{}', {}, { timeoutMs: 2_000, maxResponseBytes: 1_000 }, createAddressPolicy([]));
    expect(outcome).toMatchObject({ statusCode: null, error: expect.stringContaining('refused') });
    const literal = await postWebhook(`http://127.0.0.1:${port}/hooks`, '{}', {}, { timeoutMs: 2_000, maxResponseBytes: 1_000 }, createAddressPolicy([]));
    expect(literal.error).toContain('refused');
    expect(receiver.requests).toHaveLength(0);
    const allowed = await postWebhook(`http://localhost:${port}/hooks`, '{}', {}, { timeoutMs: 2_000, maxResponseBytes: 1_000 }, createAddressPolicy(['127.0.0.0/8', '::1']));
    expect(allowed.statusCode).toBe(200);
    expect(receiver.requests).toHaveLength(1);
    receiver.requests.length = 0;
  });

  it('records a delivery refused at connect time as a failed attempt', async () => {
    // The gateway allowlists loopback, the notifier does not: the accepted URL is refused when it connects.
    const doc = testConfigDoc({ targets: DEMO_TARGETS, webhooks: { secrets: [secret], allowlist: ['127.0.0.0/8'], scheduleMs: [0, 50], jitter: 0 } });
    const stack = await startStack({ config: buildConfig(doc, handlerNames) });
    const notifier = await startNotifierRuntime({
      config: buildConfig({ ...doc, webhooks: { ...doc.webhooks, allowlist: [] } }, handlerNames),
      redis: stack.redisTarget,
      logger: stack.logger,
    });
    try {
      const res = await stack.request.post('/v1/jobs').send({ target: 'echo', callback: { url: `${receiver.url}/hooks` } });
      expect(res.status).toBe(202);
      await eventually(async () => (await stack.request.get(`/v1/jobs/${res.body.id}`)).body.callback.state === 'failed');
      const deliveries = (await stack.request.get(`/v1/jobs/${res.body.id}/deliveries`)).body.items as { error: string; statusCode: null }[];
      expect(deliveries).toHaveLength(2);
      expect(deliveries.every((d) => d.statusCode === null && d.error.includes('refused'))).toBe(true);
      expect(receiver.requests).toHaveLength(0);
    } finally {
      await notifier.close();
      await stack.close();
    }
  });
});
