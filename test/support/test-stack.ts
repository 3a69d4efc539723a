import type { Metrics } from '../../src/observability/metrics.js';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { inject } from 'vitest';
import supertest from 'supertest';
import { buildConfig } from '../../src/config/load-config.js';
import type { GatewayConfig } from '../../src/config/schema.js';
import { createLogger, type Logger } from '../../src/core/logger.js';
import type { Tracing } from '../../src/observability/tracing.js';
import { createGatewayRuntime, type GatewayRuntime } from '../../src/runtime/gateway-runtime.js';
import { startExecutorRuntime, type ExecutorRuntime } from '../../src/runtime/executor-runtime.js';
import { startNotifierRuntime, type NotifierRuntime } from '../../src/runtime/notifier-runtime.js';
import { handlerNames } from '../../workers/handlers/index.js';
import { deleteMatching, keysMatching } from './redis-keys.js';
import { createRedis, type RedisClient, type RedisTarget } from '../../src/core/redis.js';

/**
 * The Redis this test file runs against: the cluster when its project provides one
 * (`redisCluster`, the cluster tier), else the run's single redis-server (`redisUrl`).
 */
export function testRedisTarget(): RedisTarget {
  const cluster = inject('redisCluster');
  return cluster ? JSON.parse(cluster) as RedisTarget : inject('redisUrl');
}

/** Log lines captured as objects, as pino wrote them. */
export class LogSink extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) if (line) this.lines.push(JSON.parse(line) as Record<string, unknown>);
    cb();
  }
}

export const uniquePrefix = () => `t${randomBytes(5).toString('hex')}`;

/** Fast defaults for tests: short backoff and locks, so retries and crash recovery take little time. */
export const FAST_DEFAULTS = {
  attempts: 3,
  timeoutMs: 10_000,
  concurrency: 5,
  backoff: { initialDelayMs: 20, multiplier: 2, maxDelayMs: 200, jitter: 0 },
  lockDurationMs: 2_000,
  stalledIntervalMs: 1_000,
};

export interface ConfigDoc {
  targets: Record<string, unknown>;
  defaults?: Record<string, unknown>;
  server?: Record<string, unknown>;
  webhooks?: Record<string, unknown>;
  auth?: Record<string, unknown>;
  tenants?: Record<string, unknown>;
  tracing?: Record<string, unknown>;
  routes?: Record<string, unknown>;
}

/** A config file document with a unique key prefix and fast defaults (for spawned processes). */
export function testConfigDoc(doc: ConfigDoc): Required<ConfigDoc> {
  return {
    server: { keyPrefix: uniquePrefix(), ...doc.server },
    defaults: { ...FAST_DEFAULTS, ...doc.defaults },
    webhooks: { ...doc.webhooks },
    auth: { ...doc.auth },
    // Tests send bursts; rate limits are tested with their own, small settings.
    tenants: { ...doc.tenants, defaults: { requestsPerWindow: 100_000, ...(doc.tenants?.defaults as object | undefined) } },
    tracing: { ...doc.tracing },
    targets: doc.targets,
    routes: { ...doc.routes },
  };
}

export function testConfig(doc: ConfigDoc): GatewayConfig {
  return buildConfig(testConfigDoc(doc), handlerNames, 'test config');
}

export const DEMO_TARGETS = {
  echo: { kind: 'handler', handler: 'echo' },
  flaky: { kind: 'handler', handler: 'flaky', attempts: 5 },
  fail: { kind: 'handler', handler: 'fail', attempts: 1 },
};

export interface TestStack {
  config: GatewayConfig;
  gateway: GatewayRuntime;
  executor: ExecutorRuntime | null;
  request: ReturnType<typeof supertest>;
  logs: LogSink;
  logger: Logger;
  /** The test's Redis: the run's single redis-server, or the cluster of the cluster project. */
  redisTarget: RedisTarget;
  /** A plain connection on the test's Redis, for assertions on what is stored. */
  redis: RedisClient;
  /** Every key matching `pattern`, from every master of a cluster (a plain KEYS asks one node). */
  keys(pattern: string): Promise<string[]>;
  startExecutor(targets?: string[]): Promise<ExecutorRuntime>;
  close(): Promise<void>;
}

export async function startStack(
  /** `metrics`: one registry shared by every part, as in `npm start`. */
  /** `tracing`: every part makes its spans with it (tests read them from an in-memory exporter). */
  opts: { config?: GatewayConfig; executor?: boolean; notifier?: boolean; redis?: RedisTarget; metrics?: Metrics; tracing?: Tracing; waitReplicas?: { replicas: number; timeoutMs: number } } = {},
): Promise<TestStack> {
  const redisTarget = opts.redis ?? testRedisTarget();
  const config = opts.config ?? testConfig({ targets: DEMO_TARGETS });
  const logs = new LogSink();
  const logger = createLogger({ level: 'debug', name: 'test' }, logs);
  const shared = { ...(opts.metrics && { metrics: opts.metrics }), ...(opts.tracing && { tracing: opts.tracing }) };
  const gateway = await createGatewayRuntime({ config, redis: redisTarget, logger, ...shared, ...(opts.waitReplicas && { waitReplicas: opts.waitReplicas }) });
  const executors: ExecutorRuntime[] = [];
  const startExecutor = async (targets?: string[]) => {
    const ex = await startExecutorRuntime({ config, redis: redisTarget, logger, ...shared, ...(targets && { targets }) });
    executors.push(ex);
    return ex;
  };
  const executor = opts.executor === false ? null : await startExecutor();
  const notifier: NotifierRuntime | null = opts.notifier ? await startNotifierRuntime({ config, redis: redisTarget, logger, ...shared }) : null;
  const redis = createRedis(redisTarget, 'worker', 'test');
  return {
    config,
    gateway,
    executor,
    request: supertest(gateway.app),
    logs,
    logger,
    redisTarget,
    keys: (pattern: string) => keysMatching(redis, pattern),
    redis,
    startExecutor,
    async close() {
      await Promise.allSettled(executors.map((e) => e.close(1_000)));
      await notifier?.close();
      await gateway.close();
      // Leave nothing behind on the shared test Redis.
      await deleteMatching(redis, `${config.server.keyPrefix}:*`);
      redis.disconnect();
    },
  };
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually<T>(check: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 10_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
