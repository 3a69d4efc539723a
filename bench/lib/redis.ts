import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { RedisTarget } from '../../src/core/redis.js';
import { freePort } from '../../test/support/free-port.js';
import { ask, startRedisCluster } from '../../test/support/redis-cluster.js';
import { track, type Child } from './procs.js';

export interface PrivateRedis {
  url: string;
  port: number;
  child: Child;
  version: string;
  stop(): Promise<void>;
}


/**
 * The run's own redis-server on a free loopback port (never the machine's shared one):
 * noeviction, no persistence (the baselines and the gateway share it, so the ratios do
 * not depend on it; docs/performance.md says so).
 */
export async function startPrivateRedis(logDir: string): Promise<PrivateRedis> {
  const version = redisVersion();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ag-bench-redis-'));
  const proc = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', '--protected-mode', 'yes'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const child = track('redis', proc, join(logDir, 'redis.log'));
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      break;
    } catch {
      probe.disconnect();
      if (Date.now() > deadline || !child.running) {
        await child.stop(0);
        throw new Error(`redis-server on ${port} did not start; see ${child.logPath}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    port,
    child,
    version,
    async stop() {
      await child.stop(5_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function redisVersion(): string {
  return /v=(\S+)/.exec(spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout ?? '')?.[1] ?? 'unknown';
}

/** One redis-server process of the run, whose CPU the runner samples. */
export interface RedisNode {
  port: number;
  pid: number;
  role: 'master' | 'replica';
  /** A replica's master's port. */
  replicaOf?: number;
}

/**
 * The run's Redis, whichever it is: the private redis-server, or a Redis Cluster. `env`
 * is what our processes and the baselines take to reach it (REDIS_URL, or
 * REDIS_CLUSTER_NODES: never both, the gateway refuses that); `target` is what
 * createRedis takes in the runner.
 */
export interface BenchRedis {
  cluster: boolean;
  target: RedisTarget;
  env: Record<string, string>;
  /** Masters first (by port), then the replicas in their masters' order. */
  nodes: RedisNode[];
  version: string;
  stop(): Promise<void>;
}

export function singleRedis(redis: PrivateRedis): BenchRedis {
  return {
    cluster: false,
    target: redis.url,
    env: { REDIS_URL: redis.url },
    nodes: [{ port: redis.port, pid: redis.child.pid, role: 'master' }],
    version: redis.version,
    stop: () => redis.stop(),
  };
}

/**
 * Longer than the test harness's 1 s: a loaded machine can delay a node's cluster-bus
 * pings, and a failover in the middle of a case would measure something else (this is
 * Redis's default).
 */
const NODE_TIMEOUT_MS = 15_000;

/**
 * A Redis Cluster of `masters` masters with a replica each, on loopback (the test
 * harness's: no persistence, noeviction, as the private redis-server). Its nodes are
 * not tracked children (their output is not kept): they are SIGKILLed when the runner
 * exits without stopping them.
 */
export async function startBenchCluster(masters = 3): Promise<BenchRedis> {
  const cluster = await startRedisCluster({ masters, replicasPerMaster: 1, nodeTimeoutMs: NODE_TIMEOUT_MS });
  const pids = cluster.nodes.map((n) => n.pid);
  const killAll = () => {
    for (const pid of pids) if (pid !== undefined) killQuietly(pid);
  };
  process.on('exit', killAll);
  const stop = async () => {
    // Once they are gone their pids may be reused: the exit hook must not kill those.
    await cluster.destroy();
    process.off('exit', killAll);
  };
  try {
    const nodes = await clusterNodes(cluster.nodes.map((n) => ({ port: n.port, pid: n.pid })));
    return { cluster: true, target: cluster.target, env: { REDIS_CLUSTER_NODES: cluster.nodesEnv }, nodes, version: redisVersion(), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** A node's own line of CLUSTER NODES (`<id> <ip:port@bus> <flags> <master id or -> ...`): its id, and its master's when it is a replica. */
async function whoAmI(port: number): Promise<{ id: string; masterId: string | null }> {
  const line = String((await ask(port, 'CLUSTER', 'NODES')) ?? '')
    .split('\n')
    .find((l) => l.split(' ')[2]?.split(',').includes('myself'));
  const [id, , flags, master] = line?.split(' ') ?? [];
  if (!id || !flags || !master) throw new Error(`cluster node ${port}: CLUSTER NODES has no line for itself`);
  return { id, masterId: flags.split(',').includes('slave') ? master : null };
}

/** Each node's role and, for a replica, its master's port, asking every node about itself. */
export async function clusterNodes(procs: readonly { port: number; pid: number | undefined }[]): Promise<RedisNode[]> {
  const selves = await Promise.all(procs.map(async (p) => ({ ...p, ...(await whoAmI(p.port)) })));
  const portOf = new Map(selves.map((n) => [n.id, n.port]));
  const nodes = selves.map(({ port, pid, masterId }): RedisNode => {
    if (pid === undefined) throw new Error(`cluster node ${port} is not running`);
    return masterId === null ? { port, pid, role: 'master' } : { port, pid, role: 'replica', replicaOf: portOf.get(masterId) ?? 0 };
  });
  return orderNodes(nodes);
}

/** Masters by port, then each master's replicas in the same order. */
function orderNodes(nodes: RedisNode[]): RedisNode[] {
  const ms = nodes.filter((n) => n.role === 'master').sort((a, b) => a.port - b.port);
  const rank = (n: RedisNode) => ms.findIndex((m) => m.port === n.replicaOf);
  const replicas = nodes.filter((n) => n.role === 'replica').sort((a, b) => rank(a) - rank(b) || a.port - b.port);
  return [...ms, ...replicas];
}
