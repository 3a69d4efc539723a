import { expect } from 'vitest';
import { loadConfigFile } from '../../src/config/load-config.js';
import type { GatewayConfig } from '../../src/config/schema.js';
import type { Attempt } from '../../src/core/job-schema.js';
import { handlerNames } from '../../workers/handlers/index.js';
import { spawnEntry, writeConfigFile, type ChildEntry, type SpawnOptions } from './processes.js';
import { startRedisServer, type RedisServer } from './redis-server.js';
import { eventually, startStack, testConfigDoc, type ConfigDoc, type TestStack } from './test-stack.js';

/**
 * One e2e test file's world: a private redis-server, a config file in a temp dir
 * (short locks and backoff), an in-process gateway reading that same file, and
 * helpers to spawn executor and gateway processes against it.
 */

export const EXECUTOR_ENTRY = 'workers/executor/index.ts';
export const GATEWAY_ENTRY = 'src/server.ts';
export const ALL_IN_ONE_ENTRY = 'src/main.ts';

/** Locks short enough that a dead worker's job is taken up again in about 1.5 s. */
export const E2E_DEFAULTS = {
  lockDurationMs: 1_000,
  stalledIntervalMs: 500,
  backoff: { initialDelayMs: 50, multiplier: 2, maxDelayMs: 200, jitter: 0 },
};

export interface JobDoc {
  id: string;
  status: string;
  attempts: number;
  maxAttempts: number;
  deadLettered: boolean;
  error: { code: string; message: string; retryable: boolean } | null;
  result?: unknown;
  progress: unknown;
}

export interface QueueCounts {
  waiting: number;
  delayed: number;
  active: number;
  paused: boolean;
}

export interface World {
  redis: RedisServer;
  configPath: string;
  config: GatewayConfig;
  stack: TestStack;
  /** Environment for a child on this world's Redis and config. */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Spawns an executor process and resolves once it consumes its queues. */
  spawnExecutor(extraEnv?: Record<string, string>, opts?: SpawnOptions): Promise<ChildEntry>;
  /** POST /v1/jobs on the in-process gateway; expects 202. */
  submit(body: Record<string, unknown>): Promise<JobDoc>;
  job(id: string, waitSeconds?: number): Promise<JobDoc>;
  /** Polls until the job shows `status` (the status is asserted, so a timeout names what it was). */
  untilStatus(id: string, status: string, timeoutMs?: number): Promise<JobDoc>;
  attempts(id: string): Promise<Attempt[]>;
  queueCounts(target: string): Promise<QueueCounts>;
  close(): Promise<void>;
}

export async function startWorld(doc: ConfigDoc): Promise<World> {
  const redis = await startRedisServer();
  const configPath = writeConfigFile(testConfigDoc({ ...doc, defaults: { ...E2E_DEFAULTS, ...doc.defaults } }));
  // The very file the children read, so keyPrefix and policies agree by construction.
  const config = loadConfigFile(configPath, handlerNames);
  const stack = await startStack({ config, executor: false, redis: redis.url });
  const env = (extra: Record<string, string> = {}) => ({ REDIS_URL: redis.url, GATEWAY_CONFIG: configPath, ...extra });

  const job = async (id: string, waitSeconds?: number) => {
    const res = await stack.request.get(`/v1/jobs/${id}${waitSeconds ? `?wait=${waitSeconds}` : ''}`);
    expect(res.status).toBe(200);
    return res.body as JobDoc;
  };
  let last: JobDoc | undefined;
  return {
    redis,
    configPath,
    config,
    stack,
    env,
    async spawnExecutor(extraEnv = {}, opts = {}) {
      const ex = spawnEntry(EXECUTOR_ENTRY, env(extraEnv), opts);
      await ex.waitForLog('executor.ready', 60_000);
      return ex;
    },
    async submit(body) {
      const res = await stack.request.post('/v1/jobs').send(body);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      return res.body as JobDoc;
    },
    job,
    async untilStatus(id, status, timeoutMs = 30_000) {
      try {
        return await eventually(async () => {
          last = await job(id);
          return last.status === status ? last : null;
        }, timeoutMs, 50);
      } catch {
        expect(last, `job ${id} never reached ${status}`).toMatchObject({ status });
        throw new Error('unreachable');
      }
    },
    attempts: (id) => stack.gateway.store.attempts(id),
    async queueCounts(target) {
      const res = await stack.request.get(`/v1/admin/targets/${target}`);
      expect(res.status).toBe(200);
      return res.body.counts as QueueCounts;
    },
    async close() {
      await stack.close();
      await redis.destroy();
    },
  };
}
