import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/observability/metrics.js';
import { apiKeys, bearer } from '../support/api-keys.js';
import { sample } from '../support/prom.js';
import { startExecutorRuntime } from '../../src/runtime/executor-runtime.js';
import { eventually, startStack, testConfig, type TestStack } from '../support/test-stack.js';

const { tokens, auth } = apiKeys({ acme: 'client', beta: 'client', ops: 'admin', prom: 'metrics' });

/**
 * What an operator sees of a fair target's lanes: the admin view's fairness block, the
 * gauges, and the oldest-waiting gauge reading the lanes (not only BullMQ). No executor
 * serves "lanes", so what the lanes hold stays there while the test reads it.
 */
const TARGETS = { lanes: { kind: 'handler', handler: 'echo', concurrency: 1, fairness: 'tenant' }, fifo: { kind: 'handler', handler: 'echo' } };

describe("a fair target's lanes, as an operator sees them", () => {
  let stack: TestStack;
  /** The jobs the first test leaves in the lanes, for the second. */
  const inLanes: { id: string; token: string }[] = [];
  const metrics = createMetrics({ process: 'all-in-one' });
  const scrape = async () => {
    const res = await stack.request.get('/metrics').set(bearer(tokens.prom));
    expect(res.status).toBe(200);
    return res.text;
  };

  beforeAll(async () => {
    stack = await startStack({
      metrics,
      executor: false,
      config: testConfig({
        targets: TARGETS,
        tenants: { overrides: { beta: { weight: 2, maxRunningPerTarget: 3 } } },
        auth,
      }),
    });
  });
  afterAll(async () => {
    await stack.close();
  });

  it("shows a fair target's lanes: who waits there, in the admin view and the gauges, and the job waiting longest in them", async () => {
    const submit = async (token: string, delay?: number) => {
      const res = await stack.request.post('/v1/jobs').set(bearer(token)).send({ target: 'lanes', ...(delay !== undefined && { delay }) });
      expect(res.status).toBe(202);
      return res.body.id as string;
    };
    // Concurrency 1: BullMQ takes a window of 4; nothing serves "lanes", so the rest stays in the lanes.
    const inQueue = [await submit(tokens.acme), await submit(tokens.acme), await submit(tokens.acme), await submit(tokens.acme)];
    const submitted = Date.now();
    for (const token of [tokens.acme, tokens.beta, tokens.acme, tokens.acme]) inLanes.push({ id: await submit(token), token });
    const accepted = Date.now();
    // Scheduled for an hour from now: counted as delayed, listed after the waiting jobs.
    const later = await submit(tokens.beta, 3_600_000);
    // Canceled in BullMQ, the first four leave only the lanes' jobs waiting (no executor refills the window).
    for (const id of inQueue) expect((await stack.request.post(`/v1/jobs/${id}/cancel`).set(bearer(tokens.acme))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));

    const view = await stack.request.get('/v1/admin/targets/lanes').set(bearer(tokens.ops));
    expect(view.status).toBe(200);
    expect(view.body.counts).toMatchObject({ waiting: 4, delayed: 1, active: 0 });
    expect(view.body.fairness).toEqual({
      activeTenants: 2,
      waiting: 4,
      scheduled: 1,
      dispatching: 0,
      window: 4,
      tenants: [
        { tenant: 'acme', waiting: 3, weight: 1, maxRunning: null, running: null },
        { tenant: 'beta', waiting: 1, weight: 2, maxRunning: 3, running: 0 },
      ],
    });
    // The live job list has the lanes' jobs in arrival order, then the scheduled one.
    const live = await stack.request.get('/v1/admin/targets/lanes/jobs?view=live').set(bearer(tokens.ops));
    expect((live.body.items as { id: string }[]).map((j) => j.id)).toEqual([...inLanes.map((j) => j.id), later]);
    // A FIFO target has no fairness block.
    expect((await stack.request.get('/v1/admin/targets/fifo').set(bearer(tokens.ops))).body).not.toHaveProperty('fairness');

    const scrapeStart = Date.now();
    const text = await scrape();
    const scrapeEnd = Date.now();
    expect(sample(text, 'asyncgw_fair_active_tenants', { target: 'lanes' })).toBe(2);
    expect(sample(text, 'asyncgw_fair_lane_jobs', { target: 'lanes' })).toBe(4);
    expect(sample(text, 'asyncgw_fair_lane_jobs', { target: 'fifo' })).toBeUndefined();
    expect(sample(text, 'asyncgw_queue_jobs', { target: 'lanes', state: 'waiting' })).toBe(4);
    // BullMQ holds none of them: the age is the first lane job's (submitted between the two marks).
    const age = sample(text, 'asyncgw_queue_oldest_waiting_seconds', { target: 'lanes' })!;
    expect(age).toBeGreaterThanOrEqual((scrapeStart - accepted) / 1_000 - 0.001);
    expect(age).toBeLessThanOrEqual((scrapeEnd - submitted) / 1_000 + 0.001);
    // Canceled, the scheduled job leaves the schedule (nothing would ever run it).
    expect((await stack.request.post(`/v1/jobs/${later}/cancel`).set(bearer(tokens.beta))).body.status).toBe('canceled');
    expect((await stack.request.get('/v1/admin/targets/lanes').set(bearer(tokens.ops))).body.fairness).toMatchObject({ waiting: 4, scheduled: 0 });
  });


  it('a target whose fairness is turned off while its lanes hold jobs: its executor moves them into the queue and runs them', async () => {
    expect(inLanes).toHaveLength(4);
    // And one scheduled for 3 s from now: not due when the drain runs, so it goes to BullMQ's
    // delayed set (the drain ends before it is due), and runs when due.
    const dueAt = Date.now() + 3_000;
    const scheduled = await stack.request.post('/v1/jobs').set(bearer(tokens.acme)).send({ target: 'lanes', delay: 3_000 });
    inLanes.push({ id: scheduled.body.id as string, token: tokens.acme });
    // The same keys, with lanes no longer fair: without the drain nothing would ever take these jobs out.
    const fifo = testConfig({ server: { keyPrefix: stack.config.server.keyPrefix }, targets: { ...TARGETS, lanes: { kind: 'handler', handler: 'echo', concurrency: 1 } }, auth });
    const executor = await startExecutorRuntime({ config: fifo, redis: stack.redisTarget, logger: stack.logger, targets: ['lanes'] });
    try {
      await eventually(async () => {
        const docs = await Promise.all(inLanes.map(async ({ id, token }) => (await stack.request.get(`/v1/jobs/${id}`).set(bearer(token))).body as { status: string }));
        return docs.every((d) => d.status === 'succeeded');
      }, 15_000);
      expect(stack.logs.lines.find((l) => l.event === 'fairness.lanes_left_over')).toMatchObject({ target: 'lanes', jobs: 5 });
      const drained = await eventually(() => stack.logs.lines.find((l) => l.event === 'fairness.lanes_drained'));
      expect(drained).toMatchObject({ target: 'lanes', moved: 5 });
      expect(Date.parse(drained.time as string)).toBeLessThan(dueAt);
      expect((await stack.request.get('/v1/admin/targets/lanes').set(bearer(tokens.ops))).body.fairness).toMatchObject({ waiting: 0, scheduled: 0, dispatching: 0, activeTenants: 0 });
    } finally {
      await executor.close(1_000);
    }
  });
});
