import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { newJobId } from '../../src/core/ids.js';
import type { JobRecord } from '../../src/core/job-record.js';
import { JobStore } from '../../src/core/job-store.js';
import { createKeys } from '../../src/core/keys.js';
import { deleteMatching } from '../support/redis-keys.js';
import { uniquePrefix } from '../support/test-stack.js';
import { queuedRecord } from '../support/job-record.js';

const NOW = 1_700_000_000_000;

const queued = (over: Partial<JobRecord> = {}) => queuedRecord(NOW, { runAtMs: NOW - 500, payload: { kind: 'input', input: { n: 1 } }, ...over });

/**
 * The executor's one-round-trip start (start-attempt.lua) must leave exactly what the
 * guarded transition of the decision path leaves, and must refuse every case that needs a
 * decision, changing nothing.
 */
describe('JobStore.startIfQueued', () => {
  const redis = new Redis(inject('redisUrl'));
  const keys = createKeys(uniquePrefix());
  const store = new JobStore(redis, keys);
  afterAll(async () => {
    await deleteMatching(redis, `${keys.prefix}:*`);
    redis.disconnect();
  });

  const put = async (r: JobRecord) => {
    await store.create(r);
    return r;
  };
  const stored = async (id: string) => ({ hash: await redis.hgetall(keys.job(id)), events: await redis.lrange(keys.jobEvents(id), 0, -1) });

  it('starts a plainly queued job as the decision path does, and hands back the record as it was', async () => {
    for (const over of [{}, { attempts: 1, startedAtMs: NOW - 800, runAtMs: NOW - 10 }]) {
      const fast = await put(queued(over));
      const slow = await put(queued({ ...over, id: newJobId('echo') }));
      const before = await store.startIfQueued(fast.id, 'echo', NOW);
      expect(before).toEqual(fast);
      // The decision path's transition, as process-job.ts makes it.
      const attempt = slow.attempts + 1;
      await store.transition(slow.id, {
        from: ['queued', 'running'],
        set: { status: 'running', attempts: attempt, ...(slow.startedAtMs === null && { startedAtMs: NOW }), runAtMs: null },
        event: { type: 'status', status: 'running', attempt, at: NOW },
      });
      const a = await stored(fast.id);
      const b = await stored(slow.id);
      expect(a.hash).toEqual(b.hash);
      expect(a.events).toEqual(b.events);
      expect(a.hash).toMatchObject({ status: 'running', attempts: String(attempt) });
      // An emptied field is deleted, not kept as "".
      expect(a.hash).not.toHaveProperty('runAt');
    }
  });

  it('changes nothing and answers null when the job needs a decision', async () => {
    const cases = [
      queued({ status: 'running', attempts: 1 }),
      queued({ cancelRequested: true }),
      queued({ expiresAtMs: NOW - 1 }),
      queued({ status: 'canceled', finishedAtMs: NOW - 5 }),
    ];
    for (const r of cases) {
      await put(r);
      const before = await stored(r.id);
      expect(await store.startIfQueued(r.id, 'echo', NOW), JSON.stringify(r)).toBeNull();
      expect(await stored(r.id)).toEqual(before);
    }
    expect(await store.startIfQueued(newJobId('echo'), 'echo', NOW)).toBeNull();
    // A retry past the first attempt is not an expiry: only a first attempt expires.
    const retried = await put(queued({ attempts: 1, expiresAtMs: NOW - 1 }));
    expect(await store.startIfQueued(retried.id, 'echo', NOW)).not.toBeNull();
  });
});
