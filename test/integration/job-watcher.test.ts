import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { JobWatcher } from '../../src/core/job-watcher.js';
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
  const watcher = new JobWatcher(subscriber, channel, 3_600_000);
  beforeAll(() => watcher.start());
  afterAll(() => {
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
