import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys, bearer as as } from '../support/api-keys.js';
import { createKeys } from '../../src/core/keys.js';
import { JobStore } from '../../src/core/job-store.js';
import { finishJob } from '../../src/core/finish-job.js';
import { createHttpServer } from '../../src/http/http-server.js';
import { DEMO_TARGETS, eventually, startStack, testConfig, type TestStack } from '../support/test-stack.js';

const { tokens, auth } = apiKeys({ other: 'client', solo: 'client', ops: 'admin' });
const { other, solo, ops } = tokens;

describe('admission limits', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({
      executor: false,
      config: testConfig({
        targets: { ...DEMO_TARGETS, fail: { ...DEMO_TARGETS.fail, maxQueuedJobs: 2 } },
        auth,
        tenants: { overrides: { other: { maxInFlightJobs: 2 } } },
      }),
    });
  });
  afterAll(async () => {
    await stack.close();
  });

  // The request rate across gateway processes: test/integration/tenant-rate.test.ts.

  it("caps a tenant's unfinished jobs, and frees room as jobs end", async () => {
    const a = await stack.request.post('/v1/jobs').set(as(other)).send({ target: 'echo' });
    await stack.request.post('/v1/jobs').set(as(other)).send({ target: 'echo' });
    const third = await stack.request.post('/v1/jobs').set(as(other)).send({ target: 'echo' });
    expect(third.status).toBe(429);
    expect(third.body.code).toBe('quota_exceeded');
    expect(third.headers['retry-after']).toBeTruthy();
    await stack.request.post(`/v1/jobs/${a.body.id}/cancel`).set(as(other));
    expect((await stack.request.post('/v1/jobs').set(as(other)).send({ target: 'echo' })).status).toBe(202);
  });

  it('counts a job against the quota from submit to its end, and again once replayed', async () => {
    const { body } = await stack.request.post('/v1/jobs').set(as(solo)).send({ target: 'echo' });
    const keys = createKeys(stack.config.server.keyPrefix);
    const store = new JobStore(stack.redis, keys);
    const inFlight = () => stack.redis.zscore(keys.tenantInFlight('solo'), body.id);
    expect(await inFlight()).not.toBeNull();
    // Running and back to queued (a retry): still counted, without touching the set.
    await store.transition(body.id, { from: ['queued'], set: { status: 'running', attempts: 1 } });
    await store.transition(body.id, { from: ['running'], set: { status: 'queued' } });
    expect(await inFlight()).not.toBeNull();
    // The end frees the slot through the target's outbox, written by the same script.
    const record = (await store.get(body.id))!;
    const ended = await finishJob(store, record, { status: 'failed', deadLetter: true, at: Date.now(), retentionMs: 60_000 });
    expect(ended.ended).toBe(true);
    await eventually(async () => expect(await inFlight()).toBeNull());
    // A replay (terminal -> queued) counts it again before it answers.
    const replay = await stack.request.post(`/v1/admin/dead-letters/${body.id}/replay`).set(as(ops));
    expect(replay.status).toBe(202);
    expect(await inFlight()).not.toBeNull();
    // A refused end (it is queued, not running) writes no outbox entry: the slot stays.
    const refused = await finishJob(store, record, { status: 'succeeded', from: ['running'], at: Date.now(), retentionMs: 60_000 });
    expect(refused.ended).toBe(false);
    await stack.gateway.relayNow();
    expect(await inFlight()).not.toBeNull();
  });

  it('sheds load with 503 and Retry-After once a target queue is full', async () => {
    const x = apiKeys({ x: 'client' });
    const key = x.tokens.x;
    const shed = await startStack({
      executor: false,
      config: testConfig({ targets: { fail: { ...DEMO_TARGETS.fail, maxQueuedJobs: 2 } }, auth: x.auth }),
    });
    try {
      for (let i = 0; i < 2; i++) expect((await shed.request.post('/v1/jobs').set(as(key)).send({ target: 'fail' })).status).toBe(202);
      // Depths are counted at most twice a second per gateway: wait for a fresh count.
      const t = Date.now();
      await eventually(() => Date.now() - t > 600);
      const full = await shed.request.post('/v1/jobs').set(as(key)).send({ target: 'fail' });
      expect(full.status).toBe(503);
      expect(full.body.code).toBe('queue_full');
      expect(full.headers['retry-after']).toBe('5');
    } finally {
      await shed.close();
    }
  });

  it('answers 431 problem+json for oversized headers', async () => {
    const server = createHttpServer(stack.gateway.app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const reply = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.write(`GET /v1/jobs HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
        });
        let data = '';
        socket.on('data', (c) => (data += c.toString()));
        socket.on('end', () => resolve(data));
        socket.on('error', reject);
      });
      expect(reply).toMatch(/^HTTP\/1\.1 431 /);
      expect(reply).toContain('application/problem+json');
      expect(JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4))).toMatchObject({ code: 'headers_too_large', status: 431 });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
