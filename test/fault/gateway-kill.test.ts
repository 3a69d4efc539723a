import { describe, expect, it } from 'vitest';
import { OPEN_TENANT } from '../../src/http/middleware/authenticate.js';
import { audit, expectEveryJobDone } from './harness/audit.js';
import { faultWorld } from './harness/world.js';
import { sleep } from './harness/client.js';
import { echoJob, submitAll } from './harness/load.js';
import { unacknowledgedJobs } from './harness/orphans.js';
import { printFigures } from './harness/report.js';
import { budgetMs, jobs } from './harness/scale.js';

/**
 * Guarantee: a 202 means the job is stored. Two gateways share a burst of submits (the
 * client spreads them like a load balancer); one gateway is SIGKILLed mid-burst, with
 * requests in flight. Requests it never answered may be lost, and the client knows it
 * (no 202); every request that got a 202, from either gateway, must run to the end.
 */
describe('a gateway SIGKILLed mid-burst', () => {
  const world = faultWorld();

  it('keeps every acknowledged job; only unanswered requests may be lost', async () => {
    const { cluster, receiver } = await world.start({ targets: { echo: { kind: 'handler', handler: 'echo' } }, gateways: 2, executors: 2 });
    const c = cluster;
    const [victim] = c.gateways;
    const count = jobs(800);
    const specs = Array.from({ length: count }, (_, i) => echoJob(i, { delayMs: 20, callbackUrl: receiver!.url }));
    const t0 = Date.now();

    const loading = submitAll(specs, () => c.liveGateways().map((g) => g.port), { concurrency: 32 });
    // Kill once a good part of the burst is in, while requests are surely in flight.
    while ((await c.observer.zcard(c.keys.tenantJobs(OPEN_TENANT))) < count / 3) await sleep(20);
    victim!.proc.signal('SIGKILL');
    await victim!.proc.waitForExit();
    const load = await loading;

    const report = await audit({ cluster: c, jobs: load.tracked, targets: ['echo'], receiver, timeoutMs: budgetMs(120_000) });
    const strays = await unacknowledgedJobs(c, new Set(load.tracked.map((t) => t.id)));
    printFigures(
      {
        scenario: 'gateway SIGKILLed mid-burst',
        submitted: count,
        refused: load.refused,
        unanswered: load.unanswered,
        kills: 1,
        seconds: (Date.now() - t0) / 1_000,
        extra: { 'stored-but-unanswered': strays.stored, 'of which ran to the end': strays.terminal, 'of which stuck': JSON.stringify(strays.stuck) },
      },
      report,
    );

    // The kill did cut requests off, else this scenario showed nothing.
    expect(load.unanswered).toBeGreaterThan(0);
    expect(load.tracked.length + load.refused + load.unanswered).toBe(count);
    expectEveryJobDone(report, load.tracked.length);
  }, budgetMs(240_000));
});
