import { describe, expect, it } from 'vitest';
import { audit } from './harness/audit.js';
import { faultWorld } from './harness/world.js';
import { sleep } from './harness/client.js';
import { echoJob, submitAll } from './harness/load.js';
import { printFigures } from './harness/report.js';
import { budgetMs } from './harness/scale.js';

const JOBS = 10;

/**
 * Guarantee: webhooks are delivered at least once, retried, and dead-lettered only when
 * their schedule runs out or their deliveries keep dying with the notifier. Here the
 * notifier process dies mid-delivery: the receiver holds every request (a hung receiver),
 * the notifier is SIGKILLed while it waits, a new one takes the messages up once their
 * locks expire (2 s lock + 1 s stalled check here), and so on. Twice: every webhook still
 * arrives once the receiver heals. Three times (MAX_LOST_DELIVERIES): every message is a
 * visible webhook dead letter (`notifier_lost`), none vanishes. (Before the notifier set
 * its own maxStalledCount, BullMQ's default of 1 failed the messages at the second death
 * and removeOnFail deleted them without a trace.)
 */
const FAST_LOCK = { lockDurationMs: 2_000, stalledIntervalMs: 1_000 };

describe('the notifier SIGKILLed mid-delivery, twice', () => {
  const world = faultWorld();

  it('still delivers every webhook once the receiver heals', async () => {
    // The longest per-attempt webhook timeout: each delivery is in flight when the kill comes.
    const { cluster, receiver } = await world.start({ targets: { echo: { kind: 'handler', handler: 'echo' } }, executors: 1, webhooks: { timeoutMs: 60_000, ...FAST_LOCK } });
    const c = cluster;
    const r = receiver;
    r.setFault({ kind: 'stall', ms: 300_000 });
    const t0 = Date.now();
    const load = await submitAll(Array.from({ length: JOBS }, (_, i) => echoJob(i, { callbackUrl: r.url })), () => c.liveGateways().map((g) => g.port));

    let kills = 0;
    for (let round = 1; round <= 2; round++) {
      // Every message is in flight at the current notifier (the receiver has them all, unanswered).
      while (r.hits.length < round * JOBS) await sleep(200);
      await c.kill(c.notifiers[0]!);
      kills++;
      await c.spawnNotifier();
    }
    r.setFault({ kind: 'none' });

    const report = await audit({ cluster: c, jobs: load.tracked, targets: ['echo'], receiver: r, timeoutMs: budgetMs(150_000) });
    const records = await c.store.getMany(load.tracked.map((t) => t.id));
    const states: Record<string, number> = {};
    for (const rec of records) states[rec?.callbackState ?? 'none'] = (states[rec?.callbackState ?? 'none'] ?? 0) + 1;
    const webhookDeadLetters = await c.observer.zcard(c.keys.webhookDeadLetters());
    // Diagnosis only: why a message left the notifier's queue, from BullMQ's own event stream.
    const failedReasons: Record<string, number> = {};
    for (const [, fields] of await c.observer.xrange(`${c.keys.bullPrefix()}:${c.keys.webhookQueueName()}:events`, '-', '+')) {
      const f = Object.fromEntries(fields.flatMap((v, i) => (i % 2 ? [] : [[v, fields[i + 1]]])));
      if (f.event === 'failed') failedReasons[String(f.failedReason)] = (failedReasons[String(f.failedReason)] ?? 0) + 1;
    }
    printFigures(
      {
        scenario: 'notifier SIGKILLed mid-delivery, twice',
        submitted: JOBS,
        kills,
        seconds: (Date.now() - t0) / 1_000,
        extra: {
          'receiver requests': r.hits.length,
          'callback states': JSON.stringify(states),
          'webhook dead letters': webhookDeadLetters,
          'notifier queue failures (BullMQ)': JSON.stringify(failedReasons),
        },
      },
      report,
    );

    expect(report.lost).toEqual([]);
    expect(report.succeeded).toBe(JOBS);
    // At least once: every webhook delivered, or at the very least dead-lettered where an operator sees it.
    expect(report.webhooks!.missing.length).toBe(webhookDeadLetters);
    expect(report.webhooks?.missing).toEqual([]);
  }, budgetMs(240_000));

  it('dead-letters, visibly, a webhook whose deliveries die with their notifier three times', async () => {
    const { cluster, receiver } = await world.start({ targets: { echo: { kind: 'handler', handler: 'echo' } }, executors: 1, webhooks: { timeoutMs: 60_000, ...FAST_LOCK } });
    const c = cluster;
    const r = receiver;
    r.setFault({ kind: 'stall', ms: 300_000 });
    const load = await submitAll(Array.from({ length: JOBS }, (_, i) => echoJob(i, { callbackUrl: r.url })), () => c.liveGateways().map((g) => g.port));
    for (let round = 1; round <= 3; round++) {
      while (r.hits.length < round * JOBS) await sleep(200);
      await c.kill(c.notifiers[0]!);
      await c.spawnNotifier();
    }
    // The fourth notifier does not try again: each message becomes a webhook dead letter.
    const ids = load.tracked.map((t) => t.id);
    const deadline = Date.now() + budgetMs(60_000);
    while ((await c.observer.zcard(c.keys.webhookDeadLetters())) < ids.length && Date.now() < deadline) await sleep(200);
    expect(await c.observer.zcard(c.keys.webhookDeadLetters())).toBe(ids.length);
    const records = await c.store.getMany(ids);
    expect(records.map((rec) => rec?.callbackState)).toEqual(ids.map(() => 'failed'));
    const deliveries = await c.store.deliveries(ids[0]!);
    expect(deliveries.at(-1)).toMatchObject({ outcome: 'failed', statusCode: null, error: expect.stringContaining('notifier_lost') });
    expect(r.hits.length).toBe(3 * JOBS); // no fourth POST
    const report = await audit({ cluster: c, jobs: load.tracked, targets: ['echo'], timeoutMs: budgetMs(30_000) });
    printFigures({ scenario: 'notifier SIGKILLed mid-delivery, three times', submitted: JOBS, kills: 3, seconds: 0, extra: { 'webhook dead letters': ids.length } }, report);
    expect(report.lost).toEqual([]);
  }, budgetMs(240_000));
});
