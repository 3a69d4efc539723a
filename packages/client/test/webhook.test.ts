import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign, signatureHeader } from '../../../src/webhooks/signature.js';
import { DEMO_TARGETS, eventually, testConfig } from '../../../test/support/test-stack.js';
import { GatewayClient, verifyWebhook, WebhookVerificationError, type WebhookEvent } from '../src/index.js';
import { webhookHandler } from '../src/express.js';
import { startGateway, type LiveGateway } from './support/gateway.js';

const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
const secret = newSecret();
const now = () => Math.floor(Date.now() / 1_000);
const payload = JSON.stringify({ type: 'job.succeeded', timestamp: new Date().toISOString(), data: { id: 'job_x', status: 'succeeded' } });

/** Headers as the gateway's notifier sends them, signed by the server's own signing code. */
function signed(body: string, secrets = [secret], at = now(), id = `msg_${randomBytes(8).toString('hex')}`) {
  return { 'webhook-id': id, 'webhook-timestamp': String(at), 'webhook-signature': signatureHeader(secrets, id, at, body), 'content-type': 'application/json' };
}

describe('verifyWebhook', () => {
  it("accepts what the gateway's signing code signs, and returns the typed event", () => {
    const event = verifyWebhook(payload, signed(payload), secret);
    expect(event.type).toBe('job.succeeded');
    expect(event.data.id).toBe('job_x');
  });

  it('takes the body as a string, bytes (a Buffer from express.raw) or an ArrayBuffer, and fetch Headers or any-case records', () => {
    const h = signed(payload);
    const bytes = Buffer.from(payload);
    expect(verifyWebhook(bytes, h, secret).type).toBe('job.succeeded');
    expect(verifyWebhook(new Uint8Array(bytes).buffer, new Headers(h), secret).type).toBe('job.succeeded');
    const mixed = { 'Webhook-Id': h['webhook-id'], 'WEBHOOK-TIMESTAMP': h['webhook-timestamp'], 'Webhook-Signature': [h['webhook-signature']] };
    expect(verifyWebhook(payload, mixed, secret).type).toBe('job.succeeded');
  });

  it('refuses a tampered body, another id, a stale or future timestamp, and missing headers', () => {
    const h = signed(payload);
    const fail = (body: string, headers: Record<string, string>, msg: RegExp) =>
      expect(() => verifyWebhook(body, headers, secret)).toThrow(expect.objectContaining({ name: 'WebhookVerificationError', message: expect.stringMatching(msg) }));
    fail(payload.replace('job_x', 'job_y'), h, /no signature/);
    fail(payload, { ...h, 'webhook-id': 'msg_other' }, /no signature/);
    const old = now() - 301;
    fail(payload, signed(payload, [secret], old), /too old/);
    fail(payload, signed(payload, [secret], now() + 301), /future/);
    fail(payload, { ...h, 'webhook-signature': '' }, /missing/);
    fail(payload, { ...h, 'webhook-timestamp': '12ab' }, /number/);
    // Another scheme's signature is not a v1 one.
    fail(payload, { ...h, 'webhook-signature': h['webhook-signature'].replace('v1,', 'v1a,') }, /no signature/);
  });

  it('has a settable tolerance and clock', () => {
    const at = now() - 60;
    const h = signed(payload, [secret], at);
    expect(() => verifyWebhook(payload, h, secret, { toleranceSeconds: 30 })).toThrow(WebhookVerificationError);
    expect(verifyWebhook(payload, h, secret, { toleranceSeconds: 90 }).type).toBe('job.succeeded');
    expect(verifyWebhook(payload, h, secret, { toleranceSeconds: 5, now: new Date(at * 1_000) }).type).toBe('job.succeeded');
  });

  it('verifies during a key rotation: the sender signs with both, the receiver knows either or both', () => {
    const [oldKey, newKey, unrelated] = [newSecret(), newSecret(), newSecret()];
    const h = signed(payload, [newKey, oldKey]);
    expect(verifyWebhook(payload, h, oldKey).type).toBe('job.succeeded');
    expect(verifyWebhook(payload, h, [unrelated, newKey]).type).toBe('job.succeeded');
    expect(() => verifyWebhook(payload, h, [unrelated])).toThrow(/no signature/);
  });

  it('takes the secret with or without whsec_, or as raw key bytes', () => {
    const h = signed(payload);
    const bare = secret.slice('whsec_'.length);
    expect(verifyWebhook(payload, h, bare).type).toBe('job.succeeded');
    expect(verifyWebhook(payload, h, Buffer.from(bare, 'base64')).type).toBe('job.succeeded');
    expect(() => verifyWebhook(payload, h, 'whsec_not*base64')).toThrow(TypeError);
    expect(() => verifyWebhook(payload, h, [])).toThrow(TypeError);
  });

  it('explains the usual mistake: a parsed body handed over instead of the raw one', () => {
    const parsed = JSON.parse(payload) as object;
    expect(() => verifyWebhook(parsed as unknown as string, signed(payload), secret)).toThrow(/raw body.*express\.raw/s);
    // Re-serialising does not help as soon as the sender's spacing differs.
    const spaced = JSON.stringify(JSON.parse(payload), null, 1);
    expect(() => verifyWebhook(JSON.stringify(JSON.parse(spaced)), signed(spaced), secret)).toThrow(/no signature/);
  });

  it('agrees with the standardwebhooks reference library on signed, tampered and mistimed messages', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !/[\s,]/.test(s)),
        fc.json(),
        fc.integer({ min: -900, max: 900 }).filter((d) => Math.abs(Math.abs(d) - 300) > 2),
        fc.constantFrom('none', 'body', 'id', 'signature'),
        (key, id, body, offset, tamper) => {
          const wh = new Webhook(key, { format: 'raw' });
          const at = now() + offset;
          const headers = { 'webhook-id': id, 'webhook-timestamp': String(at), 'webhook-signature': wh.sign(id, new Date(at * 1_000), body) };
          const sent = tamper === 'body' ? `${body} ` : body;
          if (tamper === 'id') headers['webhook-id'] = `${id}x`;
          if (tamper === 'signature') headers['webhook-signature'] = headers['webhook-signature'].slice(0, -2) + (headers['webhook-signature'].endsWith('A=') ? 'B=' : 'A=');
          const outcome = (f: () => unknown) => {
            try {
              return { ok: true, value: f() };
            } catch (err) {
              return { ok: false, value: (err as Error).name };
            }
          };
          const ours = outcome(() => verifyWebhook(sent, headers, key));
          const reference = outcome(() => wh.verify(sent, headers));
          expect(ours.ok).toBe(reference.ok);
          if (ours.ok) expect(ours.value).toEqual(reference.value);
          else expect(ours.value).toBe('WebhookVerificationError');
          expect(ours.ok).toBe(tamper === 'none' && Math.abs(offset) < 300);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('verifies what the reference library signs with a whsec_ secret, and the reverse', () => {
    const wh = new Webhook(secret);
    const at = now();
    const theirs = wh.sign('msg_1', new Date(at * 1_000), payload);
    expect(theirs).toBe(sign(secret, 'msg_1', at, payload));
    expect(verifyWebhook(payload, { 'webhook-id': 'msg_1', 'webhook-timestamp': String(at), 'webhook-signature': theirs }, secret).type).toBe('job.succeeded');
  });
});

describe('webhookHandler (@async-gateway/client/express)', () => {
  let server: Server;
  let url: string;
  const received: { event: WebhookEvent; webhookId: string; path: string }[] = [];
  beforeAll(async () => {
    const app = express();
    const onEvent = (event: WebhookEvent, ctx: { webhookId: string; req: express.Request }) => {
      received.push({ event, webhookId: ctx.webhookId, path: ctx.req.path });
    };
    // No body parser: the helper reads the body itself.
    app.post('/plain', webhookHandler({ secret, onEvent }));
    app.post('/raw', express.raw({ type: 'application/json' }), webhookHandler({ secret: [newSecret(), secret], onEvent }));
    app.post('/small', webhookHandler({ secret, onEvent, maxBodyBytes: 16 }));
    app.post('/throws', webhookHandler({ secret, onEvent: () => Promise.reject(new Error('handler down')) }));
    app.post('/own-answer', webhookHandler<express.Request, express.Response>({ secret, onEvent: (_e, { res }) => void res.status(202).json({ queued: true }) }));
    // The usual mistake: a global JSON parser ahead of the webhook route.
    const parsed = express.Router();
    parsed.use(express.json());
    parsed.post('/parsed', webhookHandler({ secret, onEvent }));
    app.use(parsed);
    app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).json({ error: err.message });
    });
    server = createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  const post = (path: string, body = payload, headers: Record<string, string> = signed(body)) => fetch(url + path, { method: 'POST', body, headers });

  it('verifies over the raw body with no body parser, or after express.raw, then answers 204', async () => {
    received.length = 0;
    const h = signed(payload);
    expect((await post('/plain', payload, h)).status).toBe(204);
    expect((await post('/raw')).status).toBe(204);
    expect(received.map((r) => [r.path, r.event.type])).toEqual([
      ['/plain', 'job.succeeded'],
      ['/raw', 'job.succeeded'],
    ]);
    expect(received[0]!.webhookId).toBe(h['webhook-id']);
  });

  it('answers 400 to a bad signature and 413 to an oversized body, without calling the handler', async () => {
    received.length = 0;
    const bad = await post('/plain', payload, { ...signed(payload), 'webhook-signature': 'v1,AAAA' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/no signature/);
    expect((await post('/small')).status).toBe(413);
    expect(received).toHaveLength(0);
  });

  it('passes a handler failure to next (500: the gateway retries), and leaves an answer the handler made', async () => {
    expect((await post('/throws')).status).toBe(500);
    const own = await post('/own-answer');
    expect(own.status).toBe(202);
    expect(await own.json()).toEqual({ queued: true });
  });

  it('refuses a body already parsed by express.json, saying why', async () => {
    const res = await post('/parsed');
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: string }).error).toMatch(/express\.json\(\)/);
  });
});

