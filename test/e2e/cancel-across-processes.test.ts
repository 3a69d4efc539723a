import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, type World } from '../support/e2e-world.js';
import { killAll, logEvent, removeTempDirs } from '../support/processes.js';

/**
 * Cancel reaches a running job wherever it runs: the gateway (in this process) flags
 * the record and publishes; the executor (another process) fires the job's AbortSignal.
 */
describe('cancel across processes', () => {
  let world: World;

  beforeAll(async () => {
    // Concurrency 1: a handler that kept running after the cancel would hold the only slot.
    world = await startWorld({ targets: { echo: { kind: 'handler', handler: 'echo', concurrency: 1, attempts: 3 } } });
  });
  afterEach(killAll);
  afterAll(async () => {
    await world?.close();
    removeTempDirs();
  });

  it('aborts a job running in an executor process; it ends canceled, never succeeds, and the slot is freed', async () => {
    const ex = await world.spawnExecutor();
    // A minute of work: if the signal did not fire in the executor, nothing could end it within this test.
    const job = await world.submit({ target: 'echo', input: { delayMs: 60_000 } });
    await world.untilStatus(job.id, 'running');
    await ex.waitForLog(logEvent('job.started', { jobId: job.id, attempt: 1 }));

    const res = await world.stack.request.post(`/v1/jobs/${job.id}/cancel`);
    expect([200, 202]).toContain(res.status);
    expect(world.stack.logs.lines.some(logEvent('job.cancel_requested', { jobId: job.id }))).toBe(true);

    const done = await world.untilStatus(job.id, 'canceled');
    expect(done).toMatchObject({ attempts: 1, deadLettered: false });
    expect(done.result).toBeUndefined();
    // The abort happened in the executor process, and its handler stopped there.
    const signalled = await ex.waitForLog(logEvent('job.cancel_signalled', { jobId: job.id }));
    expect(signalled.pid).toBe(ex.pid);
    await ex.waitForLog(logEvent('job.canceled', { jobId: job.id, attempt: 1 }));
    expect(ex.logs(logEvent('job.succeeded', { jobId: job.id }))).toEqual([]);
    expect(ex.logs(logEvent('job.attempt.failed', { jobId: job.id }))).toEqual([]);

    const attempts = await world.attempts(job.id);
    expect(attempts.map((a) => [a.attempt, a.outcome])).toEqual([[1, 'canceled']]);
    const result = await world.stack.request.get(`/v1/jobs/${job.id}/result`);
    expect(result.status).toBe(409);
    // Canceled means canceled: a second cancel is refused, and no retry is queued.
    expect((await world.stack.request.post(`/v1/jobs/${job.id}/cancel`)).status).toBe(409);
    expect(await world.queueCounts('echo')).toMatchObject({ waiting: 0, delayed: 0, active: 0 });

    // The single slot is free again: the same executor runs the next job.
    const next = await world.submit({ target: 'echo', input: { n: 2 } });
    expect(await world.untilStatus(next.id, 'succeeded')).toMatchObject({ attempts: 1, result: { echo: { n: 2 } } });
    await ex.waitForLog(logEvent('job.succeeded', { jobId: next.id }));
    // And the canceled job stayed canceled.
    expect(await world.job(job.id)).toMatchObject({ status: 'canceled', attempts: 1 });
  }, 120_000);
});
