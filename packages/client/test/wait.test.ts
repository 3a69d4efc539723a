import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantLimitsSchema } from '../../../src/config/schema.js';
import { DEMO_TARGETS, testConfig } from '../../../test/support/test-stack.js';
import { GatewayClient, WaitTimeoutError } from '../src/index.js';
import { recordingFetch, startGateway, type LiveGateway } from './support/gateway.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** recordingFetch, with when each request was sent. */
function timedFetch() {
  const rec = recordingFetch();
  const at: number[] = [];
  const fetch: typeof globalThis.fetch = (input, init) => {
    at.push(Date.now());
    return rec.fetch(input, init);
  };
  return { fetch, calls: rec.calls, at };
}

describe('job.wait: long-poll', () => {
  let gw: LiveGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(async () => {
    await gw.close();
  });

  it('is answered by one held request when the job ends', async () => {
    const t = timedFetch();
    const client = new GatewayClient({ baseUrl: gw.url, fetch: t.fetch });
    const job = await client.submit({ target: 'echo', input: { delayMs: 1_500 } });
    const started = Date.now();
    const done = await job.wait({ timeoutMs: 20_000 });
    expect(done.status).toBe('succeeded');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_200);
    const polls = t.calls.filter((c) => c.method === 'GET');
    expect(polls).toHaveLength(1);
    expect(polls[0]!.url).toBe(`/v1/jobs/${job.id}?wait=20`);
  });

  it('never asks for more than the time left, and times out with the last document', async () => {
    const t = timedFetch();
    const client = new GatewayClient({ baseUrl: gw.url, fetch: t.fetch });
    const job = await client.submit({ target: 'echo', input: { delayMs: 10_000 } });
    const started = Date.now();
    const err = await job.wait({ timeoutMs: 1_300 }).catch((e: unknown) => e);
    const took = Date.now() - started;
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect((err as WaitTimeoutError).job?.id).toBe(job.id);
    expect(took).toBeGreaterThanOrEqual(1_250);
    expect(took).toBeLessThan(2_500);
    expect(t.calls[1]!.url).toBe(`/v1/jobs/${job.id}?wait=2`);
    await job.cancel();
  });

  it('rejects with the reason when the signal aborts', async () => {
    const client = new GatewayClient({ baseUrl: gw.url });
    const job = await client.submit({ target: 'echo', input: { delayMs: 10_000 } });
    const started = Date.now();
    await expect(job.wait({ signal: AbortSignal.timeout(300) })).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeLessThan(2_000);
    await job.cancel();
  });
});

describe('job.wait: a server that does not hold requests', () => {
  let gw: LiveGateway;
  beforeAll(async () => {
    // maxWaitSeconds 0: ?wait= is answered at once, as by a gateway (or proxy) without long-poll.
    gw = await startGateway({ config: testConfig({ targets: DEMO_TARGETS, server: { maxWaitSeconds: 0, pollAfterSeconds: 1 } }) });
  });
  afterAll(async () => {
    await gw.close();
  });

  it('falls back to polling at the Retry-After pace, not a busy loop', async () => {
    const t = timedFetch();
    const client = new GatewayClient({ baseUrl: gw.url, fetch: t.fetch });
    const job = await client.submit({ target: 'echo', input: { delayMs: 2_500 } });
    expect((await job.wait({ timeoutMs: 20_000 })).status).toBe('succeeded');
    const polls = t.at.slice(1);
    // About 2.5 s at one poll a second: 3 or 4 polls, each at least ~1 s after the previous.
    expect(polls.length).toBeGreaterThanOrEqual(3);
    expect(polls.length).toBeLessThanOrEqual(5);
    for (let i = 1; i < polls.length; i++) expect(polls[i]! - polls[i - 1]!).toBeGreaterThanOrEqual(950);
  });
});

// The gateway's cap on held requests (tenants.*.maxWaiting): skipped on a gateway without it.
describe.skipIf(!('maxWaiting' in TenantLimitsSchema.shape))('job.wait: a gateway that holds all the requests it may', () => {
  let gw: LiveGateway;
  beforeAll(async () => {
    gw = await startGateway({ config: testConfig({ targets: DEMO_TARGETS, server: { pollAfterSeconds: 1 }, tenants: { defaults: { maxWaiting: 1 } } }) });
  });
  afterAll(async () => {
    await gw.close();
  });

  it('polls without waiting when told too_many_waiting, at the Retry-After pace', async () => {
    const holder = new GatewayClient({ baseUrl: gw.url });
    const first = await holder.submit({ target: 'echo', input: { delayMs: 4_000 } });
    // Holds the tenant's one long-poll.
    const held = first.wait({ timeoutMs: 20_000 });
    await sleep(200);
    const t = timedFetch();
    const client = new GatewayClient({ baseUrl: gw.url, fetch: t.fetch });
    const job = await client.submit({ target: 'echo', input: { delayMs: 2_000 } });
    expect((await job.wait({ timeoutMs: 20_000 })).status).toBe('succeeded');
    const gets = t.calls.filter((c) => c.method === 'GET');
    expect(gets[0]!.url).toMatch(/\?wait=\d+$/);
    // Refused once, then plain polls (no second refusal), each a Retry-After apart.
    expect(gets.slice(1).every((c) => c.url === `/v1/jobs/${job.id}`)).toBe(true);
    expect(gets.length).toBeGreaterThanOrEqual(3);
    expect(gets.length).toBeLessThanOrEqual(5);
    const polls = t.at.slice(2);
    for (let i = 2; i < polls.length; i++) expect(polls[i]! - polls[i - 1]!).toBeGreaterThanOrEqual(950);
    expect((await held).status).toBe('succeeded');
  });

  it('job.events keeps trying, paced, while the gateway refuses to hold the stream', async () => {
    const holder = new GatewayClient({ baseUrl: gw.url });
    const first = await holder.submit({ target: 'echo', input: { delayMs: 2_500 } });
    const held = first.wait({ timeoutMs: 20_000 });
    await sleep(200);
    const t = timedFetch();
    // No transport retries: the refusals reach the event loop itself.
    const client = new GatewayClient({ baseUrl: gw.url, fetch: t.fetch, maxRetries: 0 });
    const job = await client.submit({ target: 'echo', input: { delayMs: 200 } });
    const events = [];
    for await (const e of job.events()) events.push(e);
    expect(events.at(-1)).toMatchObject({ status: 'succeeded', terminal: true });
    const streams = t.at.filter((_, i) => t.calls[i]!.url.endsWith('/events'));
    expect(streams.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < streams.length; i++) expect(streams[i]! - streams[i - 1]!).toBeGreaterThanOrEqual(900);
    await held;
  });
});
