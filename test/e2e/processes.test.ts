import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/load-config.js';
import { handlerNames } from '../../workers/handlers/index.js';
import { freePort } from '../support/free-port.js';
import { killAll, spawnEntry, writeConfigFile } from '../support/processes.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { DEMO_TARGETS, eventually, startStack, testConfigDoc, type TestStack } from '../support/test-stack.js';

const EXECUTOR = 'workers/executor/index.ts';

describe('executor and gateway processes', () => {
  let redis: RedisServer;
  let stack: TestStack;
  let configPath: string;
  const env = (extra: Record<string, string> = {}) => ({ REDIS_URL: redis.url, GATEWAY_CONFIG: configPath, ...extra });
  const startExecutor = async (extra: Record<string, string> = {}, args: string[] = []) => {
    const ex = spawnEntry(EXECUTOR, env(extra), { args });
    await ex.waitForLog((l) => l.event === 'executor.ready');
    return ex;
  };
  const running = (id: string) => async () => (await stack.request.get(`/v1/jobs/${id}`)).body.status === 'running';

  beforeAll(async () => {
    redis = await startRedisServer();
    const doc = testConfigDoc({ defaults: { lockDurationMs: 1_000, stalledIntervalMs: 500 }, targets: DEMO_TARGETS });
    configPath = writeConfigFile(doc);
    stack = await startStack({ config: buildConfig(doc, handlerNames), executor: false, redisUrl: redis.url });
  });
  afterEach(killAll);
  afterAll(async () => {
    await stack.close();
    await redis.destroy();
  });

  it('cancels a job running in another process through its AbortSignal', async () => {
    const ex = await startExecutor();
    const { body } = await stack.request.post('/v1/jobs').send({ target: 'echo', input: { delayMs: 30_000 } });
    await eventually(running(body.id));
    const res = await stack.request.post(`/v1/jobs/${body.id}/cancel`);
    expect([200, 202]).toContain(res.status);
    const done = await stack.request.get(`/v1/jobs/${body.id}?wait=10`);
    expect(done.body).toMatchObject({ status: 'canceled', attempts: 1 });
    await ex.waitForLog((l) => l.event === 'job.canceled' && l.jobId === body.id);
    expect((await stack.gateway.store.attempts(body.id as string)).map((a) => a.outcome)).toEqual(['canceled']);
  });

  it('serves only the targets it is told to', async () => {
    const ex = await startExecutor({}, ['--targets', 'echo']);
    expect(ex.lines.find((l) => l.event === 'executor.started')?.targets).toEqual(['echo']);
    const flaky = await stack.request.post('/v1/jobs').send({ target: 'flaky', input: { failTimes: 0 } });
    const echo = await stack.request.post('/v1/jobs').set('Prefer', 'wait=10').send({ target: 'echo' });
    expect(echo.body.status).toBe('succeeded');
    expect((await stack.request.get(`/v1/jobs/${flaky.body.id}`)).body.status).toBe('queued');
    await stack.request.post(`/v1/jobs/${flaky.body.id}/cancel`);
  });

  it('drains on SIGTERM: a running job finishes and the process exits 0', async () => {
    const ex = await startExecutor({ SHUTDOWN_TIMEOUT_MS: '15000' });
    const { body } = await stack.request.post('/v1/jobs').send({ target: 'echo', input: { delayMs: 1_000 } });
    await eventually(running(body.id));
    ex.kill('SIGTERM');
    ex.kill('SIGTERM'); // a second signal must not start a second shutdown
    expect((await ex.exited).code).toBe(0);
    expect((await stack.request.get(`/v1/jobs/${body.id}`)).body.status).toBe('succeeded');
    expect(ex.lines.filter((l) => l.event === 'shutdown.started')).toHaveLength(1);
  });

  it('hands a job back without spending an attempt when it outlasts the drain timeout', async () => {
    const ex = await startExecutor({ SHUTDOWN_TIMEOUT_MS: '300' });
    const { body } = await stack.request.post('/v1/jobs').send({ target: 'echo', input: { delayMs: 2_000 } });
    await eventually(running(body.id));
    ex.kill('SIGTERM');
    expect((await ex.exited).code).toBe(0);
    expect(ex.lines.some((l) => l.event === 'job.handed_back' && l.jobId === body.id)).toBe(true);
    expect((await stack.request.get(`/v1/jobs/${body.id}`)).body).toMatchObject({ status: 'queued', attempts: 0 });
    await startExecutor();
    const done = await stack.request.get(`/v1/jobs/${body.id}?wait=30`);
    expect(done.body).toMatchObject({ status: 'succeeded', attempts: 1 });
  });

  it('drains the gateway on SIGTERM: an in-flight long-poll is answered, then new connections are refused', async () => {
    const port = await freePort();
    const gw = spawnEntry('src/server.ts', env({ PORT: String(port) }));
    await gw.waitForLog((l) => l.event === 'gateway.listening');
    const base = `http://127.0.0.1:${port}`;
    const submit = await fetch(`${base}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ target: 'echo', input: { delayMs: 800 } }) });
    const { id } = (await submit.json()) as { id: string };
    const poll = fetch(`${base}/v1/jobs/${id}?wait=20`);
    await gw.waitForLog((l) => l.event === 'job.accepted');
    await startExecutor();
    gw.kill('SIGTERM');
    const answered = await poll;
    expect(answered.status).toBe(200);
    expect(((await answered.json()) as { status: string }).status).toBe('succeeded');
    expect((await gw.exited).code).toBe(0);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});
