import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_ENTRY, startWorld, type World } from '../support/e2e-world.js';
import { freePort } from '../support/free-port.js';
import { connectionRefused, httpCall, killAll, logEvent, removeTempDirs, spawnEntry, type ChildEntry, type LogLine } from '../support/processes.js';

/** Guarantee: SIGTERM drains. The gateway stops accepting; executors finish or hand back their jobs. */
describe('SIGTERM drains', () => {
  let world: World;
  const indexOf = (p: ChildEntry, pred: (l: LogLine) => boolean) => p.lines.findIndex(pred);

  beforeAll(async () => {
    world = await startWorld({
      targets: {
        echo: { kind: 'handler', handler: 'echo', attempts: 3 },
        // The hand-back is checked in BullMQ's own state, so its lock must not lapse by itself
        // when a loaded machine starves the process (the 1 s e2e lock could).
        slow: { kind: 'handler', handler: 'echo', attempts: 3, lockDurationMs: 5_000, stalledIntervalMs: 1_000 },
      },
    });
  });
  afterEach(killAll);
  afterAll(async () => {
    await world?.close();
    removeTempDirs();
  });

  it('executor: a running job that fits in SHUTDOWN_TIMEOUT_MS finishes, the process exits 0, a second SIGTERM changes nothing', async () => {
    const ex = await world.spawnExecutor({ SHUTDOWN_TIMEOUT_MS: '10000' });
    const job = await world.submit({ target: 'echo', input: { delayMs: 3_000 } });
    await ex.waitForLog(logEvent('job.started', { jobId: job.id, attempt: 1 }));

    ex.signal('SIGTERM');
    await ex.waitForLog('shutdown.started');
    // Work offered while draining must not be stranded, whether or not the draining executor took it.
    const late = await world.submit({ target: 'echo', input: { late: true } });
    ex.signal('SIGTERM');
    await ex.waitForLog((l) => l.msg === 'shutdown already in progress');

    expect(await ex.waitForExit()).toEqual({ code: 0, signal: null });
    expect(ex.logs('shutdown.started')).toHaveLength(1);
    expect(ex.logs('executor.stopped')).toHaveLength(1);
    expect(ex.logs('shutdown.complete')).toHaveLength(1);
    expect(ex.logs('executor.drain_timeout')).toEqual([]);
    expect(ex.logs('job.handed_back')).toEqual([]);
    // The drain began while the job ran, and the job finished inside it.
    const succeededAt = indexOf(ex, logEvent('job.succeeded', { jobId: job.id }));
    expect(succeededAt).toBeGreaterThan(indexOf(ex, logEvent('shutdown.started')));
    expect(await world.job(job.id)).toMatchObject({ status: 'succeeded', attempts: 1, result: { echo: { delayMs: 3_000 } } });
    expect((await world.attempts(job.id)).map((a) => [a.attempt, a.outcome])).toEqual([[1, 'succeeded']]);

    const lateDoc = await world.job(late.id);
    expect(['queued', 'succeeded']).toContain(lateDoc.status);
    if (lateDoc.status === 'queued') {
      expect(lateDoc.attempts).toBe(0);
      await world.spawnExecutor();
      await world.untilStatus(late.id, 'succeeded');
    }
    expect((await world.attempts(late.id)).map((a) => a.outcome)).toEqual(['succeeded']);
  }, 120_000);

  it('executor: a job longer than SHUTDOWN_TIMEOUT_MS is handed back (queued again, no attempt spent) and another executor finishes it', async () => {
    const a = await world.spawnExecutor({ SHUTDOWN_TIMEOUT_MS: '500' });
    // Ten times the drain timeout.
    const job = await world.submit({ target: 'slow', input: { delayMs: 5_000 } });
    await a.waitForLog(logEvent('job.started', { jobId: job.id, attempt: 1 }));

    a.signal('SIGTERM');
    expect(await a.waitForExit()).toEqual({ code: 0, signal: null });
    expect(a.logs('executor.drain_timeout')).toHaveLength(1);
    expect(a.logs(logEvent('job.handed_back', { jobId: job.id }))).toHaveLength(1);
    expect(a.logs(logEvent('job.succeeded', { jobId: job.id }))).toEqual([]);

    // Back in the queue at once, not left active until its lock expires.
    expect(await world.job(job.id)).toMatchObject({ status: 'queued', attempts: 0 });
    const counts = await world.queueCounts('slow');
    expect(counts.active).toBe(0);
    expect(counts.waiting + counts.delayed).toBe(1);
    expect((await world.attempts(job.id)).map((x) => [x.attempt, x.outcome, x.error?.code])).toEqual([[1, 'lost', 'worker_shutdown']]);

    const b = await world.spawnExecutor();
    const done = await world.untilStatus(job.id, 'succeeded', 60_000);
    expect(done).toMatchObject({ attempts: 1, result: { echo: { delayMs: 5_000 } } });
    await b.waitForLog(logEvent('job.succeeded', { jobId: job.id, attempt: 1 }));
    expect(b.logs(logEvent('job.started', { jobId: job.id, attempt: 1 }))).toHaveLength(1);
    // A clean hand-back, not a crash: B did not have to declare the first attempt lost.
    expect(b.logs(logEvent('job.attempt.lost', { jobId: job.id }))).toEqual([]);
    expect((await world.attempts(job.id)).map((x) => [x.attempt, x.outcome])).toEqual([
      [1, 'lost'],
      [1, 'succeeded'],
    ]);
  }, 120_000);

  it('gateway: an in-flight long-poll is answered at once with the job as it stands, new connections are refused, exit code 0', async () => {
    const port = await freePort();
    const gw = spawnEntry(GATEWAY_ENTRY, world.env({ PORT: String(port), SHUTDOWN_TIMEOUT_MS: '30000' }));
    await gw.waitForLog('gateway.listening', 60_000);

    // No executor: the job stays queued, so the long-poll is held until the shutdown releases it.
    const submit = await httpCall(port, 'POST', '/v1/jobs', { target: 'echo', input: { delayMs: 300 } }).answer;
    expect(submit.status).toBe(202);
    const id = submit.body.id as string;
    const poll = httpCall(port, 'GET', `/v1/jobs/${id}?wait=60`);
    let pollSettled = false;
    void poll.answer.finally(() => (pollSettled = true)).catch(() => undefined);
    await poll.sent;
    // A later connection answered means the gateway has taken in the earlier one, the poll's.
    expect((await httpCall(port, 'GET', '/healthz').answer).status).toBe(200);
    expect(pollSettled).toBe(false);

    gw.signal('SIGTERM');
    const answered = await poll.answer;
    expect(answered.status).toBe(200);
    expect(answered.body).toMatchObject({ id, status: 'queued' });
    expect(await gw.waitForExit()).toEqual({ code: 0, signal: null });
    expect(await connectionRefused(port)).toBe(true);
    expect(gw.logs('shutdown.complete')).toHaveLength(1);
    expect(gw.logs('shutdown.timeout')).toEqual([]);
    // The job itself is untouched by the gateway's exit: an executor still runs it.
    await world.spawnExecutor();
    expect(await world.untilStatus(id, 'succeeded')).toMatchObject({ attempts: 1 });
  }, 120_000);
});
