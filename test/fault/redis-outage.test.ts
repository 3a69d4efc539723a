import { describe, expect, it } from 'vitest';
import { audit } from './harness/audit.js';
import { faultWorld } from './harness/world.js';
import { call, sleep, submit, type Answer } from './harness/client.js';
import { echoJob, record, submitAll, type LoadResult } from './harness/load.js';
import { loggedErrors } from './harness/log-errors.js';
import { printFigures } from './harness/report.js';
import { budgetMs, FAULT_LONG, jobs } from './harness/scale.js';

/**
 * Redis stopped for about ten seconds with a backlog queued and jobs running. While it
 * is away the gateway must answer (503 with Retry-After, never a hang and never a 202),
 * and /readyz must say so; when it is back, every process reconnects by itself (nobody
 * restarts them), the backlog drains and new submits are accepted again.
 */
describe('Redis down for a while', () => {
  const world = faultWorld();

  async function run(downMs: number, backlog: number): Promise<void> {
    const { cluster, receiver } = await world.start({ targets: { echo: { kind: 'handler', handler: 'echo' } }, executors: 2 });
    const c = cluster;
    const port = c.gateways[0]!.port;
    const t0 = Date.now();

    // 500 ms per job, 20 slots: the backlog outlives the moment Redis goes away.
    const before = await submitAll(
      Array.from({ length: backlog }, (_, i) => echoJob(i, { delayMs: 500, callbackUrl: receiver!.url })),
      () => [port],
    );
    await c.redis.stop();
    const stoppedAt = Date.now();

    // Probe the gateway all through the outage: every probe must get an answer.
    const probes: { ms: number; answer: Answer | null }[] = [];
    const outage: LoadResult = { tracked: [], acceptedAt: new Map(), refused: 0, unanswered: 0, refusedByStatus: {} };
    let n = 100_000;
    while (Date.now() - stoppedAt < downMs) {
      const spec = echoJob(n++, { callbackUrl: receiver.url });
      const started = Date.now();
      const outcome = await submit(port, spec.body);
      record(outage, spec, outcome);
      const ready = await call(port, 'GET', '/readyz').catch(() => null);
      probes.push({ ms: Date.now() - started, answer: ready });
      await sleep(250);
    }
    await c.redis.start();

    // Back: submits are accepted again once the gateway's connection is (retried like a client would).
    const after: LoadResult = { tracked: [], acceptedAt: new Map(), refused: 0, unanswered: 0, refusedByStatus: {} };
    for (let i = 0; i < jobs(100); i++) {
      const spec = echoJob(200_000 + i, { callbackUrl: receiver.url });
      for (;;) {
        const outcome = await submit(port, spec.body);
        record(after, spec, outcome);
        if (outcome.kind === 'accepted') break;
        await sleep(100);
      }
    }

    const tracked = [...before.tracked, ...outage.tracked, ...after.tracked];
    const report = await audit({ cluster: c, jobs: tracked, targets: ['echo'], receiver, timeoutMs: budgetMs(120_000) });
    printFigures(
      {
        scenario: `Redis stopped for ${downMs / 1_000} s`,
        submitted: before.tracked.length + before.refused + outage.tracked.length + outage.refused + outage.unanswered + after.tracked.length,
        refused: outage.refused + after.refused,
        unanswered: outage.unanswered,
        seconds: (Date.now() - t0) / 1_000,
        extra: {
          'submits during outage': outage.tracked.length + outage.refused + outage.unanswered,
          'outage answers by status': JSON.stringify(outage.refusedByStatus),
          'slowest outage probe ms (submit+readyz)': Math.max(...probes.map((p) => p.ms)),
          'refusals before first 202 after restart': after.refused,
          'worker errors logged': JSON.stringify(loggedErrors([...c.executors, ...c.notifiers])),
        },
      },
      report,
    );

    // While Redis was away: answered, every time, with 503 (and never a 202).
    expect(before.refused + before.unanswered).toBe(0);
    expect(outage.tracked).toEqual([]);
    expect(outage.unanswered).toBe(0);
    expect(Object.keys(outage.refusedByStatus)).toEqual(['503']);
    expect(probes.every((p) => p.answer?.status === 503)).toBe(true);
    // The same processes, never restarted, finished everything.
    expect(c.executors.every((e) => e.running) && c.gateways[0]!.proc.running && c.notifiers[0]!.running).toBe(true);
    expect(report.lost).toEqual([]);
    expect(report.wrong).toEqual([]);
    expect(report.succeeded).toBe(tracked.length);
    expect(report.queuesLeft).toBe(0);
    expect(report.inFlightLeft).toBe(0);
    expect(report.webhooks?.missing).toEqual([]);
  }

  it('answers 503 while it is down, then every process reconnects and the backlog drains', () => run(10_000, jobs(300)), budgetMs(240_000));

  it.runIf(FAULT_LONG)('long: Redis away for 60 s with a bigger backlog', () => run(60_000, jobs(1_500)), budgetMs(900_000));
});
