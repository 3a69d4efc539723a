import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, type JobDoc, type World } from '../support/e2e-world.js';
import { killAll, logEvent, removeTempDirs, type ChildEntry, type LogLine } from '../support/processes.js';
import { eventually } from '../support/test-stack.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

const OUTAGE_MS = 6_000;
const JOBS = 100;
const BREAKER = { failureRatio: 0.5, minAttempts: 10, windowMs: 30_000, openMs: 8_000, probes: 1 };
const CONCURRENCY = 2;
const EXECUTORS = 2;

/**
 * The circuit breaker's promise, on real processes: an upstream that answers 500 to
 * everything for a while, then heals. Two executor processes share one breaker: the
 * upstream sees a handful of requests during the outage instead of every job's every
 * attempt, no attempt is spent while the breaker is open, and every job succeeds once the
 * upstream is back. The same jobs against the same outage without a breaker all end in the
 * dead-letter list.
 */
describe('a circuit breaker shared by two executors, through an upstream outage', () => {
  let world: World;
  let upstream: Upstream;
  let healAt = 0;
  const executors: ChildEntry[] = [];

  beforeAll(async () => {
    upstream = await startUpstream();
    upstream.respondWith((req) => (req.atMs < healAt ? { status: 500, body: 'down' } : { status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' }));
    const policy = { attempts: 3, timeoutMs: 2_000, concurrency: CONCURRENCY, backoff: { initialDelayMs: 100, multiplier: 2, maxDelayMs: 400, jitter: 0 } };
    world = await startWorld({
      targets: {
        guarded: { kind: 'http', url: `${upstream.url}/guarded`, ...policy, circuitBreaker: BREAKER },
        unguarded: { kind: 'http', url: `${upstream.url}/unguarded`, ...policy },
      },
    });
    for (let i = 0; i < EXECUTORS; i++) executors.push(await world.spawnExecutor());
  }, 120_000);
  afterAll(async () => {
    await killAll();
    await world?.close();
    await upstream?.close();
    removeTempDirs();
  });

  const requestsTo = (path: string, before = Infinity) => upstream.requests.filter((r) => r.url === path && r.atMs < before);
  const logsOf = (event: string): LogLine[] => executors.flatMap((e) => e.logs(logEvent(event, { target: 'guarded' })));
  const whenLogged = async (event: string) => {
    await eventually(() => logsOf(event).length > 0, 30_000, 20);
    return logsOf(event);
  };

  it('defers the jobs instead of burning their attempts, and runs them all once the upstream heals', async () => {
    healAt = Date.now() + OUTAGE_MS;
    const submit = (target: string) => Promise.all(Array.from({ length: JOBS }, (_, i) => world.submit({ target, input: { n: i } })));
    const [guarded, unguarded] = await Promise.all([submit('guarded'), submit('unguarded')]);
    expect(Date.now()).toBeLessThan(healAt);

    // Opened once, by one executor: the other one read the same breaker.
    const opened = await whenLogged('circuit.opened');
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({ attempts: expect.any(Number), failureRatio: expect.any(Number) });
    expect(opened[0]!.failureRatio as number).toBeGreaterThanOrEqual(BREAKER.failureRatio);

    // While open: queued documents say why and until when; the operator's view says open.
    const waiting = await eventually(async () => {
      for (const j of guarded) {
        const doc = (await world.job(j.id)) as JobDoc & { deferred?: { reason: string; until: string | null } };
        if (doc.status === 'queued' && doc.deferred) return doc;
      }
      return null;
    }, 5_000, 50);
    expect(waiting.deferred).toEqual({ reason: 'circuit_open', until: expect.any(String) });
    const view = await world.stack.request.get('/v1/admin/targets/guarded');
    expect(view.body.circuit).toMatchObject({ state: 'open', forced: false });
    expect(Date.now()).toBeLessThan(healAt);

    // Without a breaker: every job spent its three attempts on the outage and is a dead letter.
    for (const j of unguarded) expect(await world.untilStatus(j.id, 'failed', 30_000)).toMatchObject({ attempts: 3, deadLettered: true });
    expect(requestsTo('/unguarded')).toHaveLength(JOBS * 3);

    // With it: every job succeeds after the outage.
    for (const j of guarded) expect(await world.untilStatus(j.id, 'succeeded', 30_000)).toMatchObject({ deadLettered: false });
    const halfOpen = await whenLogged('circuit.half_open');
    const closed = await whenLogged('circuit.closed');
    expect([halfOpen.length, closed.length]).toEqual([1, 1]);

    // During the outage the upstream saw minAttempts requests, plus those already in flight on
    // the other executor slots when it opened (at most CONCURRENCY * EXECUTORS - 1), plus probes.
    const duringOutage = requestsTo('/guarded', healAt).length;
    expect(duringOutage).toBeGreaterThanOrEqual(BREAKER.minAttempts);
    expect(duringOutage).toBeLessThanOrEqual(BREAKER.minAttempts + CONCURRENCY * EXECUTORS - 1 + BREAKER.probes);

    // No attempt was spent while open: each upstream request is one attempt, and none of the
    // attempts started between the opening and the half-open probe.
    const attempts = (await Promise.all(guarded.map((j) => world.attempts(j.id)))).flat();
    expect(attempts).toHaveLength(requestsTo('/guarded').length);
    const openedAt = Date.parse(opened[0]!.time as string);
    const probedAt = Date.parse(halfOpen[0]!.time as string);
    expect(probedAt - openedAt).toBeGreaterThanOrEqual(BREAKER.openMs - 50);
    const startedWhileOpen = attempts.filter((a) => {
      const at = Date.parse(a.startedAt!);
      // (An attempt admitted an instant before the opening may start just after its log line.)
      return at > openedAt + 100 && at < probedAt - 5;
    });
    expect(startedWhileOpen).toEqual([]);
    expect(attempts.filter((a) => a.outcome === 'failed').length).toBe(duringOutage);
    expect(executors.flatMap((e) => e.logs(logEvent('job.dead_lettered', { target: 'guarded' })))).toEqual([]);

    // Closed again, and nothing left deferred.
    const after = await world.stack.request.get('/v1/admin/targets/guarded');
    expect(after.body.circuit).toMatchObject({ state: 'closed' });
    expect(await world.job(guarded[0]!.id)).not.toHaveProperty('deferred');
  }, 120_000);

  it('an operator holds it open (jobs wait, the upstream sees nothing) and closing it runs them at once', async () => {
    const forced = await world.stack.request.post('/v1/admin/targets/guarded/circuit').send({ state: 'open' });
    expect(forced.status).toBe(200);
    expect(forced.body.circuit).toMatchObject({ state: 'open', forced: true, until: null });
    const seen = requestsTo('/guarded').length;
    const jobs = await Promise.all(Array.from({ length: 10 }, (_, i) => world.submit({ target: 'guarded', input: { n: i } })));

    // The executors took jobs, found the breaker open and put them back, holding the queue.
    const ids = new Set(jobs.map((j) => j.id));
    const deferral = await eventually(() => executors.flatMap((e) => e.logs((l) => l.event === 'circuit.deferred' && ids.has(l.jobId ?? '')))[0], 10_000, 20);
    for (const j of jobs) expect(await world.job(j.id)).toMatchObject({ status: 'queued', attempts: 0 });
    // Documents read the breaker at most once a second per gateway: `deferred` shows within that.
    for (const j of jobs) {
      const doc = await eventually(async () => {
        const d = (await world.job(j.id)) as JobDoc & { deferred?: unknown };
        return d.deferred ? d : null;
      }, 5_000, 50);
      expect(doc).toMatchObject({ status: 'queued', attempts: 0, deferred: { reason: 'circuit_open', until: null } });
    }
    expect(requestsTo('/guarded')).toHaveLength(seen);

    const closed = await world.stack.request.post('/v1/admin/targets/guarded/circuit').send({ state: 'closed' });
    expect(closed.body.circuit).toMatchObject({ state: 'closed', forced: false });
    const done = await Promise.all(jobs.map((j) => world.untilStatus(j.id, 'succeeded', 30_000)));
    expect(done.map((j) => j.attempts)).toEqual(jobs.map(() => 1));
    // A held-open breaker is looked at again every second: that is how the close was seen.
    expect(deferral.waitMs).toBe(1_000);
  }, 60_000);

  it('refuses an override of a target without a breaker, and a state it does not know', async () => {
    const none = await world.stack.request.post('/v1/admin/targets/unguarded/circuit').send({ state: 'open' });
    expect([none.status, none.body.code]).toEqual([409, 'no_circuit_breaker']);
    const bad = await world.stack.request.post('/v1/admin/targets/guarded/circuit').send({ state: 'half_open' });
    expect([bad.status, bad.body.code, bad.body.errors?.[0]?.path]).toEqual([422, 'validation_failed', '/state']);
    expect((await world.stack.request.get('/v1/admin/targets/guarded')).body.circuit.state).toBe('closed');
  });
});
