import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { RedisClusterTarget } from '../../src/config/env.js';
import { freePort } from './free-port.js';

/** One redis-server of the cluster. */
export interface ClusterNode {
  port: number;
  /** SIGKILL (a crash) or SIGTERM; its data directory stays. */
  stop(hard?: boolean): Promise<void>;
  /** Starts it again on its port and directory (it rejoins with its nodes.conf). */
  start(): Promise<void>;
  readonly running: boolean;
  /** The redis-server's process id while it runs (the benchmark samples its CPU in /proc). */
  readonly pid: number | undefined;
}

export interface RedisCluster {
  /** What REDIS_CLUSTER_NODES and the runtimes take: every node as a seed. */
  target: RedisClusterTarget;
  /** `host:port,host:port`, for REDIS_CLUSTER_NODES. */
  nodesEnv: string;
  nodes: ClusterNode[];
  /** Stops every node and removes their directories. */
  destroy(): Promise<void>;
}

/** PEM files: the nodes serve TLS only (clients, replication and the cluster bus), with this certificate, trusting `ca`. */
export interface ClusterTls {
  cert: string;
  key: string;
  ca: string;
}

export interface ClusterOptions {
  masters?: number;
  replicasPerMaster?: number;
  /** A node unreachable this long is failed over (Redis's cluster-node-timeout). */
  nodeTimeoutMs?: number;
  tls?: ClusterTls;
}

/**
 * A real Redis Cluster on loopback: `masters` masters with `replicasPerMaster` replicas
 * each (3 + 3 by default), made by `redis-cli --cluster create`, with a short
 * cluster-node-timeout so that a failover takes about a second. Resolves once every node
 * reports `cluster_state:ok` and every replica has finished its first sync: an unsynced
 * replica is never promoted, so a test that kills a master before then proves nothing.
 */
export async function startRedisCluster(opts: ClusterOptions = {}): Promise<RedisCluster> {
  const masters = opts.masters ?? 3;
  const replicas = opts.replicasPerMaster ?? 1;
  const nodeTimeoutMs = opts.nodeTimeoutMs ?? 1_000;
  const ports: number[] = [];
  // freePort() closes its probe at once: ask for them all first, then check none repeats.
  while (ports.length < masters * (1 + replicas)) {
    const p = await freePort();
    // A cluster node also listens on port + 10000 (the bus): both must be free and below 65536.
    if (!ports.includes(p) && p + 10_000 < 65_536 && !ports.includes(p + 10_000) && !ports.includes(p - 10_000)) ports.push(p);
  }
  const tls = opts.tls;
  const nodes = ports.map((port) => startNode(port, nodeTimeoutMs, tls));
  try {
    await Promise.all(nodes.map((n) => n.start()));
    const create = spawnSync(
      'redis-cli',
      [...(tls ? ['--tls', '--cacert', tls.ca] : []), '--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', String(replicas), '--cluster-yes'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed (${create.status}): ${create.stdout}\n${create.stderr}`);
    await waitUntilHealthy(ports, masters * replicas, tls);
  } catch (err) {
    await Promise.all(nodes.map((n) => n.destroy()));
    throw err;
  }
  return {
    target: { nodes: ports.map((port) => ({ host: '127.0.0.1', port })), ...(tls && { tls: true }) },
    nodesEnv: ports.map((p) => `127.0.0.1:${p}`).join(','),
    nodes,
    destroy: async () => {
      await Promise.all(nodes.map((n) => n.destroy()));
    },
  };
}

export function hasRedisCli(): boolean {
  return spawnSync('redis-cli', ['--version'], { stdio: 'ignore' }).status === 0;
}

function startNode(port: number, nodeTimeoutMs: number, tls: ClusterTls | undefined): ClusterNode & { destroy(): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'ag-cluster-'));
  let child: ChildProcess | null = null;
  const running = () => child !== null && child.exitCode === null && child.signalCode === null;
  const node = {
    port,
    get running() {
      return running();
    },
    get pid() {
      return running() ? child?.pid : undefined;
    },
    async start() {
      if (running()) return;
      child = spawn(
        'redis-server',
        [
          ...(tls
            ? ['--port', '0', '--tls-port', String(port), '--tls-cluster', 'yes', '--tls-replication', 'yes', '--tls-cert-file', tls.cert, '--tls-key-file', tls.key, '--tls-ca-cert-file', tls.ca, '--tls-auth-clients', 'no']
            : ['--port', String(port)]),
          '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction',
          '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'), '--cluster-node-timeout', String(nodeTimeoutMs),
          // Serve what a node has even while a slot elsewhere has no master: a failover must not stop the healthy two thirds.
          '--cluster-require-full-coverage', 'no',
        ],
        { stdio: 'ignore' },
      );
      await until(`redis-server on ${port} did not start`, async () => (await askNode(port, tls, 'PING')) === 'PONG');
    },
    async stop(hard = false) {
      const c = child;
      if (!c || !running()) return;
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill(hard ? 'SIGKILL' : 'SIGTERM');
      });
    },
    async destroy() {
      await node.stop(true);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return node;
}

/** Every node says the cluster is ok and knows every slot; every replica is linked to its master and done syncing. */
async function waitUntilHealthy(ports: number[], expectedReplicas: number, tls: ClusterTls | undefined): Promise<void> {
  await until('the cluster did not become healthy', async () => {
    let synced = 0;
    for (const port of ports) {
      const info = String(await askNode(port, tls, 'CLUSTER', 'INFO'));
      if (!/cluster_state:ok/.test(info) || !/cluster_slots_ok:16384/.test(info)) return false;
      const repl = String(await askNode(port, tls, 'INFO', 'replication'));
      if (/role:slave/.test(repl)) {
        if (!/master_link_status:up/.test(repl) || !/master_sync_in_progress:0/.test(repl)) return false;
        synced += 1;
      }
    }
    return synced === expectedReplicas;
  }, 60_000);
}

/** One command to one (plain) node on a throwaway connection; null when it does not answer. */
export function ask(port: number, ...command: string[]): Promise<unknown> {
  return askNode(port, undefined, ...command);
}

async function askNode(port: number, tls: ClusterTls | undefined, ...command: string[]): Promise<unknown> {
  const r = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1_000,
    ...(tls && { tls: { ca: readFileSync(tls.ca) } }),
  });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await r.call(command[0]!, ...command.slice(1));
  } catch {
    return null;
  } finally {
    r.disconnect();
  }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(what);
    await new Promise((r) => setTimeout(r, 100));
  }
}
