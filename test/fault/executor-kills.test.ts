import { describe, expect, it } from 'vitest';
import { audit } from './harness/audit.js';
import { faultWorld } from './harness/world.js';
import { sleep } from './harness/client.js';
import { echoJob, submitAll } from './harness/load.js';
import { recoveryDelays } from './harness/recovery.js';
import { printFigures } from './harness/report.js';
import { budgetMs, FAULT_LONG, jobs } from './harness/scale.js';

/**
 * Guarantee: a 202 is a job that reaches a terminal state however workers crash.
 * Three executors serve one target; while a burst of jobs runs, one of them is SIGKILLed
 * (no drain, no clean-up) every couple of seconds and a fresh one started in its place.
 * Every job must still end succeeded with the echo of its input, and its webhook must
 * reach the receiver, except for the gap the README documents (an executor dying between
 * storing the outcome and queueing the webhook), which is counted and printed.
 */
describe('executors SIGKILLed repeatedly under load', () => {
  const world = faultWorld();

  async function run(count: number, maxKills: number): Promise<void> {
    // Attempts well above the number of kills a job can live through; a job that still
    // runs out of them is dead-lettered as worker_lost, which is tolerated and counted.
    const { cluster, receiver } = await world.start({ targets: { echo: { kind: 'handler', handler: 'echo', attempts: 8 } }, executors: 3 });
    const c = cluster;
    // 100 to 1000 ms of work per job: long enough that every kill lands on running jobs.
    const specs = Array.from({ length: count }, (_, i) => echoJob(i, { delayMs: 100 + (i % 10) * 100, callbackUrl: receiver!.url }));
    const t0 = Date.now();

    let submitted = false;
    let kills = 0;
    const killedAt: number[] = [];
    const chaos = (async () => {
      while (kills < maxKills) {
        await sleep(1_500);
        if (submitted && (await c.queueDepth('echo')) === 0) break;
        const victim = c.executors[Math.floor(Math.random() * c.executors.length)];
        if (!victim) continue;
        await c.kill(victim);
        killedAt.push(Date.now());
        kills++;
        await c.spawnExecutor();
      }
    })();
    const load = await submitAll(specs, () => c.liveGateways().map((g) => g.port), { concurrency: 8 });
    submitted = true;
    await chaos;

    const report = await audit({ cluster: c, jobs: load.tracked, targets: ['echo'], receiver, toleratedFailures: ['worker_lost'], timeoutMs: budgetMs(120_000) });
    const recovery = recoveryDelays(killedAt, report.lostNoticedAtMs);
    const bound = c.config.targets.get('echo')!.lockDurationMs + c.config.targets.get('echo')!.stalledIntervalMs;
    printFigures(
      {
        scenario: 'executors SIGKILLed under load',
        submitted: count,
        refused: load.refused,
        unanswered: load.unanswered,
        kills,
        seconds: (Date.now() - t0) / 1_000,
        extra: { 'recovery-ms median': recovery.median, 'recovery-ms max': recovery.max, 'stall bound ms (lock+interval)': bound },
      },
      report,
    );

    // The gateway was never faulted: every submit got its 202.
    expect(load.refused + load.unanswered).toBe(0);
    expect(kills).toBeGreaterThan(0);
    expect(report.lost).toEqual([]);
    expect(report.wrong).toEqual([]);
    expect(report.succeeded + (report.failedByFault.worker_lost ?? 0)).toBe(count);
    expect(report.queuesLeft).toBe(0);
    expect(report.inFlightLeft).toBe(0);
    expect(report.webhooks?.missing).toEqual([]);
    expect(report.webhooks?.badSignatures).toBe(0);
  }

  it('loses no accepted job: every one succeeds with its echo, and its webhook arrives', () => run(jobs(600), 6), budgetMs(300_000));

  it.runIf(FAULT_LONG)('long: 40 kills over 5000 jobs', () => run(jobs(5_000), 40), budgetMs(1_200_000));
});
