import { afterAll, describe, expect, it } from 'vitest';
import { JobStore } from '../../src/core/job-store.js';
import { createKeys } from '../../src/core/keys.js';
import { closeRedis, createRedis, type RedisClient } from '../../src/core/redis.js';
import { E2E_DEFAULTS, EXECUTOR_ENTRY, GATEWAY_ENTRY } from '../support/e2e-world.js';
import { killAll, spawnEntry, writeConfigFile } from '../support/processes.js';
import { ask, startRedisCluster, type RedisCluster } from '../support/redis-cluster.js';
import { testConfigDoc } from '../support/test-stack.js';
import { call, sleep, submit, type SubmitOutcome } from './harness/client.js';
import { followToEnd, refusalsByStatus } from './harness/follow-to-end.js';

/**
 * A master of a real Redis Cluster (3 masters, 3 replicas, cluster-node-timeout 1 s)
 * SIGKILLed while clients submit echo jobs and two executors run them, with
 * REDIS_WAIT_REPLICAS=1, then started again 3 s later (it rejoins as a replica): every 202
 * must reach a terminal state after its replica takes over; submits meanwhile are answered
 * (202, or 503 with Retry-After), never a 500 and never left hanging; and the processes
 * recover by themselves (a job submitted after the failover runs). Figures are printed
 * for docs/reliability.md.
 */
