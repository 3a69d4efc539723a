import { describe, expect, it } from 'vitest';
import { audit, type Tracked } from './harness/audit.js';
import { call, pool, sleep } from './harness/client.js';
import { printFigures } from './harness/report.js';
import { budgetMs, jobs } from './harness/scale.js';
import { faultWorld } from './harness/world.js';

/**
 * fanOut and chain routes while executors and a gateway are SIGKILLed. A step's end reaches
 * its route in two hops, each an outbox entry deleted only once its effect went through: the
 * step's target outbox (carried out by an executor's or a gateway's relay, which a kill may
 * cut between the end and the route's update) and the route's own (carried out by a
 * gateway's RouteConductor, which a kill may cut in the middle of a move). Every route's job
 * must end with the result its steps make, none left waiting on a step nobody told it of.
 */
describe('routes under executor and gateway kills', () => {
  const world = faultWorld();

  it("every route's job ends succeeded with its steps' merged result; none is left hanging", async () => {
    const { cluster: c } = await world.start({
      targets: { echo: { kind: 'handler', handler: 'echo', attempts: 8 }, store: { kind: 'handler', handler: 'echo', attempts: 8 } },
      routes: {
        both: {
          fanOut: [
            { name: 'a', target: 'echo', input: '{ "n": n, "delayMs": delayMs }' },
            { name: 'b', target: 'store', input: '{ "n": n * 2, "delayMs": delayMs }' },
          ],
          output: '{ "a": a.echo.n, "b": b.echo.n }',
        },
        then: { chain: [{ target: 'echo' }, { target: 'store', input: '{ "m": echo.n + 1, "delayMs": $input.delayMs }' }] },
      },
      gateways: 2,
      executors: 3,
    });
    const count = Math.max(20, Math.round(jobs(60)));
    const t0 = Date.now();
    const ports = () => c.liveGateways().map((g) => g.port);
    const tracked: Tracked[] = [];
    let submitted = false;
    let kills = 0;
    let gatewayKilled = false;
    const chaos = (async () => {
      while (kills < 6) {
        await sleep(1_200);
        if (submitted && (await c.queueDepth('echo')) + (await c.queueDepth('store')) === 0) break;
        // Once, a gateway: the conductor of the routes whose entries it holds.
        if (!gatewayKilled && c.liveGateways().length > 1) {
          gatewayKilled = true;
          await c.kill(c.liveGateways()[0]!.proc);
          await c.spawnGateway();
        }
        const victim = c.executors[Math.floor(Math.random() * c.executors.length)];
        if (!victim) continue;
        await c.kill(victim);
        kills++;
        await c.spawnExecutor();
      }
    })();
    let turn = 0;
    await pool(
      Array.from({ length: count }, (_, n) => n),
      4,
      async (n) => {
        // 100 to 1000 ms of work per step, so that kills land on running steps and on their ends.
        const delayMs = 100 + (n % 10) * 100;
        const fan = n % 2 === 0;
        const body = fan ? { route: 'both', input: { n, delayMs } } : { route: 'then', input: { n, delayMs } };
        const live = ports();
        // A gateway killed under the request: no answer, so nothing to track (the audit follows what was acknowledged).
        const res = await call(live[turn++ % live.length]!, 'POST', '/v1/jobs', body).catch(() => null);
        if (res?.status !== 202) return;
        const result = fan ? { a: n, b: n * 2 } : { echo: { m: n + 1, delayMs } };
        tracked.push({ id: (res.body as { id: string }).id, expect: { status: 'succeeded', result }, callback: false });
      },
      100,
    );
    submitted = true;
    await chaos;

    const report = await audit({ cluster: c, jobs: tracked, targets: ['echo', 'store'], timeoutMs: budgetMs(180_000) });
    printFigures({ scenario: 'fanOut and chain routes while executors and a gateway are SIGKILLed', submitted: tracked.length, kills: kills + (gatewayKilled ? 1 : 0), seconds: (Date.now() - t0) / 1_000 }, report);

    expect(kills).toBeGreaterThan(0);
    expect(gatewayKilled).toBe(true);
    expect(tracked.length).toBeGreaterThan(count / 2);
    expect(report.lost).toEqual([]);
    expect(report.wrong).toEqual([]);
    expect(report.succeeded).toBe(tracked.length);
    expect(report.queuesLeft).toBe(0);
  }, budgetMs(300_000));
});
