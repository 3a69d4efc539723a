import { describe, expect, it } from 'vitest';
import { FairQueues } from '../../src/core/fair-queue.js';
import { JobQueues } from '../../src/core/job-queues.js';
import { apiKeys } from '../support/api-keys.js';
import { audit } from './harness/audit.js';
import { call, sleep } from './harness/client.js';
import type { Cluster } from './harness/cluster.js';
import { echoJob, submitAll, type JobSpec } from './harness/load.js';
import { printFigures } from './harness/report.js';
import { budgetMs, jobs } from './harness/scale.js';
import { startEchoUpstream } from './harness/upstream.js';
import { faultWorld } from './harness/world.js';

/**
 * Executors SIGKILLed while they dispatch a fair target's lanes, and while they share an
 * adaptive concurrency limit. The circuit breaker's own kill (a dead half-open probe) is
 * circuit-probe-kill.test.ts. Every accepted job must still end succeeded with its echo,
 * nothing may be left in BullMQ or in the lanes, and the shared state must not stay bent by
 * the dead: the lanes' taken set drains (jobs taken and never added are re-added after their
 * lease), and the limiter forgets a dead executor's in-flight attempts.
 */
describe('flow control under executor kills', () => {
  const world = faultWorld();

  /** Kills a random executor every 1.5 s and starts another, until `maxKills` or the target's queue is empty after the submits. */
  async function chaos(c: Cluster, target: string, maxKills: number, submitted: () => boolean): Promise<number> {
    let kills = 0;
    while (kills < maxKills) {
      await sleep(1_500);
      if (submitted() && (await c.queueDepth(target)) === 0) break;
      const victim = c.executors[Math.floor(Math.random() * c.executors.length)];
      if (!victim) continue;
      await c.kill(victim);
      kills++;
      await c.spawnExecutor();
    }
    return kills;
  }

  it('fairness: tenant — no job lost, none left in the lanes or taken and never added', async () => {
    const { tokens, auth } = apiKeys({ a: 'client', b: 'client', c: 'client', ops: 'admin' });
    // Window max(4, 2 x 3) = 6: most of the backlog waits in the lanes while executors die.
    const { cluster: c } = await world.start({
      targets: { fair: { kind: 'handler', handler: 'echo', attempts: 8, concurrency: 3, fairness: 'tenant' } },
      auth,
      tenants: { overrides: { b: { weight: 2 }, c: { maxRunningPerTarget: 2 } } },
      executors: 3,
    });
    const count = jobs(600);
    const tenants = [tokens.a, tokens.a, tokens.a, tokens.b, tokens.c];
    // 20-200 ms of work; every tenth job scheduled 0.5-2 s ahead (the lanes' schedule).
    const specs: JobSpec[] = Array.from({ length: count }, (_, i) => {
      const spec = echoJob(i, { target: 'fair', delayMs: 20 + (i % 10) * 20 });
      return { ...spec, token: tenants[i % tenants.length]!, body: { ...spec.body, ...(i % 10 === 0 && { delay: 500 + (i % 4) * 500 }) } };
    });
    const t0 = Date.now();
    let submitted = false;
    const kills = chaos(c, 'fair', 6, () => submitted);
    const load = await submitAll(specs, () => c.liveGateways().map((g) => g.port), { concurrency: 8 });
    submitted = true;
    // A dispatcher that dies between its take and its add, for certain (a kill lands there only
    // by chance): take 20 jobs out of the lanes and never add them. The executors must re-add
    // them once their lease runs out.
    const target = c.config.targets.get('fair')!;
    const bull = new JobQueues(c.observer, c.keys, c.config.targets);
    const prioritized = bull.queue('fair').keys.prioritized!;
    // The queue paused, BullMQ's waiting set only fills up to the window and stays there: the
    // counts read next are still true when the take runs, so exactly 20 are taken.
    await bull.pause('fair');
    await sleep(300);
    const occupied = (await c.observer.zcard(prioritized)) + (await c.observer.zcard(`${c.keys.fairQueue('fair')}:taken`));
    const stolen = await new FairQueues(c.observer, c.keys).take(target, prioritized, occupied + 20);
    await bull.resume('fair');
    await bull.close();
    const killed = await kills;

    const report = await audit({ cluster: c, jobs: load.tracked, targets: ['fair'], toleratedFailures: ['worker_lost'], timeoutMs: budgetMs(180_000) });
    const base = c.keys.fairQueue('fair');
    const [queued, taken, scheduled] = await Promise.all([c.observer.hget(base, 'queued'), c.observer.zcard(`${base}:taken`), c.observer.zcard(`${base}:scheduled`)]);
    printFigures(
      { scenario: 'executors SIGKILLed while dispatching a fair target', submitted: count, refused: load.refused, unanswered: load.unanswered, kills: killed, seconds: (Date.now() - t0) / 1_000, extra: { 'taken-and-dropped': stolen.length, 'lanes-left': Number(queued ?? 0), 'taken-left': taken, 'scheduled-left': scheduled } },
      report,
    );

    expect(load.refused + load.unanswered).toBe(0);
    expect(killed).toBeGreaterThan(0);
    expect(stolen).toHaveLength(20);
    expect(report.lost).toEqual([]);
    expect(report.wrong).toEqual([]);
    expect(report.succeeded + (report.failedByFault.worker_lost ?? 0)).toBe(count);
    expect(report.queuesLeft).toBe(0);
    expect(report.inFlightLeft).toBe(0);
    expect([Number(queued ?? 0), taken, scheduled]).toEqual([0, 0, 0]);
    // What an operator sees agrees: the lanes are empty.
    const view = await call(c.liveGateways()[0]!.port, 'GET', '/v1/admin/targets/fair', undefined, 5_000, tokens.ops);
    expect(view.body).toMatchObject({ fairness: { waiting: 0, scheduled: 0, dispatching: 0, activeTenants: 0 } });
  }, budgetMs(300_000));

  it('adaptiveConcurrency — no job lost, and the shared limit forgets the dead executors\' attempts', async () => {
    const upstream = await startEchoUpstream();
    world.alsoClose(() => upstream.close());
    // 100 ms an answer: a killed executor dies with attempts in flight, counted in the shared limit.
    upstream.setFault({ kind: 'stall', ms: 100 });
    const { cluster: c } = await world.start({
      targets: { adaptive: { kind: 'http', url: upstream.url, attempts: 8, concurrency: 20, adaptiveConcurrency: { min: 2, max: 20 } } },
      executors: 3,
    });
    const count = jobs(600);
    const specs = Array.from({ length: count }, (_, i) => {
      const spec = echoJob(i, { target: 'adaptive' });
      return { ...spec, expect: { ...spec.expect, http: true } } as JobSpec;
    });
    const t0 = Date.now();
    let submitted = false;
    const kills = chaos(c, 'adaptive', 6, () => submitted);
    // Paced over about 12 s, so that the run lasts through several kills.
    const load = await submitAll(specs, () => c.liveGateways().map((g) => g.port), { concurrency: 4, paceMs: 80 });
    submitted = true;
    const killed = await kills;

    const report = await audit({ cluster: c, jobs: load.tracked, targets: ['adaptive'], toleratedFailures: ['worker_lost'], timeoutMs: budgetMs(180_000) });
    const port = c.liveGateways()[0]!.port;
    const concurrency = async () => ((await call(port, 'GET', '/v1/admin/targets/adaptive')).body as { concurrency: { limit: number; inFlight: number; min: number; max: number } }).concurrency;
    // A dead executor's report lapses after 5 s: with every job done, nothing is in flight.
    let view = await concurrency();
    for (const deadline = Date.now() + 15_000; view.inFlight !== 0 && Date.now() < deadline; view = await concurrency()) await sleep(250);
    printFigures(
      { scenario: 'executors SIGKILLed while sharing an adaptive limit', submitted: count, refused: load.refused, unanswered: load.unanswered, kills: killed, seconds: (Date.now() - t0) / 1_000, extra: { 'limit-after': view.limit, 'in-flight-after': view.inFlight } },
      report,
    );

    expect(load.refused + load.unanswered).toBe(0);
    expect(killed).toBeGreaterThan(0);
    expect(report.lost).toEqual([]);
    expect(report.wrong).toEqual([]);
    expect(report.succeeded + (report.failedByFault.worker_lost ?? 0)).toBe(count);
    expect(report.queuesLeft).toBe(0);
    expect(report.inFlightLeft).toBe(0);
    expect(view.inFlight).toBe(0);
    expect(view.limit).toBeGreaterThanOrEqual(view.min);
    expect(view.limit).toBeLessThanOrEqual(view.max);
  }, budgetMs(300_000));
});
