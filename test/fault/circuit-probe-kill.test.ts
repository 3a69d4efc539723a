import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, type World } from '../support/e2e-world.js';
import { killAll, logEvent, removeTempDirs } from '../support/processes.js';
import { eventually } from '../support/test-stack.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

const TIMEOUT_MS = 3_000;
const LOCK_MS = 1_000;
const STALLED_MS = 500;
/** A probe's lease: the longest attempt, plus the time a dead executor's job takes to be noticed. */
const LEASE_MS = TIMEOUT_MS + LOCK_MS + STALLED_MS;

/**
 * An executor SIGKILLed while it holds the breaker's only half-open probe: the breaker must
 * not stay half-open for ever with a probe nobody will answer. The probe's lease runs out,
 * another executor's attempt becomes the probe, closes the breaker, and every accepted job
 * (the killed probe's own too) still ends succeeded.
 */
describe('an executor killed mid-probe', () => {
  let world: World;
  let upstream: Upstream;
  let phase: 'down' | 'hang' | 'up' = 'down';

  beforeAll(async () => {
    upstream = await startUpstream();
    upstream.respondWith(() => {
      if (phase === 'down') return { status: 503, body: 'down' };
      // The probe of the doomed executor: no answer before it dies.
      if (phase === 'hang') return { status: 200, delayMs: 60_000 };
      return { status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' };
    });
    world = await startWorld({
      targets: {
        api: {
          kind: 'http',
          url: `${upstream.url}/api`,
          attempts: 10,
          concurrency: 1,
          timeoutMs: TIMEOUT_MS,
          lockDurationMs: LOCK_MS,
          stalledIntervalMs: STALLED_MS,
          circuitBreaker: { minAttempts: 2, failureRatio: 0.5, openMs: 500, maxOpenMs: 500, probes: 1 },
        },
      },
    });
  }, 60_000);
  afterAll(async () => {
    await killAll();
    await world?.close();
    await upstream?.close();
    removeTempDirs();
  });

  it('frees the dead probe once its lease runs out; the next probe closes the breaker and no job is lost', async () => {
    const a = await world.spawnExecutor();
    const jobs = await Promise.all(Array.from({ length: 5 }, (_, i) => world.submit({ target: 'api', input: { n: i } })));
    await a.waitForLog(logEvent('circuit.opened', { target: 'api' }), 30_000);
    phase = 'hang';
    const halfOpen = await a.waitForLog(logEvent('circuit.half_open', { target: 'api' }), 30_000);
    // A's probe reaches the upstream and hangs there; A dies holding it.
    await eventually(() => upstream.requests.some((r) => r.atMs >= Date.parse(halfOpen.time as string)), 10_000, 10);
    a.signal('SIGKILL');
    await a.waitForExit();
    phase = 'up';
    expect((await world.stack.request.get('/v1/admin/targets/api')).body.circuit).toMatchObject({ state: 'half_open' });

    const b = await world.spawnExecutor();
    const closed = await b.waitForLog(logEvent('circuit.closed', { target: 'api' }), 60_000);
    // Not before the dead probe's lease ran out: until then B's attempts waited.
    expect(Date.parse(closed.time as string) - Date.parse(halfOpen.time as string)).toBeGreaterThanOrEqual(LEASE_MS - 100);

    for (const j of jobs) expect(await world.untilStatus(j.id, 'succeeded', 60_000)).toMatchObject({ deadLettered: false });
    // The killed probe's job: its lost attempt is on record, and a later one succeeded.
    const lost = (await Promise.all(jobs.map((j) => world.attempts(j.id)))).flat().filter((x) => x.outcome === 'lost');
    expect(lost.map((x) => x.error?.code)).toEqual(['worker_lost']);
    expect((await world.stack.request.get('/v1/admin/targets/api')).body.circuit).toMatchObject({ state: 'closed' });
    expect(await world.queueCounts('api')).toMatchObject({ waiting: 0, delayed: 0, active: 0 });
  }, 120_000);
});
