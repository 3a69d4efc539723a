import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { JobWatcher } from '../../src/core/job-watcher.js';
import { deleteMatching } from '../support/redis-keys.js';
import { uniquePrefix } from '../support/test-stack.js';

/**
 * The lost-wakeup race of a waiter (long-poll, Prefer: wait, SSE): it reads the job, then
 * waits for a change. A change published between the two must still wake it: the wait is
 * armed before the read. The recheck here is far longer than the test's timeout, so a
 * missed notification shows as a test that times out, never as a slow pass.
 */
describe('JobWatcher.arm', () => {
  const channel = `${uniquePrefix()}:jobs`;
  const subscriber = new Redis(inject('redisUrl'));
  const publisher = new Redis(inject('redisUrl'));
  // No sweep within a test: a missed notification must show as a timeout.
  const watcher = new JobWatcher(subscriber, channel, async (ids) => ids.map(() => 'same'), 3_600_000);
  beforeAll(() => watcher.start());
  afterAll(() => {
    watcher.stop();
    subscriber.disconnect();
    publisher.disconnect();
  });

  it('wakes a wait armed before a change that lands before the wait begins', async () => {
    const armed = watcher.arm('job_race', 3_600_000);
    // "The read": the change lands while the caller is still busy, before it awaits.
    await publisher.publish(channel, 'job_race');
    await expect.poll(() => watcher.waiting).toBe(0); // the notification was consumed by the armed wait
    await armed.changed;
  });

  it('disarm ends the wait and stops listening', async () => {
    const armed = watcher.arm('job_other', 3_600_000);
    expect(watcher.waiting).toBe(1);
    armed.disarm();
    await armed.changed;
    expect(watcher.waiting).toBe(0);
  });

  it('ends at once when its signal is already aborted', async () => {
    const armed = watcher.arm('job_x', 3_600_000, AbortSignal.abort());
    await armed.changed;
    expect(watcher.waiting).toBe(0);
  });
});

/**
 * The safety sweep for notifications pub/sub dropped: one batched version read per interval
 * for every waiter of the gateway, never one read per waiter.
 */
describe('JobWatcher sweep', () => {
  const redisUrl = inject('redisUrl');
  const prefix = uniquePrefix();
  const subscriber = new Redis(redisUrl);
  const redis = new Redis(redisUrl);
  // One hash tag: MSET/MGET of several keys must stay in one slot (the test Redis checks).
  const versionKey = (id: string) => `${prefix}:{versions}:${id}`;
  const probeCalls: number[] = [];
  // The probe the gateway uses reads each job's newest event; this one reads a plain key.
  const watcher = new JobWatcher(
    subscriber,
    `${prefix}:jobs`,
    async (ids) => {
      probeCalls.push(ids.length);
      return redis.mget(...ids.map(versionKey));
    },
    60_000,
  );
  beforeAll(() => watcher.start());
  afterAll(async () => {
    watcher.stop();
    subscriber.disconnect();
    await deleteMatching(redis, `${prefix}:*`);
    redis.disconnect();
  });

  it('reads every watched job in one probe call, and wakes only the waiters of a job whose version moved', async () => {
    const ids = Array.from({ length: 300 }, (_, i) => `job_${i}`);
    await redis.mset(...ids.flatMap((id) => [versionKey(id), '1']));
    // A first sight wakes (a change may have slipped by unseen): arm, sweep once, re-arm, as waiters do.
    for (const id of ids) void watcher.arm(id, 60_000).changed;
    await watcher.sweep();
    const woken = new Set<string>();
    for (const id of ids) void watcher.arm(id, 60_000).changed.then(() => woken.add(id));
    probeCalls.length = 0;

    await watcher.sweep();
    expect(probeCalls).toEqual([300]);
    expect(woken.size).toBe(0);

    // A change whose notification was lost: only the sweep can see it.
    await redis.set(versionKey('job_7'), '2');
    await watcher.sweep();
    await expect.poll(() => [...woken]).toEqual(['job_7']);
    expect(probeCalls).toEqual([300, 300]);
    expect(watcher.waiting).toBe(299);
  });

  it('wakes every waiter once when the subscriber connection comes back', async () => {
    const armed = ['job_a', 'job_b'].map((id) => watcher.arm(id, 60_000).changed);
    subscriber.disconnect(true);
    await Promise.all(armed);
  });
});
