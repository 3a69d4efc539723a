import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, type World } from '../support/e2e-world.js';
import { killAll, logEvent, removeTempDirs } from '../support/processes.js';

/**
 * Guarantee: a worker that dies mid-job loses nothing. Executors are real processes,
 * SIGKILLed (no drain, no clean-up of any kind); the job is taken up again once its
 * lock (1 s here) expires and another executor's stalled-job check runs (every 500 ms).
 */
describe('an executor killed mid-job', () => {
  let world: World;

  beforeAll(async () => {
    world = await startWorld({ targets: { echo: { kind: 'handler', handler: 'echo', attempts: 2 } } });
  });
  afterEach(killAll);
  afterAll(async () => {
    await world?.close();
    removeTempDirs();
  });

  it('leaves no job behind: another executor finishes it, the lost attempt recorded as worker_lost', async () => {
    const a = await world.spawnExecutor();
    const job = await world.submit({ target: 'echo', input: { delayMs: 4_000 } });
    await world.untilStatus(job.id, 'running');
    await a.waitForLog(logEvent('job.started', { jobId: job.id, attempt: 1 }));

    a.signal('SIGKILL');
    expect(await a.waitForExit()).toEqual({ code: null, signal: 'SIGKILL' });
    // Nobody else is alive: the record still says running, and only a new executor can rescue it.
    expect(await world.job(job.id)).toMatchObject({ status: 'running', attempts: 1 });

    const b = await world.spawnExecutor();
    const done = await world.untilStatus(job.id, 'succeeded', 60_000);
    expect(done).toMatchObject({ attempts: 2, maxAttempts: 2, deadLettered: false, error: null, result: { echo: { delayMs: 4_000 } } });

    const attempts = await world.attempts(job.id);
    expect(attempts.map((x) => [x.attempt, x.outcome, x.error?.code])).toEqual([
      [1, 'lost', 'worker_lost'],
      [2, 'succeeded', undefined],
    ]);
    // B is the one that noticed the loss and ran attempt 2. (Its log lines may trail the record: wait for them.)
    await b.waitForLog(logEvent('job.succeeded', { jobId: job.id, attempt: 2 }));
    expect(b.logs(logEvent('job.attempt.lost', { jobId: job.id, attempt: 1 }))).toHaveLength(1);
    expect(b.logs(logEvent('job.started', { jobId: job.id, attempt: 2 }))).toHaveLength(1);
    // Nothing left in the queue: not waiting, not delayed, not stuck active.
    expect(await world.queueCounts('echo')).toMatchObject({ waiting: 0, delayed: 0, active: 0 });
  }, 120_000);

  it('dead-letters a "poison" job whose executor dies on every attempt, instead of looping forever', async () => {
    const job = await world.submit({ target: 'echo', input: { delayMs: 120_000 } });
    for (let attempt = 1; attempt <= 2; attempt++) {
      const ex = await world.spawnExecutor();
      await ex.waitForLog(logEvent('job.started', { jobId: job.id, attempt }), 60_000);
      ex.signal('SIGKILL');
      expect((await ex.waitForExit()).signal).toBe('SIGKILL');
    }

    const last = await world.spawnExecutor();
    const done = await world.untilStatus(job.id, 'failed', 60_000);
    expect(done).toMatchObject({
      attempts: 2,
      maxAttempts: 2,
      deadLettered: true,
      error: { code: 'worker_lost', retryable: true },
    });
    await last.waitForLog(logEvent('job.dead_lettered', { jobId: job.id, reason: 'worker_lost' }));
    // The third executor did not run a third attempt: it only recorded the second loss.
    expect(last.logs(logEvent('job.started', { jobId: job.id }))).toEqual([]);

    const attempts = await world.attempts(job.id);
    expect(attempts.map((x) => [x.attempt, x.outcome, x.error?.code])).toEqual([
      [1, 'lost', 'worker_lost'],
      [2, 'lost', 'worker_lost'],
    ]);
    const deadLetters = await world.stack.request.get('/v1/admin/dead-letters');
    expect(deadLetters.body.items.map((j: { id: string }) => j.id)).toContain(job.id);
    expect(await world.queueCounts('echo')).toMatchObject({ waiting: 0, delayed: 0, active: 0 });
  }, 180_000);
});
