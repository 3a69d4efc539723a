import { Redis } from 'ioredis';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayRuntime, type GatewayRuntime } from '../../src/runtime/gateway-runtime.js';
import { apiKeys, bearer } from '../support/api-keys.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { DEMO_TARGETS, startStack, testConfig, type TestStack } from '../support/test-stack.js';

const { tokens, auth } = apiKeys({ reader: 'client', submitter: 'client', counted: 'client', exact: 'client' });

/** Every command Redis ran so far, by name (INFO commandstats). */
async function commandCalls(redis: Redis): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const m of (await redis.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

/**
 * The tenant request rate: submits are counted exactly by their admission script; every
 * other request is counted locally and shared through Redis in batches, so that a read is
 * one Redis command. Two gateway processes share one private Redis (its command counts
 * must be theirs alone). The timed syncs are a minute apart: the tests sync by hand.
 */
describe('tenant request rate across gateways', () => {
  let redisServer: RedisServer;
  let stack: TestStack;
  let second: GatewayRuntime;
  let probe: Redis;
  beforeAll(async () => {
    redisServer = await startRedisServer([], { slotChecked: true });
    stack = await startStack({
      executor: false,
      redis: redisServer.url,
      config: testConfig({
        auth,
        targets: DEMO_TARGETS,
        server: { rateLimitSyncMs: 60_000 },
        tenants: { overrides: { reader: { requestsPerWindow: 6, windowSeconds: 3_600 }, submitter: { requestsPerWindow: 3, windowSeconds: 3_600 } } },
      }),
    });
    second = await createGatewayRuntime({ config: stack.config, redis: stack.redisTarget, logger: stack.logger });
    probe = new Redis(redisServer.url);
  });
  afterAll(async () => {
    probe?.disconnect();
    await second?.close();
    await stack?.close();
    await redisServer?.destroy();
  });

  const gw = (n: 1 | 2) => (n === 1 ? stack.request : supertest(second.app));

  it('shares read counts between gateways at each sync, and refuses past the limit with RateLimit fields and Retry-After', async () => {
    for (const n of [1, 2, 1, 2] as const) expect((await gw(n).get('/v1/jobs').set(bearer(tokens.reader))).status).toBe(200);
    // Each gateway adds its two; the first then learns the total of four.
    await stack.gateway.rateLimiter.sync();
    await second.rateLimiter.sync();
    await stack.gateway.rateLimiter.sync();
    const fifth = await gw(1).get('/v1/jobs').set(bearer(tokens.reader));
    expect(fifth.status).toBe(200);
    expect(fifth.headers['ratelimit-limit']).toBe('6');
    expect(fifth.headers['ratelimit-remaining']).toBe('1');
    expect((await gw(1).get('/v1/jobs').set(bearer(tokens.reader))).status).toBe(200);
    const refused = await gw(1).get('/v1/jobs').set(bearer(tokens.reader));
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.headers['ratelimit-remaining']).toBe('0');
  });

  it('counts submits exactly across gateways, with no sync, and a refused submit stores nothing', async () => {
    const submit = (n: 1 | 2) => gw(n).post('/v1/jobs').set(bearer(tokens.submitter)).send({ target: 'echo' });
    for (const n of [1, 2, 1] as const) {
      const res = await submit(n);
      expect(res.status).toBe(202);
      expect(res.headers['ratelimit-limit']).toBe('3');
    }
    const before = await probe.keys(`${stack.config.server.keyPrefix}:job:*`);
    const refused = await submit(2);
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('rate_limited');
    expect(refused.headers['ratelimit-remaining']).toBe('0');
    expect(await probe.keys(`${stack.config.server.keyPrefix}:job:*`)).toEqual(before);
    expect(await probe.zcard(`${stack.config.server.keyPrefix}:tenant:{submitter}:in-flight`)).toBe(3);
    expect(await probe.zcard(`${stack.config.server.keyPrefix}:tenant:{submitter}:jobs`)).toBe(3);
    // Each submit counted once, by its script: the gateways' own counters add nothing for them.
    await Promise.all([stack.gateway.rateLimiter.sync(), second.rateLimiter.sync()]);
    const [counter] = await probe.keys(`${stack.config.server.keyPrefix}:tenant:{submitter}:rate:*`);
    expect(await probe.get(counter!)).toBe('4');
  });

  it('reads a job with one Redis command: the record, and nothing for the rate limit', async () => {
    const { body } = await gw(1).post('/v1/jobs').set(bearer(tokens.counted)).send({ target: 'echo' });
    const before = await commandCalls(probe);
    for (let i = 0; i < 50; i++) expect((await gw(1).get(`/v1/jobs/${body.id as string}`).set(bearer(tokens.counted))).status).toBe(200);
    const after = await commandCalls(probe);
    const delta = Object.fromEntries(Object.keys(after).map((k) => [k, after[k]! - (before[k] ?? 0)]).filter(([, d]) => (d as number) > 0));
    // Our own INFO calls and the outbox relays' polls (their own connections, on a timer)
    // aside, Redis saw the 50 record reads and nothing else.
    for (const background of ['info', 'xreadgroup', 'xautoclaim']) delete delta[background];
    expect(delta).toEqual({ hgetall: 50 });
  });
});

describe('tenant request rate, exact mode (server.rateLimitSyncMs: 0)', () => {
  let stack: TestStack;
  let second: GatewayRuntime;
  beforeAll(async () => {
    stack = await startStack({
      executor: false,
      config: testConfig({ auth, targets: DEMO_TARGETS, server: { rateLimitSyncMs: 0 }, tenants: { overrides: { exact: { requestsPerWindow: 4, windowSeconds: 3_600 } } } }),
    });
    second = await createGatewayRuntime({ config: stack.config, redis: stack.redisTarget, logger: stack.logger });
  });
  afterAll(async () => {
    await second?.close();
    await stack?.close();
  });

  it('counts every request in Redis before answering it: the fifth is refused whichever gateway gets it', async () => {
    const gw = [stack.request, supertest(second.app)];
    for (const n of [0, 1, 0, 1]) expect((await gw[n]!.get('/v1/jobs').set(bearer(tokens.exact))).status).toBe(200);
    for (const n of [0, 1]) {
      const refused = await gw[n]!.get('/v1/jobs').set(bearer(tokens.exact));
      expect(refused.status).toBe(429);
      expect(refused.headers['ratelimit-remaining']).toBe('0');
    }
  });
});
