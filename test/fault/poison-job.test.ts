import { describe, expect, it } from 'vitest';
import { isTerminal } from '../../src/core/job-schema.js';
import { logEvent } from '../support/processes.js';
import { audit } from './harness/audit.js';
import { faultWorld } from './harness/world.js';
import { sleep, submit } from './harness/client.js';
import { echoJob, record, submitAll, type LoadResult } from './harness/load.js';
import { printFigures } from './harness/report.js';
import { budgetMs, jobs } from './harness/scale.js';

const POISON_ATTEMPTS = 3;

/**
 * A "poison" job: one that takes down the worker process running it, every time. No
 * handler crashes its process, so the test plays the crash: whichever executor logs the
 * poison job's start is SIGKILLed at once and replaced. The job must end failed with
 * worker_lost and dead-lettered after its attempts (not loop for ever), and the other
 * jobs, sharing the executors, must all still succeed.
 */
describe('a poison job that kills its worker on every attempt', () => {
  const world = faultWorld();

  it('is dead-lettered as worker_lost after its attempts, and starves no other job', async () => {
    const { cluster, receiver } = await world.start({
      targets: {
        echo: { kind: 'handler', handler: 'echo', attempts: 5 },
        poison: { kind: 'handler', handler: 'echo', attempts: POISON_ATTEMPTS },
      },
      executors: 2,
    });
    const c = cluster;
    const port = c.gateways[0]!.port;
    const t0 = Date.now();

    // Ten minutes of work: it never ends by itself, only by its worker dying.
    const poisonSpec = { body: { target: 'poison', input: { delayMs: 600_000 }, callback: { url: receiver.url } }, expect: { status: 'failed' as const, codes: ['worker_lost'] } };
    const poisonLoad: LoadResult = { tracked: [], acceptedAt: new Map(), refused: 0, unanswered: 0, refusedByStatus: {} };
    record(poisonLoad, poisonSpec, await submit(port, poisonSpec.body));
    const poisonId = poisonLoad.tracked[0]!.id;
    const others = submitAll(
      Array.from({ length: jobs(200) }, (_, i) => echoJob(i, { delayMs: 200, callbackUrl: receiver!.url })),
      () => [port],
      { concurrency: 2, paceMs: 20 },
    );

    // The crash: the executor that starts the poison job dies with it.
    let kills = 0;
    for (;;) {
      const rec = await c.store.get(poisonId);
      if (rec && isTerminal(rec.status)) break;
      const runner = c.executors.find((e) => e.logs(logEvent('job.started', { jobId: poisonId })).length > 0);
      if (runner) {
        await c.kill(runner);
        kills++;
        await c.spawnExecutor();
      }
      await sleep(100);
    }
    const load = await others;
    const tracked = [...poisonLoad.tracked, ...load.tracked];
    const poisonEnd = (await c.store.get(poisonId))!.finishedAtMs!;
    const otherRecords = await c.store.getMany(load.tracked.map((t) => t.id));
    const othersDoneBeforePoison = otherRecords.filter((r) => r?.finishedAtMs !== null && r!.finishedAtMs! < poisonEnd).length;

    const report = await audit({ cluster: c, jobs: tracked, targets: ['echo', 'poison'], receiver, timeoutMs: budgetMs(120_000) });
    const poison = (await c.store.get(poisonId))!;
    printFigures(
      {
        scenario: 'poison job kills its executor on every attempt',
        submitted: tracked.length,
        refused: load.refused,
        unanswered: load.unanswered,
        kills,
        seconds: (Date.now() - t0) / 1_000,
        extra: { 'poison status': `${poison.status} ${poison.error?.code} attempts ${poison.attempts}/${poison.maxAttempts} deadLettered ${poison.deadLettered}`, 'other jobs done before the poison ended': othersDoneBeforePoison },
      },
      report,
    );

    expect(poison).toMatchObject({ status: 'failed', attempts: POISON_ATTEMPTS, deadLettered: true, error: { code: 'worker_lost' } });
    // One kill per attempt, not one more: it did not loop.
    expect(kills).toBe(POISON_ATTEMPTS);
    expect(await c.observer.zscore(c.keys.targetDeadLetters('poison'), poisonId)).not.toBeNull();
    // The others kept running meanwhile, and all succeeded.
    expect(othersDoneBeforePoison).toBeGreaterThan(0);
    expect(report.lost).toEqual([]);
    expect(report.wrong).toEqual([]);
    expect(report.failedAsPlanned).toBe(1);
    expect(report.succeeded).toBe(load.tracked.length);
    expect(report.queuesLeft).toBe(0);
    expect(report.inFlightLeft).toBe(0);
    expect(report.webhooks?.missing).toEqual([]);
  }, budgetMs(240_000));
});
