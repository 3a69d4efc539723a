import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/load-config.js';
import { handlerNames } from '../../workers/handlers/index.js';
import { killAll, spawnEntry, writeConfigFile } from '../support/processes.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { DEMO_TARGETS, eventually, startStack, testConfigDoc, type TestStack } from '../support/test-stack.js';

const EXECUTOR = 'workers/executor/index.ts';

describe('a worker killed mid-job', () => {
  let redis: RedisServer;
  let stack: TestStack;
  let configPath: string;
  const env = () => ({ REDIS_URL: redis.url, GATEWAY_CONFIG: configPath });
  const startExecutor = async () => {
    const ex = spawnEntry(EXECUTOR, env());
    await ex.waitForLog((l) => l.event === 'executor.ready');
    return ex;
  };
  const statusOf = async (id: string) => (await stack.request.get(`/v1/jobs/${id}`)).body as { status: string; attempts: number };

  beforeAll(async () => {
    redis = await startRedisServer();
    const doc = testConfigDoc({
      // A short lock so a dead worker's job is taken up again within about 1.5 s.
      defaults: { lockDurationMs: 1_000, stalledIntervalMs: 500 },
      targets: { echo: { ...DEMO_TARGETS.echo, attempts: 2 } },
    });
    configPath = writeConfigFile(doc);
    stack = await startStack({ config: buildConfig(doc, handlerNames), executor: false, redisUrl: redis.url });
  });
  afterEach(killAll);
  afterAll(async () => {
    await stack.close();
    await redis.destroy();
  });

  it('leaves no job behind: another worker finishes it after the lock expires', async () => {
    const a = await startExecutor();
    const { body } = await stack.request.post('/v1/jobs').send({ target: 'echo', input: { delayMs: 3_000 } });
    await eventually(async () => (await statusOf(body.id)).status === 'running');
    a.kill('SIGKILL');
    expect((await a.exited).signal).toBe('SIGKILL');

    const b = await startExecutor();
    const done = await stack.request.get(`/v1/jobs/${body.id}?wait=30`);
    expect(done.body).toMatchObject({ status: 'succeeded', attempts: 2, result: { echo: { delayMs: 3_000 } } });
    const attempts = await stack.gateway.store.attempts(body.id as string);
    expect(attempts.map((x) => [x.attempt, x.outcome, x.error?.code])).toEqual([
      [1, 'lost', 'worker_lost'],
      [2, 'succeeded', undefined],
    ]);
    expect(b.lines.some((l) => l.event === 'job.attempt.lost' && l.jobId === body.id)).toBe(true);
  });

  it('dead-letters a job whose worker dies on every attempt instead of looping', async () => {
    const { body } = await stack.request.post('/v1/jobs').send({ target: 'echo', input: { delayMs: 30_000 } });
    for (let attempt = 1; attempt <= 2; attempt++) {
      const ex = await startExecutor();
      await ex.waitForLog((l) => l.event === 'job.started' && l.jobId === body.id && l.attempt === attempt);
      ex.kill('SIGKILL');
      await ex.exited;
    }
    const last = await startExecutor();
    const done = await stack.request.get(`/v1/jobs/${body.id}?wait=30`);
    expect(done.body).toMatchObject({ status: 'failed', deadLettered: true, attempts: 2, error: { code: 'worker_lost' } });
    await last.waitForLog((l) => l.event === 'job.dead_lettered' && l.jobId === body.id);
    const attempts = await stack.gateway.store.attempts(body.id as string);
    expect(attempts.map((x) => x.outcome)).toEqual(['lost', 'lost']);
  });
});
