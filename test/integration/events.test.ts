import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeys } from '../../src/core/keys.js';
import { JobStore } from '../../src/core/job-store.js';
import { readEvents } from '../support/sse.js';
import { startStack, type TestStack } from '../support/test-stack.js';

describe('GET /v1/jobs/{id}/events', () => {
  let stack: TestStack;
  let server: Server;
  let port: number;
  beforeAll(async () => {
    stack = await startStack();
    server = stack.gateway.app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await stack.close();
  });

  it('streams each status change and progress, then the terminal event with the document, then ends', async () => {
    const { body } = await stack.request.post('/v1/jobs').send({ target: 'echo', input: { delayMs: 400 } });
    const { status, type, events } = await readEvents(port, `/v1/jobs/${body.id}/events`);
    expect(status).toBe(200);
    expect(type).toContain('text/event-stream');
    const statuses = events.filter((e) => e.event === 'status').map((e) => e.data.status);
    expect(statuses).toEqual(['queued', 'running', 'succeeded']);
    const progress = events.filter((e) => e.event === 'progress').map((e) => e.data.progress);
    expect(progress).toEqual([25, 50, 75, 100]);
    const last = events.at(-1)!;
    expect(last.data.job).toMatchObject({ id: body.id, status: 'succeeded', result: { echo: { delayMs: 400 } } });
    // Ids are the job's event sequence numbers: 1, 2, 3, … in order.
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => String(i + 1)));
  });

  it('resumes after Last-Event-ID without repeating earlier events', async () => {
    const { body } = await stack.request.post('/v1/jobs').set('Prefer', 'wait=10').send({ target: 'echo', input: { delayMs: 200 } });
    expect(body.status).toBe('succeeded');
    const all = (await readEvents(port, `/v1/jobs/${body.id}/events`)).events;
    const resumed = (await readEvents(port, `/v1/jobs/${body.id}/events`, { 'Last-Event-ID': all[2]!.id! })).events;
    expect(resumed.map((e) => e.id)).toEqual(all.slice(3).map((e) => e.id));
  });

  it('keeps the newest 200 events of a job, their ids unchanged by the trimming', async () => {
    // Delayed an hour: the job stays queued while the test appends progress events to it.
    const { body } = await stack.request.post('/v1/jobs').send({ target: 'echo', runAt: new Date(Date.now() + 3_600_000).toISOString() });
    const store = new JobStore(stack.redis, createKeys(stack.config.server.keyPrefix));
    for (let i = 1; i <= 205; i++) {
      const applied = await store.transition(body.id, { from: ['queued'], set: {}, event: { type: 'progress', progress: i % 100, at: Date.now(), attempt: 0 } });
      expect(applied.applied).toBe(true);
    }
    // 206 events in all (queued + 205 progress): the first six are gone, the ids go on.
    const kept = await store.eventsAfter(body.id, null, 1_000);
    expect(kept.map((e) => e.id)).toEqual(Array.from({ length: 200 }, (_, i) => String(i + 7)));
    expect((await store.eventsAfter(body.id, '204')).map((e) => e.id)).toEqual(['205', '206']);
  });

  it('keeps a finished job small in Redis: record, attempts and event log together under 3 KB', async () => {
    const { body } = await stack.request.post('/v1/jobs').set('Prefer', 'wait=10').send({ target: 'echo', input: { n: 1 } });
    expect(body.status).toBe('succeeded');
    const keys = createKeys(stack.config.server.keyPrefix);
    const usage = async (key: string) => Number(await stack.redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
    const history = await usage(keys.jobEvents(body.id));
    const total = (await usage(keys.job(body.id))) + (await usage(keys.jobAttempts(body.id))) + history;
    // A Redis stream here cost 4.7 KB by itself (a preallocated 4 KB listpack node).
    expect(history).toBeLessThan(1_024);
    expect(total).toBeLessThan(3 * 1_024);
  });

  it('reports retries as status changes back to queued with the error and the delay', async () => {
    const { body } = await stack.request.post('/v1/jobs').send({ target: 'flaky', input: { failTimes: 1 } });
    const { events } = await readEvents(port, `/v1/jobs/${body.id}/events`);
    const statuses = events.filter((e) => e.event === 'status').map((e) => e.data.status);
    expect(statuses).toEqual(['queued', 'running', 'queued', 'running', 'succeeded']);
    const retry = events.filter((e) => e.event === 'status')[2]!;
    expect(retry.data).toMatchObject({ error: { code: 'flaky_failure', retryable: true } });
    expect(typeof retry.data.retryDelayMs).toBe('number');
  });
});
