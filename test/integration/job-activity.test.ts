import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createKeys } from '../../src/core/keys.js';
import { JobActivity } from '../../src/observability/job-activity.js';
import { deleteMatching } from '../support/redis-keys.js';
import { uniquePrefix } from '../support/test-stack.js';

/** The dashboard's activity series and recent-jobs lists, written in batches. */
describe('JobActivity', () => {
  const redis = new Redis(inject('redisUrl'));
  const keys = createKeys(uniquePrefix());
  afterAll(async () => {
    await deleteMatching(redis, `${keys.prefix}:*`);
    redis.disconnect();
  });

  it('counts outcomes in memory and writes them, and the newest ids first, in one flush', async () => {
    // A flush interval no test waits for: only flush() and close() write.
    const activity = new JobActivity(redis, keys, 3_600_000);
    const minute = Date.UTC(2026, 10, 30, 12, 0);
    activity.recordFinished('echo', 'job_a', 'succeeded', minute + 1_000);
    activity.recordFinished('echo', 'job_b', 'failed', minute + 2_000);
    activity.recordFinished('echo', 'job_c', 'succeeded', minute + 3_000);
    activity.recordFinished('echo', 'job_d', 'succeeded', minute + 61_000);
    expect(await activity.recentIds('echo', 10)).toEqual([]);

    await activity.flush();
    expect(await activity.recentIds('echo', 10)).toEqual(['job_d', 'job_c', 'job_b', 'job_a']);
    const series = await activity.series(['echo'], 2, minute + 61_000);
    expect(series.echo).toEqual([
      { t: minute, counts: { succeeded: 2, failed: 1 } },
      { t: minute + 60_000, counts: { succeeded: 1 } },
    ]);
    expect(await redis.pttl(keys.statsMinute(minute))).toBeGreaterThan(0);

    // Later batches add to the counts and go in front of the list; close() writes what is left.
    activity.recordFinished('echo', 'job_e', 'succeeded', minute + 4_000);
    await activity.close();
    expect(await activity.recentIds('echo', 2)).toEqual(['job_e', 'job_d']);
    expect((await activity.series(['echo'], 2, minute + 61_000)).echo?.[0]?.counts).toEqual({ succeeded: 3, failed: 1 });
  });

  it('writes on its own after the flush interval', async () => {
    const activity = new JobActivity(redis, keys, 20);
    activity.recordFinished('timed', 'job_x', 'succeeded', Date.now());
    await expect.poll(() => activity.recentIds('timed', 5)).toEqual(['job_x']);
  });
});
