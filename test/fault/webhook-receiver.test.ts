import { describe, expect, it } from 'vitest';
import { audit } from './harness/audit.js';
import { faultWorld } from './harness/world.js';
import { sleep } from './harness/client.js';
import type { Fault } from './harness/fault-server.js';
import { echoJob, submitAll } from './harness/load.js';
import { printFigures } from './harness/report.js';
import { budgetMs, FAULT_LONG, jobs } from './harness/scale.js';

/**
 * Guarantee: webhooks are delivered at least once. While jobs finish at a steady rate,
 * the receiver goes through a bad spell: closed (connections refused), then answering
 * 500, then 429 with Retry-After, then stalling past the notifier's 1 s timeout (it takes
 * the event but answers too late, so the notifier sends it again: a duplicate the
 * receiver must drop by `webhook-id`). When it is healthy again every job's webhook must
 * have arrived, none dead-lettered.
 */
describe('a webhook receiver that is down, failing, throttling and stalling for a while', () => {
  const world = faultWorld();

  async function run(spell: number, count: number): Promise<void> {
    const { cluster, receiver } = await world.start({ targets: { echo: { kind: 'handler', handler: 'echo' } }, executors: 1 });
    const c = cluster;
    const r = receiver;
    const phases: { fault: Fault | 'down'; ms: number }[] = [
      { fault: 'down', ms: spell * 1.5 },
      { fault: { kind: 'status', status: 500 }, ms: spell },
      { fault: { kind: 'retry-after', status: 429, seconds: 1 }, ms: spell },
      { fault: { kind: 'stall', ms: 1_500 }, ms: spell },
    ];
    const t0 = Date.now();

    // Jobs finish all through the bad spell: a steady trickle, not one burst before it.
    const loading = submitAll(Array.from({ length: count }, (_, i) => echoJob(i, { callbackUrl: r.url })), () => c.liveGateways().map((g) => g.port), { concurrency: 2, paceMs: 40 });
    for (const phase of phases) {
      if (phase.fault === 'down') await r.server.down();
      else {
        await r.server.up();
        r.setFault(phase.fault);
      }
      await sleep(phase.ms);
    }
    r.setFault({ kind: 'none' });
    const load = await loading;

    const report = await audit({ cluster: c, jobs: load.tracked, targets: ['echo'], receiver: r, timeoutMs: budgetMs(120_000) });
    const byStatus: Record<string, number> = {};
    for (const h of r.hits) {
      const key = h.stalled ? 'stalled' : String(h.status);
      byStatus[key] = (byStatus[key] ?? 0) + 1;
    }
    const records = await c.store.getMany(load.tracked.map((t) => t.id));
    const callbackStates: Record<string, number> = {};
    for (const rec of records) callbackStates[rec?.callbackState ?? 'none'] = (callbackStates[rec?.callbackState ?? 'none'] ?? 0) + 1;
    const webhookDeadLetters = await c.observer.zcard(c.keys.webhookDeadLetters());
    printFigures(
      {
        scenario: 'webhook receiver down / 500 / 429 / stalling',
        submitted: count,
        refused: load.refused,
        unanswered: load.unanswered,
        seconds: (Date.now() - t0) / 1_000,
        extra: { 'receiver answers': JSON.stringify(byStatus), 'callback states': JSON.stringify(callbackStates), 'webhook dead letters': webhookDeadLetters },
      },
      report,
    );

    expect(load.tracked).toHaveLength(count);
    expect(report.lost).toEqual([]);
    expect(report.succeeded).toBe(count);
    // Each bad spell was met by deliveries (else the scenario proved nothing).
    expect(byStatus['500']).toBeGreaterThan(0);
    expect(byStatus['429']).toBeGreaterThan(0);
    expect(byStatus.stalled).toBeGreaterThan(0);
    expect(report.webhooks?.missing).toEqual([]);
    expect(report.webhooks?.delivered).toBe(count);
    expect(report.webhooks?.badSignatures).toBe(0);
    expect(callbackStates).toEqual({ delivered: count });
    expect(webhookDeadLetters).toBe(0);
  }

  it('delivers every webhook eventually; duplicates carry the same webhook-id', () => run(2_000, jobs(300)), budgetMs(240_000));

  // Spells of 5 s: 20 s of bad receiver in all, inside the ~30 s webhook schedule of fault-config.ts.
  it.runIf(FAULT_LONG)('long: a 20 s bad spell', () => run(5_000, jobs(1_500)), budgetMs(900_000));
});
