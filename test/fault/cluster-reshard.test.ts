import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { JobStore } from '../../src/core/job-store.js';
import { keySlot } from '../../src/core/key-slot.js';
import { createKeys } from '../../src/core/keys.js';
import { closeRedis, createRedis, type RedisClient } from '../../src/core/redis.js';
import { E2E_DEFAULTS, EXECUTOR_ENTRY, GATEWAY_ENTRY } from '../support/e2e-world.js';
import { killAll, spawnEntry, writeConfigFile } from '../support/processes.js';
import { ask, startRedisCluster, type RedisCluster } from '../support/redis-cluster.js';
import { testConfigDoc } from '../support/test-stack.js';
import { sleep, submit, type SubmitOutcome } from './harness/client.js';
import { followToEnd, refusalsByStatus } from './harness/follow-to-end.js';

/** `redis-cli --cluster reshard`, to its end; rejects with its output when it fails. */
function reshard(port: number, from: string, to: string, slots: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-cli', ['--cluster', 'reshard', `127.0.0.1:${port}`, '--cluster-from', from, '--cluster-to', to, '--cluster-slots', String(slots), '--cluster-yes', '--cluster-pipeline', '10'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`reshard exited ${code}: ${out.slice(-2_000)}`))));
  });
}

/**
 * Every slot of the master that holds the target's queue moved to another master with
 * `redis-cli --cluster reshard` while clients submit and two executors run jobs: commands
 * meet MOVED and ASK (and TRYAGAIN for a script whose keys are half moved) and must be
 * redirected or answered 503; every 202 still ends, and nothing is lost.
 */
describe('a Redis Cluster resharded under load', () => {
  let cluster: RedisCluster | undefined;
  let observer: RedisClient | undefined;
  afterAll(async () => {
    await killAll();
    if (observer) await closeRedis(observer);
    await cluster?.destroy();
  });

  it("moves the target's slot to another master while jobs run: no acknowledged job lost, every refusal a 503", async () => {
    cluster = await startRedisCluster({ nodeTimeoutMs: 2_000 });
    const doc = testConfigDoc({ targets: { echo: { kind: 'handler', handler: 'echo', attempts: 10, concurrency: 20 } }, defaults: E2E_DEFAULTS });
    const configPath = writeConfigFile(doc);
    const env = { REDIS_CLUSTER_NODES: cluster.nodesEnv, GATEWAY_CONFIG: configPath, LOG_LEVEL: 'info', METRICS_PORT: 'off' };
    const gateway = spawnEntry(GATEWAY_ENTRY, { ...env, PORT: '0' });
    const executors = [spawnEntry(EXECUTOR_ENTRY, env), spawnEntry(EXECUTOR_ENTRY, env)];
    const port = Number((await gateway.waitForLog('gateway.listening', 60_000)).port);
    for (const ex of executors) await ex.waitForLog('executor.ready', 60_000);

    // Which master serves the echo queue's slot, and its slot count.
    const keys = createKeys(doc.server.keyPrefix as string);
    const slot = keySlot(keys.job('job_stIeAAAAAAAAAAAAAAAAAAAAAA'));
    const nodesText = String(await ask(cluster.nodes[0]!.port, 'CLUSTER', 'NODES'));
    const masters = nodesText
      .split('\n')
      .filter((l) => l.includes('master') && !l.includes('fail'))
      .map((l) => {
        const [id, addr, , , , , , , ...ranges] = l.split(' ');
        const owned = ranges.map((r) => r.split('-').map(Number)).map(([a, b]) => [a!, b ?? a!] as const);
        return { id: id!, port: Number(addr!.split(':')[1]!.split('@')[0]), owned };
      });
    const source = masters.find((m) => m.owned.some(([a, b]) => slot >= a && slot <= b))!;
    const dest = masters.find((m) => m.id !== source.id)!;
    const slotCount = source.owned.reduce((n, [a, b]) => n + b - a + 1, 0);

    const outcomes: SubmitOutcome[] = [];
    let stop = false;
    let n = 0;
    const loop = async () => {
      while (!stop) {
        const o = await submit(port, { target: 'echo', input: { i: n++, delayMs: 20 } });
        outcomes.push(o);
        if (o.kind !== 'accepted') await sleep(50);
      }
    };
    const loops = Array.from({ length: 8 }, loop);
    await sleep(2_000);
    const t0 = Date.now();
    await reshard(source.port, source.id, dest.id, slotCount);
    const reshardMs = Date.now() - t0;
    await sleep(2_000);
    stop = true;
    await Promise.all(loops);

    // The slot is the destination's now.
    const after = String(await ask(dest.port, 'CLUSTER', 'NODES'));
    const destLine = after.split('\n').find((l) => l.startsWith(dest.id))!;
    expect(destLine.split(' ').slice(8).some((r) => { const [a, b] = r.split('-').map(Number); return slot >= a! && slot <= (b ?? a!); })).toBe(true);

    const accepted = outcomes.filter((o): o is SubmitOutcome & { kind: 'accepted' } => o.kind === 'accepted');
    observer = createRedis(cluster.target, 'worker', 'reshard-audit');
    observer.on('error', () => undefined);
    const store = new JobStore(observer, keys);
    const { lost, unfinished, endedOtherwise } = await followToEnd(store, accepted.map((a) => a.id), 90_000);
    const refused = refusalsByStatus(outcomes);
    const unanswered = outcomes.filter((o) => o.kind === 'unanswered');
    process.stderr.write(
      `${JSON.stringify({ scenario: 'cluster-reshard', movedSlots: slotCount, reshardMs, submitted: outcomes.length, accepted: accepted.length, refused, unanswered: unanswered.length, lost: lost.length, notTerminal: unfinished.length, endedOtherwise })}\n`,
    );
    if (process.env.FAILOVER_DEBUG) for (const l of gateway.lines.filter((l) => (l.level as number) >= 50).slice(0, 10)) process.stderr.write(`${JSON.stringify(l).slice(0, 500)}\n`);

    expect(accepted.length).toBeGreaterThan(100);
    expect(lost).toEqual([]);
    expect(unfinished).toEqual([]);
    expect(endedOtherwise).toEqual([]);
    expect(Object.keys(refused).filter((s) => s !== '503')).toEqual([]);
    expect(unanswered).toEqual([]);
  }, 300_000);
});
