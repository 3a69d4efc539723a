import { describe, expect, it } from 'vitest';
import { audit, type Tracked } from './harness/audit.js';
import { call, pool, sleep } from './harness/client.js';
import { echoJob } from './harness/load.js';
import { printFigures } from './harness/report.js';
import { budgetMs, jobs } from './harness/scale.js';
import { faultWorld } from './harness/world.js';

/**
 * Batches with callbacks while executors are SIGKILLed: a batch completes through its jobs'
 * ends, each carried to the batch by its target's outbox (an effect a dying executor may
 * leave half done, for another relay to carry out again). Every accepted job must end, and
 * every batch must complete and send its `batch.completed` exactly as often as a receiver
 * can tell apart (one webhook id per batch), signed.
 */
describe('batches under executor kills', () => {
  const world = faultWorld();

  it('every batch completes and its webhook arrives once per batch id, signed; no job is lost', async () => {
    const { cluster: c, receiver } = await world.start({ targets: { echo: { kind: 'handler', handler: 'echo', attempts: 8 } }, executors: 3 });
    const batches = Math.max(2, Math.round(jobs(10)));
    const size = 30;
    const t0 = Date.now();
    const port = () => c.liveGateways()[0]!.port;
    const tracked: Tracked[] = [];
    const ids: string[] = [];
    let submitted = false;
    let kills = 0;
    const chaos = (async () => {
      while (kills < 6) {
        await sleep(1_500);
        if (submitted && (await c.queueDepth('echo')) === 0) break;
        const victim = c.executors[Math.floor(Math.random() * c.executors.length)];
        if (!victim) continue;
        await c.kill(victim);
        kills++;
        await c.spawnExecutor();
      }
    })();
    await pool(
      Array.from({ length: batches }, (_, b) => b),
      2,
      async (b) => {
        // 100 to 1000 ms of work per job, so that kills land on running jobs and on their ends.
        const specs = Array.from({ length: size }, (_, i) => echoJob(b * size + i, { delayMs: 100 + (i % 10) * 100 }));
        const res = await call(port(), 'POST', '/v1/batches', { jobs: specs.map((s) => s.body), callback: { url: receiver!.url } });
        expect(res.status).toBe(202);
        const doc = res.body as { id: string; jobs: { id: string }[] };
        ids.push(doc.id);
        doc.jobs.forEach((j, i) => tracked.push({ id: j.id, expect: specs[i]!.expect, callback: false }));
      },
      300,
    );
    submitted = true;
    await chaos;

    const report = await audit({ cluster: c, jobs: tracked, targets: ['echo'], toleratedFailures: ['worker_lost'], timeoutMs: budgetMs(180_000) });
    // Every batch's webhook: wait for one signed 2xx per batch id (the relay may queue it late, after a kill).
    const deadline = Date.now() + budgetMs(60_000);
    const completedHits = () => receiver!.hits.filter((h) => h.type === 'batch.completed' && h.status >= 200 && h.status < 300);
    while (new Set(completedHits().map((h) => h.jobId)).size < ids.length && Date.now() < deadline) await sleep(200);
    const hits = completedHits();
    const perBatch = new Map<string, Set<string>>();
    for (const h of hits) perBatch.set(h.jobId, (perBatch.get(h.jobId) ?? new Set()).add(h.webhookId));
    const docs = await Promise.all(ids.map(async (id) => (await call(port(), 'GET', `/v1/batches/${id}`)).body as { status: string; counts: { succeeded: number; failed: number }; callback: { state: string } }));
    printFigures(
      {
        scenario: 'batches with callbacks while executors are SIGKILLed',
        submitted: tracked.length,
        kills,
        seconds: (Date.now() - t0) / 1_000,
        extra: { batches: ids.length, 'batch webhooks received': hits.length, 'batches notified': perBatch.size, 'batches completed': docs.filter((d) => d.status === 'completed').length },
      },
      report,
    );

    expect(kills).toBeGreaterThan(0);
    expect(report.lost).toEqual([]);
    expect(report.wrong).toEqual([]);
    expect(report.succeeded + (report.failedByFault.worker_lost ?? 0)).toBe(tracked.length);
    expect(report.queuesLeft).toBe(0);
    expect(docs.map((d) => d.status)).toEqual(ids.map(() => 'completed'));
    expect(docs.map((d) => d.counts.succeeded + d.counts.failed)).toEqual(ids.map(() => size));
    expect(docs.map((d) => d.callback.state)).toEqual(ids.map(() => 'delivered'));
    // One webhook id per batch (repeats of it are at-least-once duplicates a receiver drops by id), all signed.
    expect([...perBatch.keys()].sort()).toEqual([...ids].sort());
    for (const [id, webhookIds] of perBatch) expect([...webhookIds]).toEqual([`msg_${id}`]);
    expect(hits.every((h) => h.signatureValid)).toBe(true);
  }, budgetMs(300_000));
});