describe('a webhook from the real gateway', () => {
  let gw: LiveGateway;
  let receiver: Server;
  let receiverUrl: string;
  const events: WebhookEvent[] = [];
  beforeAll(async () => {
    const app = express();
    app.post('/hooks', webhookHandler({ secret, onEvent: (e) => void events.push(e) }));
    receiver = createServer(app);
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    gw = await startGateway({
      notifier: true,
      config: testConfig({ targets: DEMO_TARGETS, webhooks: { secrets: [secret], allowlist: ['127.0.0.0/8'], scheduleMs: [0], jitter: 0 } }),
    });
  });
  afterAll(async () => {
    await gw.close();
    await new Promise((r) => receiver.close(r));
  });

  it("is verified by the client's Express helper, with the finished job in it", async () => {
    const client = new GatewayClient({ baseUrl: gw.url });
    const job = await client.submit({ target: 'fail', input: { message: 'nope' }, callback: { url: `${receiverUrl}/hooks` } });
    const event = await eventually(() => events.find((e) => e.data.id === job.id));
    expect(event.type).toBe('job.failed');
    expect(event.data).toMatchObject({ id: job.id, status: 'failed', error: { message: 'nope' } });
    await eventually(async () => (await job.refresh()).callback?.state === 'delivered');
    const [delivery] = await job.deliveries();
    expect(delivery).toMatchObject({ event: 'job.failed', statusCode: 204, outcome: 'delivered' });
  });
});
