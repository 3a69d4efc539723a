import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeys } from '../../src/core/keys.js';
import { apiKeys, bearer as as } from '../support/api-keys.js';
import { startStack, testConfig, type TestStack } from '../support/test-stack.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

const { tokens, auth } = apiKeys({ a: 'client', b: 'client' });
const BACKLOG = 2_000;
const NEWCOMER = 20;

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const ms = (iso: string) => Date.parse(iso);

/**
 * The proof of `fairness: tenant`: tenant A submits 2,000 jobs to a target of
 * concurrency 5 whose upstream takes 20 ms a call, then tenant B submits 20. B's median wait
 * (submit to start) is compared with A's backlog's drain time (A's first submit to its last
 * end), both measured in the same run: with fairness B waits for a few of A's jobs, without
 * it for about all of A's backlog still waiting. A ratio of two durations of one run, not a
 * wall-clock bound: a slow machine stretches both.
 */
describe('fairness between tenants', () => {
  let stack: TestStack;
  let upstream: Upstream;

  beforeAll(async () => {
    upstream = await startUpstream();
    upstream.respondWith(() => ({ status: 200, body: '{"ok":true}', headers: { 'content-type': 'application/json' }, delayMs: 20 }));
    const target = { kind: 'http', url: `${upstream.url}/work`, concurrency: 5 };
    stack = await startStack({
      config: testConfig({ targets: { fair: { ...target, fairness: 'tenant' }, fifo: { ...target, fairness: 'none' } }, auth }),
    });
  });
  afterAll(async () => {
    await stack?.close();
    await upstream?.close();
  });

  async function submit(tenant: 'a' | 'b', target: string, count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i += 100) {
      const chunk = Array.from({ length: Math.min(100, count - i) }, async (_, j) =>
        (await stack.request.post('/v1/jobs').set(as(tokens[tenant])).send({ target, input: { n: i + j } }).expect(202)).body.id as string);
      ids.push(...(await Promise.all(chunk)));
    }
    return ids;
  }

  async function documents(tenant: 'a' | 'b', ids: string[]) {
    const docs = [];
    for (const id of ids) {
      const doc = (await stack.request.get(`/v1/jobs/${id}?wait=60`).set(as(tokens[tenant]))).body as { status: string; createdAt: string; startedAt: string; finishedAt: string };
      expect(doc.status).toBe('succeeded');
      docs.push(doc);
    }
    return docs;
  }

  /** B's median wait over A's drain time, on one target. */
  async function run(target: string): Promise<number> {
    const aIds = await submit('a', target, BACKLOG);
    const bIds = await submit('b', target, NEWCOMER);
    const b = await documents('b', bIds);
    const a = await documents('a', aIds);
    const drainMs = Math.max(...a.map((d) => ms(d.finishedAt))) - Math.min(...a.map((d) => ms(d.createdAt)));
    const waitMs = median(b.map((d) => ms(d.startedAt) - ms(d.createdAt)));
    process.stdout.write(`${target}: B's median wait ${waitMs} ms, A's drain ${drainMs} ms (${((100 * waitMs) / drainMs).toFixed(1)} %)\n`);
    return waitMs / drainMs;
  }

  it("with fairness: tenant, B's median wait is under 5 % of A's backlog's drain time", async () => {
    expect(await run('fair')).toBeLessThan(0.05);
    // Every lane emptied, and nothing is left taken but not added.
    const base = createKeys(stack.config.server.keyPrefix).fairQueue('fair');
    expect(await stack.redis.hget(base, 'queued')).toBe('0');
    expect(await stack.redis.zcard(`${base}:taken`)).toBe(0);
  }, 120_000);

  it('first in, first out (fairness: none), B waits for most of the backlog', async () => {
    expect(await run('fifo')).toBeGreaterThan(0.25);
  }, 120_000);
});
