import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { finishJob } from '../../src/core/finish-job.js';
import type { JobRecord } from '../../src/core/job-record.js';
import { JobStore } from '../../src/core/job-store.js';
import { createKeys, type Keys } from '../../src/core/keys.js';
import { createLogger } from '../../src/core/logger.js';
import { webhookMessageId } from '../../src/core/outbox.js';
import { WebhookQueue } from '../../src/core/webhook-queue.js';
import { OutboxRelay, RELAY_GROUP } from '../../src/jobs/outbox-relay.js';
import { CallbackTrigger } from '../../src/webhooks/callback-trigger.js';
import { queuedRecord } from '../support/job-record.js';
import { deleteMatching } from '../support/redis-keys.js';
import { startRedisServer } from '../support/redis-server.js';
import { DEMO_TARGETS, eventually, LogSink, testConfig, testRedisTarget } from '../support/test-stack.js';
import { createRedis, type RedisClient } from '../../src/core/redis.js';

const config = testConfig({ targets: { echo: DEMO_TARGETS.echo }, webhooks: { secrets: ['whsec_dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0'] } });

describe('the outbox relay: a job end and its effects on other slots', () => {
  let redis: RedisClient;
  let keys: Keys;
  let store: JobStore;
  let webhookQueue: WebhookQueue;
  let webhookView: Queue;
  const logs = new LogSink();
  const logger = createLogger({ level: 'debug', name: 'test' }, logs);
  const relays: OutboxRelay[] = [];
  const relay = (consumer: string, opts: { claimIdleMs?: number } = {}) => {
    const r = new OutboxRelay(redis, keys, ['echo'], new CallbackTrigger(config, webhookQueue, logger), logger, { consumer, pollMs: 60_000, ...opts });
    relays.push(r);
    return r;
  };

  beforeAll(() => {
    redis = createRedis(testRedisTarget(), 'worker', 'test');
    keys = createKeys(config.server.keyPrefix);
    store = new JobStore(redis, keys);
    webhookQueue = new WebhookQueue(redis, keys);
    webhookView = new Queue(keys.webhookQueueName(), { connection: redis, prefix: keys.bullPrefix() });
  });
  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.close()));
  });
  afterAll(async () => {
    await webhookQueue.close();
    await webhookView.close();
    await deleteMatching(redis, `${keys.prefix}:*`);
    redis.disconnect();
  });

  /** A job admitted (in its tenant's in-flight set), stored and ended by a process that then died: no relay ran. */
  const endedWithoutRelay = async (over: Partial<JobRecord> = {}) => {
    const now = Date.now();
    const record = queuedRecord(now, { callback: { url: 'http://127.0.0.1:9/hook', events: ['job.succeeded'] }, callbackState: 'pending', ...over });
    await store.create(record);
    await redis.zadd(keys.tenantInFlight(record.tenant), now, record.id);
    const ended = await finishJob(store, record, { status: 'succeeded', at: now, resultJson: '1', retentionMs: 60_000 });
    expect(ended.ended).toBe(true);
    return { record, at: now };
  };
  const inFlight = (r: JobRecord) => redis.zscore(keys.tenantInFlight(r.tenant), r.id);
  const webhookQueued = async (r: JobRecord, at: number) => (await webhookView.getJob(webhookMessageId(r.id, at))) !== undefined;

  it("carries out an end's effects that the ending process never did: in-flight freed, webhook queued", async () => {
    const { record, at } = await endedWithoutRelay();
    // The end alone: the job is finished and its callback pending, its effects still in the outbox.
    expect((await store.get(record.id))!.callbackState).toBe('pending');
    expect(await inFlight(record)).not.toBeNull();
    expect(await webhookQueued(record, at)).toBe(false);

    const r = relay('other-process');
    await r.start();
    await r.runOnce();
    expect(await inFlight(record)).toBeNull();
    expect(await webhookQueued(record, at)).toBe(true);
    // Done entries are deleted; nothing is left pending in the group.
    expect(await redis.xlen(keys.outbox('echo'))).toBe(0);
    expect(((await redis.xpending(keys.outbox('echo'), RELAY_GROUP)) as [number])[0]).toBe(0);
  });

  it('writes no webhook effect for an event the callback did not subscribe to, and says skipped', async () => {
    const { record, at } = await endedWithoutRelay({ callback: { url: 'http://127.0.0.1:9/hook', events: ['job.failed'] } });
    expect((await store.get(record.id))!.callbackState).toBe('skipped');
    const r = relay('p1');
    await r.start();
    await r.runOnce();
    expect(await inFlight(record)).toBeNull();
    expect(await webhookQueued(record, at)).toBe(false);
  });

  it('takes over the entries of a relay that read them and died, once they are idle', async () => {
    const { record, at } = await endedWithoutRelay();
    const key = keys.outbox('echo');
    await redis.xgroup('CREATE', key, RELAY_GROUP, '0', 'MKSTREAM').catch(() => undefined);
    // A relay that read the entry and died before carrying it out: pending under its name.
    await redis.xreadgroup('GROUP', RELAY_GROUP, 'dead-process', 'COUNT', 10, 'STREAMS', key, '>');
    const survivor = relay('survivor', { claimIdleMs: 100 });
    await survivor.start();
    await survivor.runOnce();
    // Not yet idle long enough: the dead one's entry is left alone (it may still be working).
    expect(await inFlight(record)).not.toBeNull();
    await new Promise((r) => setTimeout(r, 150));
    // Claims are tried at most every claimIdleMs: wait out that spacing too.
    await eventually(async () => {
      await survivor.runOnce();
      return (await inFlight(record)) === null;
    });
    expect(await webhookQueued(record, at)).toBe(true);
    expect(await redis.xlen(key)).toBe(0);
  });

  it('keeps an entry whose effect fails, and the ones behind it, in order, until Redis takes them', async () => {
    const first = await endedWithoutRelay({ tenant: 'broken' });
    const second = await endedWithoutRelay({ tenant: 'fine' });
    // The first entry's in-flight set holds another type: its ZREM fails.
    await redis.del(keys.tenantInFlight('broken'));
    await redis.set(keys.tenantInFlight('broken'), 'not-a-zset');
    const r = relay('p2');
    await r.start();
    await r.runOnce();
    expect(logs.lines.some((l) => l.event === 'outbox.effect_failed')).toBe(true);
    // Neither is acknowledged: the second waits behind the first.
    expect(await redis.xlen(keys.outbox('echo'))).toBe(2);
    // Retried on every run, logged on the 1st, 10th, 100th... failure, not on every one.
    for (let i = 0; i < 11; i++) await r.runOnce();
    expect(logs.lines.filter((l) => l.event === 'outbox.effect_failed').map((l) => l.failures)).toEqual([1, 10]);

    await redis.del(keys.tenantInFlight('broken'));
    await r.runOnce();
    expect(await redis.xlen(keys.outbox('echo'))).toBe(0);
    expect(await inFlight(second.record)).toBeNull();
    expect(await webhookQueued(first.record, first.at)).toBe(true);
  });

  it('recreates its group when Redis lost it (a restart without persistence)', async () => {
    const r = relay('p3');
    await r.start();
    await redis.del(keys.outbox('echo'));
    const { record, at } = await endedWithoutRelay();
    await r.runOnce();
    expect(await inFlight(record)).toBeNull();
    expect(await webhookQueued(record, at)).toBe(true);
  });

  it('answers runWithin by its bound when Redis does not answer, leaving the entries for later', async () => {
    const server = await startRedisServer(['--enable-debug-command', 'yes']);
    const own = new Redis(server.url, { maxRetriesPerRequest: null });
    const blocker = new Redis(server.url);
    try {
      const r = new OutboxRelay(own, keys, ['echo'], new CallbackTrigger(config, webhookQueue, logger), logger, { consumer: 'p5', pollMs: 60_000 });
      await r.start();
      await r.runOnce();
      await blocker.ping();
      let asleep = true;
      const sleeping = blocker.call('DEBUG', 'SLEEP', '2').finally(() => (asleep = false));
      await r.runWithin(50);
      // It came back while Redis was still asleep: it did not wait for it.
      expect(asleep).toBe(true);
      await sleeping;
      await r.close();
    } finally {
      own.disconnect();
      blocker.disconnect();
      await server.destroy();
    }
  });

  it('carries out a replay (reopened) before the end that follows it, so the slot ends free', async () => {
    const { record } = await endedWithoutRelay();
    // A replay puts it back (reopened: in-flight again) and it ends again, all before any relay ran.
    const again = await store.transition(record.id, {
      from: ['succeeded'],
      set: { status: 'queued' },
      effects: { target: 'echo', outbox: { kind: 'reopened', id: record.id, tenant: record.tenant, at: Date.now() } },
    });
    expect(again.applied).toBe(true);
    await finishJob(store, (await store.get(record.id))!, { status: 'failed', at: Date.now() + 1, retentionMs: 60_000, notify: false });
    const r = relay('p4');
    await r.start();
    await r.runOnce();
    expect(await inFlight(record)).toBeNull();
  });
});