describe('a Redis Cluster master killed under load', () => {
  let cluster: RedisCluster | undefined;
  let observer: RedisClient | undefined;
  afterAll(async () => {
    await killAll();
    if (observer) await closeRedis(observer);
    await cluster?.destroy();
  });

  it.each([
    { replicas: 1, title: 'loses no acknowledged job with REDIS_WAIT_REPLICAS=1, answers 503 (never 500, never a hang) meanwhile, and recovers' },
    { replicas: 0, title: 'with REDIS_WAIT_REPLICAS=0, reports the acknowledged jobs lost with the master, answers 503 (never 500, never a hang) meanwhile, and recovers' },
  ])('$title', async ({ replicas }) => {
    await killAll();
    await cluster?.destroy();
    cluster = await startRedisCluster({ nodeTimeoutMs: 1_000 });
    const doc = testConfigDoc({ targets: { echo: { kind: 'handler', handler: 'echo', attempts: 10, concurrency: 20 } }, defaults: E2E_DEFAULTS });
    const configPath = writeConfigFile(doc);
    const env = { REDIS_CLUSTER_NODES: cluster.nodesEnv, GATEWAY_CONFIG: configPath, LOG_LEVEL: 'info', METRICS_PORT: 'off', REDIS_WAIT_REPLICAS: String(replicas), REDIS_WAIT_TIMEOUT_MS: '500' };
    const gateway = spawnEntry(GATEWAY_ENTRY, { ...env, PORT: '0' });
    const executors = [spawnEntry(EXECUTOR_ENTRY, env), spawnEntry(EXECUTOR_ENTRY, env)];
    const port = Number((await gateway.waitForLog('gateway.listening', 60_000)).port);
    for (const ex of executors) await ex.waitForLog('executor.ready', 60_000);

    // Clients: 8 loops submitting for 10 s; one master killed 3 s in.
    const outcomes: (SubmitOutcome & { at: number; retryAfter?: string })[] = [];
    const t0 = Date.now();
    const stopAt = t0 + 10_000;
    let n = 0;
    const loop = async () => {
      while (Date.now() < stopAt) {
        const i = n++;
        const at = Date.now() - t0;
        const o = await submit(port, { target: 'echo', input: { i, delayMs: 20 } });
        outcomes.push({ ...o, at });
        if (o.kind !== 'accepted') await sleep(50);
      }
    };
    const killer = (async () => {
      await sleep(3_000);
      // The master holding the most keys: most of the load's writes go there.
      const sizes = await Promise.all(
        cluster!.nodes.map(async (node) => ({ node, role: String(await ask(node.port, 'ROLE')), size: Number(await ask(node.port, 'DBSIZE')) })),
      );
      const victim = sizes.filter((s) => s.role.startsWith('master')).sort((a, b) => b.size - a.size)[0]!;
      await victim.node.stop(true);
      const at = Date.now() - t0;
      // As an orchestrator would, the dead node is started again: it rejoins as the replica of
      // the master that replaced it, which until then has no replica to confirm a WAIT.
      await sleep(3_000);
      await victim.node.start();
      return { port: victim.node.port, keys: victim.size, at, restartedAt: Date.now() - t0 };
    })();
    await Promise.all([...Array.from({ length: 8 }, loop), killer]);
    const killed = await killer;

    const accepted = outcomes.filter((o): o is SubmitOutcome & { kind: 'accepted'; at: number } => o.kind === 'accepted');
    const unanswered = outcomes.filter((o) => o.kind === 'unanswered');

    // Every 202 ends, on the promoted replica.
    const keys = createKeys(doc.server.keyPrefix as string);
    if (observer) await closeRedis(observer);
    observer = createRedis(cluster.target, 'worker', 'failover-audit');
    observer.on('error', () => undefined);
    const store = new JobStore(observer, keys);
    const { lost, unfinished, endedOtherwise } = await followToEnd(store, accepted.map((a) => a.id), 90_000);

    // And the system is whole again: a new job runs to its end.
    // Submits are confirmed again once the restarted node has synced as a replica.
    let after = await call(port, 'POST', '/v1/jobs', { target: 'echo', input: { after: true } });
    for (let tries = 0; after.status === 503 && tries < 60; tries++) {
      await sleep(500);
      after = await call(port, 'POST', '/v1/jobs', { target: 'echo', input: { after: true } });
    }
    let afterStatus = '';
    const afterDeadline = Date.now() + 30_000;
    const afterId = (after.body as { id?: string }).id;
    while (afterId && afterStatus !== 'succeeded' && Date.now() < afterDeadline) {
      afterStatus = ((await call(port, 'GET', `/v1/jobs/${afterId}`)).body as { status: string }).status;
      if (afterStatus !== 'succeeded') await sleep(200);
    }

    const statuses = refusalsByStatus(outcomes);
    process.stderr.write(
      `${JSON.stringify({
        scenario: `cluster-master-kill, REDIS_WAIT_REPLICAS=${replicas}`,
        killed,
        submitted: outcomes.length,
        accepted: accepted.length,
        refusedByStatus: statuses,
        unanswered: unanswered.length,
        lost: lost.length,
        notTerminal: unfinished.length,
        endedOtherwise,
        afterFailover: { status: after.status, ended: afterStatus },
      })}\n`,
    );

    if (process.env.FAILOVER_DEBUG) {
      for (const l of gateway.lines.filter((l) => (l.level as number) >= 40).slice(0, 30)) process.stderr.write(`${JSON.stringify(l).slice(0, 600)}\n`);
      process.stderr.write(`after: ${JSON.stringify(after.body).slice(0, 400)}\n`);
    }
    expect(killed.keys).toBeGreaterThan(0);
    expect(accepted.length).toBeGreaterThan(100);
    // Without WAIT, jobs acknowledged in the replication lag may be gone with the master:
    // counted and printed (docs/reliability.md), not failed. With it, none may be.
    if (replicas > 0) {
      expect(lost).toEqual([]);
      expect(endedOtherwise).toEqual([]);
    }
    // Whatever survived ends: nothing is left running or queued for ever.
    expect(unfinished).toEqual([]);
    // Refusals are 503s, and only 503s; none was left unanswered.
    expect(Object.keys(statuses).filter((s) => s !== '503')).toEqual([]);
    expect(unanswered).toEqual([]);
    expect(after.status).toBe(202);
    expect(afterStatus).toBe('succeeded');
  }, 240_000);
});
