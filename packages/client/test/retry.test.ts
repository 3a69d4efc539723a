import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_TARGETS, testConfig } from '../../../test/support/test-stack.js';
import { GatewayClient, GatewayError } from '../src/index.js';
import { recordingFetch, startGateway, type LiveGateway } from './support/gateway.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Uses up the tenant's one request of the current one-second window with a submit (submits
 * are counted exactly), early in the window, so that the client's submit right after is
 * refused with 429.
 */
async function spendWindow(gw: LiveGateway): Promise<void> {
  await sleep(1_050 - (Date.now() % 1_000));
  for (;;) {
    const r = await gw.stack.request.post('/v1/jobs').send({ target: 'echo', metadata: { case: 'spend' } });
    if (r.status === 202) return;
    expect(r.status).toBe(429);
    await sleep(Number(r.headers['retry-after']) * 1_000);
  }
}

describe('submit retries: 429 with Retry-After', () => {
  let gw: LiveGateway;
  beforeAll(async () => {
    // One request per second for the tenant (the open gateway's "public").
    gw = await startGateway({ config: testConfig({ targets: DEMO_TARGETS, tenants: { defaults: { requestsPerWindow: 1, windowSeconds: 1 } } }) });
  });
  afterAll(async () => {
    await gw.close();
  });

  it('waits as Retry-After says, sends the same Idempotency-Key again, and makes exactly one job', async () => {
    const rec = recordingFetch();
    const client = new GatewayClient({ baseUrl: gw.url, fetch: rec.fetch });
    await spendWindow(gw);
    const started = Date.now();
    const job = await client.submit({ target: 'echo', metadata: { case: 'rate-limited' } });
    const posts = rec.calls.filter((c) => c.method === 'POST');
    expect(posts).toHaveLength(2);
    expect(posts[1]!.headers['idempotency-key']).toBe(posts[0]!.headers['idempotency-key']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(job.document?.status).toBeDefined();
    await sleep(1_100);
    const page = await client.listPage({ metadata: { case: 'rate-limited' } });
    expect(page.items.map((d) => d.id)).toEqual([job.id]);
  });

  it('does not retry a submit sent without an Idempotency-Key', async () => {
    const rec = recordingFetch();
    const client = new GatewayClient({ baseUrl: gw.url, fetch: rec.fetch });
    await spendWindow(gw);
    const err = (await client.submit({ target: 'echo' }, { idempotencyKey: null }).catch((e: unknown) => e)) as GatewayError;
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(err.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(rec.calls).toHaveLength(1);
  });

  it('gives up at once when Retry-After is beyond the cap, with retryAfterSeconds for the caller', async () => {
    const rec = recordingFetch();
    const client = new GatewayClient({ baseUrl: gw.url, fetch: rec.fetch, maxRetryDelayMs: 200 });
    await spendWindow(gw);
    const err = (await client.submit({ target: 'echo' }).catch((e: unknown) => e)) as GatewayError;
    expect(err).toMatchObject({ status: 429, retryAfterSeconds: 1 });
    expect(rec.calls).toHaveLength(1);
  });
});

describe('submit retries: the answer lost on the way back', () => {
  let gw: LiveGateway;
  let front: Server;
  let url: string;
  let dropNext = 0;
  beforeAll(async () => {
    gw = await startGateway();
    // The gateway itself, whose answers to the next `dropNext` submits are cut off after the job is stored.
    front = createServer((req, res) => {
      if (req.method === 'POST' && dropNext > 0) {
        dropNext--;
        (res as ServerResponse & { end: unknown }).end = () => {
          req.socket.destroy();
          return res;
        };
      }
      gw.stack.gateway.app(req, res);
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    front.closeAllConnections();
    await new Promise((r) => front.close(r));
    await gw.close();
  });

  it('retries after the network error, and the replayed answer is the first job: never a second one', async () => {
    const rec = recordingFetch();
    const client = new GatewayClient({ baseUrl: url, fetch: rec.fetch });
    dropNext = 1;
    const job = await client.submit({ target: 'echo', metadata: { case: 'lost-answer' } });
    const posts = rec.calls.filter((c) => c.method === 'POST');
    expect(posts.length).toBeGreaterThanOrEqual(2);
    expect(new Set(posts.map((p) => p.headers['idempotency-key'])).size).toBe(1);
    expect(job.replayed).toBe(true);
    const page = await client.listPage({ metadata: { case: 'lost-answer' } });
    expect(page.items.map((d) => d.id)).toEqual([job.id]);
  });

  it('without a key, the same loss is the caller\'s to handle: no retry', async () => {
    const rec = recordingFetch();
    const client = new GatewayClient({ baseUrl: url, fetch: rec.fetch });
    dropNext = 1;
    await expect(client.submit({ target: 'echo' }, { idempotencyKey: null })).rejects.toMatchObject({ name: 'GatewayConnectionError' });
    expect(rec.calls).toHaveLength(1);
  });
});
