import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayRuntime } from '../../src/runtime/gateway-runtime.js';
import { DEMO_TARGETS, startStack, testConfig, type TestStack } from '../support/test-stack.js';

/**
 * The gateway's producer connection auto-pipelines (ioredis groups the commands issued in
 * one tick into one write). It was off because, with rate-limiter-flexible's scripts and
 * BullMQ's on one connection, a batch mixing script calls sometimes resolved with too few
 * replies and crashed the process ("results[i] is not iterable"), seen when a script had to
 * be sent again after NOSCRIPT. This drives the real submit path hard on that connection:
 * thousands of admission scripts, BullMQ adds (scripts too), record writes and reads in the
 * same ticks, with the server's script cache flushed mid-way so that every script falls
 * back from EVALSHA to EVAL at once.
 */
describe('auto-pipelining on the producer connection', () => {
  let stack: TestStack;
  let gateway: GatewayRuntime;
  let flusher: Redis;
  beforeAll(async () => {
    stack = await startStack({ executor: false, config: testConfig({ targets: DEMO_TARGETS }) });
    gateway = stack.gateway;
    flusher = new Redis(stack.redisTarget as string);
  });
  afterAll(async () => {
    flusher.disconnect();
    await stack.close();
  });

  it('is on, and every command of mixed, concurrent script batches gets its own reply through a script-cache flush', async () => {
    expect(gateway.redis.options.enableAutoPipelining).toBe(true);
    const rounds = 8;
    const perRound = 250;
    const ids: string[] = [];
    for (let round = 0; round < rounds; round++) {
      if (round === rounds / 2) await flusher.script('FLUSH');
      const batch = Array.from({ length: perRound }, async () => {
        const res = await stack.request.post('/v1/jobs').send({ target: 'echo', input: { round } });
        expect(res.status, JSON.stringify(res.body)).toBe(202);
        // A read in the same ticks as other rounds' writes.
        const read = await stack.request.get(`/v1/jobs/${res.body.id as string}`);
        expect(read.body).toMatchObject({ id: res.body.id, status: 'queued', target: 'echo' });
        return res.body.id as string;
      });
      ids.push(...(await Promise.all(batch)));
    }
    expect(new Set(ids).size).toBe(rounds * perRound);
    const waiting = await gateway.redis.zcard(`${stack.config.server.keyPrefix}:tenant:{public}:in-flight`);
    expect(waiting).toBe(rounds * perRound);
  }, 120_000);
});
