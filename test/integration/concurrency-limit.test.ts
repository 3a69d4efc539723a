import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { ConcurrencyLimits, type ConcurrencyReport } from '../../src/core/concurrency-limit.js';
import { createKeys } from '../../src/core/keys.js';
import { deleteMatching } from '../support/redis-keys.js';
import { uniquePrefix } from '../support/test-stack.js';

const T0 = 1_700_000_000_000;
const BOUNDS = { min: 1, max: 100, latencyTolerance: 1.5 };

/**
 * The shared limit's arithmetic (concurrency.lua) on a real Redis, with the clock passed in:
 * slow start, the first cut halving, later cuts a tenth and at most one per 100 ms, the
 * reference latency, growth only while the limit is used, the split over executors by rank,
 * and an executor that stops reporting dropping out.
 */
describe('ConcurrencyLimits', () => {
  const redis = new Redis(inject('redisUrl'));
  const keys = createKeys(uniquePrefix());
  const limits = new ConcurrencyLimits(redis, keys);
  let n = 0;
  const fresh = () => `t${++n}`;
  afterAll(async () => {
    await deleteMatching(redis, `${keys.prefix}:*`);
    redis.disconnect();
  });
  const report = (target: string, at: number, r: Partial<ConcurrencyReport>) =>
    limits.report(target, BOUNDS, { executorId: 'a', inFlight: 0, answers: 0, fastestLatencyMs: 0, overloads: 0, ...r }, at);

  it('starts at min, doubles per round of answers while in use, and halves on its first sign of overload', async () => {
    const t = fresh();
    expect(await limits.read(t, BOUNDS, T0)).toEqual({ limit: 1, referenceLatencyMs: null, executors: 0, inFlight: 0 });
    expect((await report(t, T0, { inFlight: 1, answers: 1, fastestLatencyMs: 50 })).limit).toBe(2);
    expect((await report(t, T0 + 50, { inFlight: 2, answers: 2, fastestLatencyMs: 50 })).limit).toBe(4);
    expect((await report(t, T0 + 100, { inFlight: 4, answers: 4, fastestLatencyMs: 50 })).limit).toBe(8);
    // Unused (in flight under half of it): no growth however many answers.
    expect((await report(t, T0 + 150, { inFlight: 3, answers: 10, fastestLatencyMs: 50 })).limit).toBe(8);
    const cut = await report(t, T0 + 200, { inFlight: 8, answers: 3, fastestLatencyMs: 50, overloads: 1 });
    expect([cut.limit, cut.cutAtMs, cut.referenceLatencyMs]).toEqual([4, T0 + 200, 50]);
  });

  it('cuts by a tenth after that, once per 100 ms, on 429s or on a fastest answer over tolerance × the reference', async () => {
    const t = fresh();
    await report(t, T0, { inFlight: 1, answers: 1, fastestLatencyMs: 40 });
    for (let i = 1; i <= 4; i++) await report(t, T0 + i, { inFlight: 2 ** i, answers: 2 ** i, fastestLatencyMs: 40 });
    expect((await limits.read(t, BOUNDS, T0 + 4)).limit).toBe(32);
    expect((await report(t, T0 + 10, { inFlight: 32, overloads: 2 })).limit).toBe(16); // the first cut halves
    expect((await report(t, T0 + 50, { inFlight: 16, overloads: 5 })).limit).toBe(16); // within 100 ms: the same cause
    // A fastest answer of 61 ms against a reference of 40 ms is over 1.5×: slow, cut by a tenth.
    expect((await report(t, T0 + 200, { inFlight: 16, answers: 4, fastestLatencyMs: 61 })).limit).toBeCloseTo(14.4, 3);
    // 59 ms is within tolerance: healthy, grown by answers / limit².
    const grown = await report(t, T0 + 400, { inFlight: 14, answers: 4, fastestLatencyMs: 59 });
    // One per limit² answers (14.4 is not within one of the 16 it was last cut from: the full step).
    expect(grown.limit).toBeCloseTo(14.4 + 4 / 14.4 ** 2, 3);
    expect(grown.referenceLatencyMs).toBeCloseTo(40 + (59 - 40) * 0.02, 2);
  });

  it('grows four times slower within one of the level it was last cut from', async () => {
    const t = fresh();
    await report(t, T0, { inFlight: 1, answers: 9, fastestLatencyMs: 50 }); // 10
    await report(t, T0 + 10, { inFlight: 10, overloads: 1 }); // halved: 5, cut from 10
    await report(t, T0 + 200, { inFlight: 5, overloads: 1 }); // 4.5, cut from 5
    const near = await report(t, T0 + 400, { inFlight: 4, answers: 10, fastestLatencyMs: 50 });
    expect(near.limit).toBeCloseTo(4.5 + 10 / 4.5 ** 2 / 4, 3);
  });

  it('never leaves [min, max]', async () => {
    const t = fresh();
    const bounds = { min: 3, max: 5, latencyTolerance: 1.5 };
    let r = await limits.report(t, bounds, { executorId: 'a', inFlight: 3, answers: 50, fastestLatencyMs: 10, overloads: 0 }, T0);
    expect(r.limit).toBe(5);
    for (let i = 1; i <= 5; i++) r = await limits.report(t, bounds, { executorId: 'a', inFlight: 5, answers: 0, fastestLatencyMs: 0, overloads: 9 }, T0 + i * 200);
    expect(r.limit).toBe(3);
  });

  it('splits the limit over the executors by rank, at least one each, and drops one that stops reporting', async () => {
    const t = fresh();
    // Grow it to 7 with executor a alone.
    await report(t, T0, { inFlight: 1, answers: 6, fastestLatencyMs: 50 });
    const b = await limits.report(t, BOUNDS, { executorId: 'b', inFlight: 0, answers: 0, fastestLatencyMs: 0, overloads: 0 }, T0 + 10);
    const c = await limits.report(t, BOUNDS, { executorId: 'c', inFlight: 0, answers: 0, fastestLatencyMs: 0, overloads: 0 }, T0 + 20);
    const a = await report(t, T0 + 30, { inFlight: 1 });
    expect([a.limit, a.executors]).toEqual([7, 3]);
    // 7 over a, b, c: 3, 2, 2 by the rank of their ids.
    expect([a.share, (await limits.report(t, BOUNDS, { executorId: 'b', inFlight: 0, answers: 0, fastestLatencyMs: 0, overloads: 0 }, T0 + 31)).share, (await limits.report(t, BOUNDS, { executorId: 'c', inFlight: 0, answers: 0, fastestLatencyMs: 0, overloads: 0 }, T0 + 32)).share]).toEqual([3, 2, 2]);
    expect([b.executors, c.executors]).toEqual([2, 3]);
    // c and b fall silent for over 5 s: a has the whole limit again, and their in-flight counts are gone.
    const alone = await report(t, T0 + 6_000, { inFlight: 2 });
    expect([alone.executors, alone.share, alone.inFlight]).toEqual([1, 7, 2]);
    // A limit below the number of executors still gives each one place.
    const tiny = fresh();
    const x = await limits.report(tiny, BOUNDS, { executorId: 'x', inFlight: 0, answers: 0, fastestLatencyMs: 0, overloads: 0 }, T0);
    const y = await limits.report(tiny, BOUNDS, { executorId: 'y', inFlight: 0, answers: 0, fastestLatencyMs: 0, overloads: 0 }, T0);
    expect([x.limit, x.share, y.share]).toEqual([1, 1, 1]);
  });
});
