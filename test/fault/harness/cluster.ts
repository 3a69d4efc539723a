import { Redis } from 'ioredis';
import { loadConfigFile } from '../../../src/config/load-config.js';
import type { GatewayConfig } from '../../../src/config/schema.js';
import { JobQueues } from '../../../src/core/job-queues.js';
import { JobStore } from '../../../src/core/job-store.js';
import { createKeys, type Keys } from '../../../src/core/keys.js';
import { WebhookQueue } from '../../../src/core/webhook-queue.js';
import { handlerNames } from '../../../workers/handlers/index.js';
import { freePort } from '../../support/free-port.js';
import { killAll, removeTempDirs, spawnEntry, writeConfigFile, type ChildEntry } from '../../support/processes.js';
import { startRedisServer, type RedisServer } from '../../support/redis-server.js';
import { faultConfigDoc, type FaultConfigDoc } from './fault-config.js';

/**
 * One scenario's world, every part a real process: a private redis-server with AOF on,
 * gateways (src/server.ts), executors and notifiers, all reading one config file. The
 * test process keeps only an observer's connection (to audit what Redis holds).
 */

export const GATEWAY_ENTRY = 'src/server.ts';
export const EXECUTOR_ENTRY = 'workers/executor/index.ts';
export const NOTIFIER_ENTRY = 'workers/notifier/index.ts';

export type Fsync = 'always' | 'everysec';

export interface Gateway {
  proc: ChildEntry;
  port: number;
}

export interface ClusterOptions extends FaultConfigDoc {
  fsync?: Fsync;
  gateways?: number;
  executors?: number;
  notifiers?: number;
}

export interface Cluster {
  redis: RedisServer;
  fsync: Fsync;
  config: GatewayConfig;
  keys: Keys;
  /** Observer connection: waits out Redis outages (commands queue until it is back). */
  observer: Redis;
  store: JobStore;
  gateways: Gateway[];
  executors: ChildEntry[];
  notifiers: ChildEntry[];
  /** Every process this cluster started, killed ones included (their logs tell a job's story). */
  all: ChildEntry[];
  spawnGateway(): Promise<Gateway>;
  spawnExecutor(): Promise<ChildEntry>;
  spawnNotifier(): Promise<ChildEntry>;
  /** SIGKILLs a process and waits until it is gone; drops it from its list. */
  kill(proc: ChildEntry): Promise<void>;
  /** Gateways whose process is still running. */
  liveGateways(): Gateway[];
  /** Jobs still in a target's BullMQ queue (waiting, delayed or active). */
  queueDepth(target: string): Promise<number>;
  webhookQueueDepth(): Promise<number>;
  /** Entries in the targets' outboxes: job ends whose webhook (and in-flight release) no relay has carried out yet. */
  outboxDepth(targets: readonly string[]): Promise<number>;
  close(): Promise<void>;
}

const READY_MS = 90_000;

export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const fsync = opts.fsync ?? 'everysec';
  // Later arguments override earlier ones: startRedisServer's own default is appendonly no.
  const redis = await startRedisServer(['--appendonly', 'yes', '--appendfsync', fsync]);
  const configPath = writeConfigFile(faultConfigDoc(opts));
  const config = loadConfigFile(configPath, handlerNames);
  const keys = createKeys(config.server.keyPrefix);
  const observer = new Redis(redis.url, { maxRetriesPerRequest: null, retryStrategy: () => 200 });
  observer.on('error', () => undefined);
  const store = new JobStore(observer, keys);
  const queues = new JobQueues(observer, keys, config.targets);
  const webhookQueue = new WebhookQueue(observer, keys);

  // Worker metrics off: the workers' endpoint would listen on 0.0.0.0, and scenarios use loopback only.
  const env = (extra: Record<string, string> = {}) => ({ REDIS_URL: redis.url, GATEWAY_CONFIG: configPath, LOG_LEVEL: 'info', METRICS_PORT: 'off', ...extra });
  const gateways: Gateway[] = [];
  const executors: ChildEntry[] = [];
  const notifiers: ChildEntry[] = [];
  const all: ChildEntry[] = [];

  const cluster: Cluster = {
    redis,
    fsync,
    config,
    keys,
    observer,
    store,
    gateways,
    executors,
    notifiers,
    all,
    async spawnGateway() {
      const port = await freePort();
      const proc = spawnEntry(GATEWAY_ENTRY, env({ PORT: String(port), SHUTDOWN_TIMEOUT_MS: '5000' }));
      all.push(proc);
      await proc.waitForLog('gateway.listening', READY_MS);
      const gw = { proc, port };
      gateways.push(gw);
      return gw;
    },
    async spawnExecutor() {
      const proc = spawnEntry(EXECUTOR_ENTRY, env({ SHUTDOWN_TIMEOUT_MS: '2000' }));
      all.push(proc);
      await proc.waitForLog('executor.ready', READY_MS);
      executors.push(proc);
      return proc;
    },
    async spawnNotifier() {
      const proc = spawnEntry(NOTIFIER_ENTRY, env());
      all.push(proc);
      await proc.waitForLog('notifier.ready', READY_MS);
      notifiers.push(proc);
      return proc;
    },
    async kill(proc) {
      proc.signal('SIGKILL');
      await proc.waitForExit();
      for (const list of [executors, notifiers]) {
        const i = list.indexOf(proc);
        if (i !== -1) list.splice(i, 1);
      }
    },
    liveGateways: () => gateways.filter((g) => g.proc.running),
    async queueDepth(target) {
      const c = await queues.counts(target);
      return c.waiting + c.delayed + c.active;
    },
    async webhookQueueDepth() {
      const c = await webhookQueue.counts();
      return c.waiting + c.delayed + c.active;
    },
    async outboxDepth(targets) {
      const lengths = await Promise.all(targets.map((t) => observer.xlen(keys.outbox(t))));
      return lengths.reduce((a, b) => a + b, 0);
    },
    async close() {
      for (const p of [...gateways.map((g) => g.proc), ...executors, ...notifiers]) p.signal('SIGKILL');
      await Promise.all([...gateways.map((g) => g.proc), ...executors, ...notifiers].map((p) => p.exited));
      await Promise.allSettled([queues.close(), webhookQueue.close()]);
      observer.disconnect();
      await redis.destroy();
      removeTempDirs();
    },
  };

  // Start-up in parallel: each child spends a few seconds loading TypeScript.
  const started = await Promise.allSettled([
    ...Array.from({ length: opts.gateways ?? 1 }, () => cluster.spawnGateway()),
    ...Array.from({ length: opts.executors ?? 2 }, () => cluster.spawnExecutor()),
    ...Array.from({ length: opts.notifiers ?? 1 }, () => cluster.spawnNotifier()),
  ]);
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    // A child that never got ready is in no list yet: killAll reaches every spawned one.
    await killAll();
    await cluster.close();
    throw failed.reason;
  }
  return cluster;
}
