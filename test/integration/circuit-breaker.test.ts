import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { CircuitBreakers, type BreakerTarget } from '../../src/core/circuit-breaker.js';
import { createKeys } from '../../src/core/keys.js';
import { deleteMatching } from '../support/redis-keys.js';
import { testConfig, uniquePrefix } from '../support/test-stack.js';

const T0 = 1_700_000_000_000;

/**
 * The breaker's state machine (circuit.lua) on a real Redis, with the clock passed in:
 * when it opens and when it must not, what it lets through while open and half-open, how a
 * probe closes it or opens it for longer, how a dead probe frees its place, and the
 * operator's override.
 */
describe('CircuitBreakers', () => {
  const redis = new Redis(inject('redisUrl'));
  const keys = createKeys(uniquePrefix());
  const breakers = new CircuitBreakers(redis, keys);
  let n = 0;
  /** A fresh target (so a fresh breaker) for each test. */
  const target = (breaker: Record<string, unknown> = {}, policy: Record<string, unknown> = {}): BreakerTarget => {
    const name = `t${++n}`;
    const config = testConfig({ targets: { [name]: { kind: 'handler', handler: 'echo', timeoutMs: 1_000, lockDurationMs: 1_000, stalledIntervalMs: 500, circuitBreaker: { minAttempts: 4, failureRatio: 0.5, windowMs: 10_000, openMs: 1_000, maxOpenMs: 3_000, ...breaker }, ...policy } } });
    return config.targets.get(name) as BreakerTarget;
  };
  afterAll(async () => {
    await deleteMatching(redis, `${keys.prefix}:*`);
    redis.disconnect();
  });

  const run = async (t: BreakerTarget, outcomes: ('ok' | 'fail' | 'neutral')[], at = T0) => {
    const results = [];
    for (const o of outcomes) results.push(await breakers.record(t, o, null, at));
    return results;
  };

  it('opens only once the window holds minAttempts counted attempts and the failure share reaches the ratio', async () => {
    const t = target();
    // Three failures: 100 % failed, but fewer than minAttempts (4) counted.
    const early = await run(t, ['fail', 'fail', 'fail']);
    expect(early.map((r) => r.transition)).toEqual([null, null, null]);
    expect((await breakers.admit(t, 'a', T0)).verdict).toEqual({ kind: 'run' });
    const [fourth] = await run(t, ['fail']);
    expect(fourth).toEqual({ transition: 'opened', failures: 4, counted: 4, openUntilMs: T0 + 1_000 });
    const view = await breakers.read(t, T0);
    expect(view).toMatchObject({ state: 'open', forced: false, until: new Date(T0 + 1_000).toISOString(), since: new Date(T0).toISOString(), failureRatio: 1 });
  });

  it('does not open while the failures stay below the ratio, and permanent failures do not count', async () => {
    const t = target();
    // 2 failures of 5 counted = 40 % < 50 %; the neutral ones (permanent failures) are not counted at all.
    const results = await run(t, ['ok', 'fail', 'neutral', 'ok', 'neutral', 'neutral', 'ok', 'fail']);
    expect(results.every((r) => r.transition === null)).toBe(true);
    expect(await breakers.read(t, T0)).toMatchObject({ state: 'closed', attempts: 5, failureRatio: 0.4 });
    // One more failure: 3 of 6 = 50 %, the share the operator's view shows while it is open.
    expect((await run(t, ['fail']))[0]!.transition).toBe('opened');
    expect(await breakers.read(t, T0)).toMatchObject({ state: 'open', failureRatio: 0.5 });
  });

  it('forgets attempts older than its window', async () => {
    const t = target();
    await run(t, ['fail', 'fail', 'fail'], T0);
    // 11 s later the three failures are out of the 10 s window: one more failure is 1 of 1.
    const [late] = await run(t, ['fail'], T0 + 11_000);
    expect(late).toMatchObject({ transition: null, failures: 1, counted: 1 });
    expect(await breakers.read(t, T0 + 11_000)).toMatchObject({ state: 'closed', attempts: 1 });
  });

  it('makes every attempt wait while open, then lets exactly `probes` through at once', async () => {
    const t = target({ probes: 2 });
    await run(t, ['fail', 'fail', 'fail', 'fail']);
    expect(await breakers.admit(t, 'w', T0 + 400)).toEqual({ verdict: { kind: 'wait', waitMs: 600 }, transition: null });
    const first = await breakers.admit(t, 'p1', T0 + 1_000);
    expect(first).toEqual({ verdict: { kind: 'probe', token: 'p1' }, transition: 'half_open' });
    expect((await breakers.admit(t, 'p2', T0 + 1_001)).verdict).toEqual({ kind: 'probe', token: 'p2' });
    const third = await breakers.admit(t, 'p3', T0 + 1_002);
    expect(third.verdict.kind).toBe('wait');
    expect(await breakers.read(t, T0 + 1_002)).toMatchObject({ state: 'half_open', until: null });
  });

  it('closes on a successful probe, with a fresh window', async () => {
    const t = target();
    await run(t, ['fail', 'fail', 'fail', 'fail']);
    await breakers.admit(t, 'p', T0 + 1_000);
    expect(await breakers.record(t, 'ok', 'p', T0 + 1_050)).toMatchObject({ transition: 'closed' });
    expect(await breakers.read(t, T0 + 1_050)).toMatchObject({ state: 'closed', attempts: 0, failureRatio: 0 });
    expect((await breakers.admit(t, 'x', T0 + 1_060)).verdict).toEqual({ kind: 'run' });
    // Fresh: the four failures before it opened are gone, and it takes four new ones to open again.
    expect((await run(t, ['fail', 'fail', 'fail'], T0 + 1_100)).every((r) => r.transition === null)).toBe(true);
  });

  it('opens again on a failed probe, for twice as long each time, up to maxOpenMs', async () => {
    const t = target();
    await run(t, ['fail', 'fail', 'fail', 'fail']);
    let now = T0;
    const lengths: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { until } = await breakers.read(t, now);
      now = Date.parse(until!);
      expect((await breakers.admit(t, `p${i}`, now)).verdict.kind).toBe('probe');
      const r = await breakers.record(t, 'fail', `p${i}`, now);
      expect(r.transition).toBe('opened');
      lengths.push(r.openUntilMs! - now);
    }
    expect(lengths).toEqual([2_000, 3_000, 3_000]);
  });

  it('ignores the outcomes of attempts that were still running when it opened', async () => {
    const t = target();
    await run(t, ['fail', 'fail', 'fail', 'fail']);
    const straggler = await breakers.record(t, 'ok', null, T0 + 10);
    expect(straggler.transition).toBeNull();
    expect((await breakers.read(t, T0 + 10)).state).toBe('open');
  });

  it('frees the place of a probe whose executor died, once its lease has run out', async () => {
    const t = target({ probes: 1 });
    await run(t, ['fail', 'fail', 'fail', 'fail']);
    expect((await breakers.admit(t, 'dead', T0 + 1_000)).verdict.kind).toBe('probe');
    // The lease is timeoutMs + lockDurationMs + stalledIntervalMs = 2.5 s.
    expect((await breakers.admit(t, 'next', T0 + 3_400)).verdict.kind).toBe('wait');
    expect((await breakers.admit(t, 'next', T0 + 3_500)).verdict).toEqual({ kind: 'probe', token: 'next' });
    // The dead probe's late answer (its executor came back) decides nothing.
    expect((await breakers.record(t, 'ok', 'dead', T0 + 3_600)).transition).toBeNull();
    expect((await breakers.read(t, T0 + 3_600)).state).toBe('half_open');
  });

  it('a probe that did not run (released as neutral) frees its place without deciding', async () => {
    const t = target({ probes: 1 });
    await run(t, ['fail', 'fail', 'fail', 'fail']);
    await breakers.admit(t, 'p', T0 + 1_000);
    expect((await breakers.record(t, 'neutral', 'p', T0 + 1_001)).transition).toBeNull();
    expect((await breakers.admit(t, 'q', T0 + 1_002)).verdict.kind).toBe('probe');
  });

  it('an operator holds it open (no probes, ever) until closing it', async () => {
    const t = target();
    expect(await breakers.force(t.name, 'open', T0)).toBe('closed');
    expect(await breakers.read(t, T0)).toMatchObject({ state: 'open', forced: true, until: null, failureRatio: 0 });
    // Long past openMs: still no probe.
    expect((await breakers.admit(t, 'p', T0 + 3_600_000)).verdict).toEqual({ kind: 'wait', waitMs: 1_000 });
    expect(await breakers.force(t.name, 'closed', T0 + 3_600_001)).toBe('open');
    expect(await breakers.read(t, T0 + 3_600_001)).toMatchObject({ state: 'closed', forced: false });
    expect((await breakers.admit(t, 'p', T0 + 3_600_002)).verdict).toEqual({ kind: 'run' });
  });
});
