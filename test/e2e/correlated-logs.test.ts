import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys } from '../support/api-keys.js';
import { E2E_DEFAULTS, EXECUTOR_ENTRY, GATEWAY_ENTRY } from '../support/e2e-world.js';
import { httpCall, killAll, logEvent, spawnEntry, writeConfigFile, type ChildEntry, type LogLine } from '../support/processes.js';
import { sample } from '../support/prom.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { eventually, testConfigDoc } from '../support/test-stack.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

const NOTIFIER_ENTRY = 'workers/notifier/index.ts';
const REDIS_PASSWORD = `r3dis-${randomUUID()}`;
const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const { tokens, auth } = apiKeys({ acme: 'client', ops: 'admin' });
const CALLBACK_PASSWORD = `cb-${randomUUID()}`;

/**
 * One request followed through three real processes (gateway, executor, notifier) by its
 * correlation id alone, as an operator would with grep: every hop logs it with the job,
 * target and tenant. And nothing secret is ever written: not the API key, the Redis
 * password, the webhook secret, nor the credentials of a refused callback URL.
 */
describe('correlated logs across processes', () => {
  let redis: RedisServer;
  let receiver: Upstream;
  let gateway: ChildEntry;
  let executor: ChildEntry;
  let notifier: ChildEntry;
  let port: number;
  const correlationId = `trace-${randomUUID()}`;
  let jobId: string;

  beforeAll(async () => {
    redis = await startRedisServer(['--requirepass', REDIS_PASSWORD]);
    receiver = await startUpstream();
    const configPath = writeConfigFile(
      testConfigDoc({
        targets: { flaky: { kind: 'handler', handler: 'flaky', attempts: 3 } },
        defaults: E2E_DEFAULTS,
        webhooks: { secrets: [WEBHOOK_SECRET], allowlist: ['127.0.0.0/8'] },
        auth,
      }),
    );
    const redisUrl = redis.url.replace('redis://', `redis://:${REDIS_PASSWORD}@`);
    const env = { REDIS_URL: redisUrl, GATEWAY_CONFIG: configPath };
    gateway = spawnEntry(GATEWAY_ENTRY, { ...env, PORT: '0' });
    executor = spawnEntry(EXECUTOR_ENTRY, env);
    notifier = spawnEntry(NOTIFIER_ENTRY, env);
    const listening = await gateway.waitForLog('gateway.listening', 60_000);
    port = Number(listening.port);
    // HOST (set to loopback for every spawned process by test/support/processes.ts) is where it listens.
    expect(listening.host).toBe('127.0.0.1');
    await executor.waitForLog('executor.ready', 60_000);
    await notifier.waitForLog('notifier.ready', 60_000);
  }, 90_000);

  afterAll(async () => {
    await killAll();
    await receiver?.close();
    await redis?.destroy();
  });

  it('lets one correlation id reassemble the whole life of a job from every process', async () => {
    const res = await httpCall(port, 'POST', '/v1/jobs', { target: 'flaky', input: { failTimes: 1 }, callback: { url: `${receiver.url}/hook` } }, {
      authorization: `Bearer ${tokens.acme}`,
      'x-request-id': correlationId,
    }).answer;
    expect(res.status).toBe(202);
    expect(res.headers['x-request-id']).toBe(correlationId);
    jobId = (res.body as { id: string }).id;
    await notifier.waitForLog(logEvent('webhook.delivered', { jobId }), 30_000);

    // Only the correlation id is used to find the lines: that is the promise.
    const mine = (p: ChildEntry, name: string) => p.lines.filter((l) => l.correlationId === correlationId).map((l) => ({ ...l, from: name }));
    const life: (LogLine & { from: string })[] = [...mine(gateway, 'gateway'), ...mine(executor, 'executor'), ...mine(notifier, 'notifier')].sort((a, b) =>
      // ISO times; a stable sort keeps each process's own order among equal milliseconds.
      String((a as Record<string, unknown>).time).localeCompare(String((b as Record<string, unknown>).time)),
    );
    const events = life.filter((l) => l.event).map((l) => `${l.from}:${l.event}`);
    // The gateway logs the acceptance once its writes are acknowledged; an executor may
    // already have started the job by then, so that line's place among the executor's is open.
    expect(events.filter((e) => e === 'gateway:job.accepted')).toHaveLength(1);
    // The end writes the webhook into the target's outbox in the same script as the success;
    // a relay queues it right after: the executor's own (kicked by the end) or, should it be
    // quicker, a gateway's.
    const queuedBy = events.filter((e) => e.endsWith(':webhook.queued'));
    expect(queuedBy).toHaveLength(1);
    expect(['executor:webhook.queued', 'gateway:webhook.queued']).toContain(queuedBy[0]);
    expect(events.filter((e) => e !== 'gateway:job.accepted').map((e) => (e === queuedBy[0] ? 'webhook.queued' : e))).toEqual([
      'executor:job.started',
      'executor:job.attempt.failed',
      'executor:job.started',
      'executor:job.succeeded',
      'webhook.queued',
      'notifier:webhook.delivered',
    ]);
    for (const line of life.filter((l) => l.event)) {
      expect(line, `${line.from} ${line.event}`).toMatchObject({ jobId, target: 'flaky', tenant: 'acme' });
    }
    const failed = life.find((l) => l.event === 'job.attempt.failed')!;
    expect(failed).toMatchObject({ attempt: 1, error: { code: 'flaky_failure' } });
    expect(typeof failed.retryDelayMs).toBe('number');

    // The same id travelled with the webhook.
    const hook = receiver.requests.find((r) => r.url === '/hook')!;
    expect(hook.headers['x-request-id']).toBe(correlationId);
    expect(String(hook.headers.traceparent)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it('serves each worker\'s own /metrics, /healthz and /readyz on its metrics port', async () => {
    const metricsPort = async (p: ChildEntry) => Number((await p.waitForLog('metrics.listening', 10_000)).port);
    const ex = await metricsPort(executor);
    const nt = await metricsPort(notifier);
    const exMetrics = await httpCall(ex, 'GET', '/metrics').answer;
    expect(exMetrics.status).toBe(200);
    const exText = String(exMetrics.body);
    expect(sample(exText, 'asyncgw_job_attempts_started_total', { target: 'flaky', process: 'executor' })).toBe(2);
    expect(sample(exText, 'asyncgw_jobs_finished_total', { target: 'flaky', outcome: 'succeeded' })).toBe(1);
    expect(sample(exText, 'asyncgw_process_resident_memory_bytes')).toBeGreaterThan(0);
    const ntText = String((await httpCall(nt, 'GET', '/metrics').answer).body);
    expect(sample(ntText, 'asyncgw_webhook_deliveries_total', { outcome: 'delivered', process: 'notifier' })).toBe(1);
    expect(sample(ntText, 'asyncgw_webhook_delivery_latency_seconds_count')).toBe(1);
    for (const p of [ex, nt]) {
      expect((await httpCall(p, 'GET', '/healthz').answer).status).toBe(200);
      expect((await httpCall(p, 'GET', '/readyz').answer).status).toBe(200);
    }
    // The gateway counts the workers it sees by their heartbeats.
    const ready = await httpCall(port, 'GET', '/readyz').answer;
    expect(ready.body).toMatchObject({ status: 'ready', checks: { workers: { flaky: 1 }, notifiers: 1 } });
  });

  it('never writes a secret: API keys, the Redis password, the webhook secret, callback URL credentials', async () => {
    // A callback URL with credentials is refused, and its password must not be echoed to the logs.
    const refused = await httpCall(port, 'POST', '/v1/jobs', { target: 'flaky', callback: { url: `http://user:${CALLBACK_PASSWORD}@127.0.0.1:9/x` } }, {
      authorization: `Bearer ${tokens.acme}`,
    }).answer;
    expect(refused.status).toBe(422);
    // A wrong key and an admin call, so that authorization headers of both kinds pass through.
    await httpCall(port, 'GET', '/v1/jobs', undefined, { authorization: `Bearer ${tokens.acme}x` }).answer;
    await httpCall(port, 'GET', '/v1/admin/targets', undefined, { authorization: `Bearer ${tokens.ops}` }).answer;
    await eventually(() => gateway.lines.length > 0);

    const everything = [gateway, executor, notifier].map((p) => JSON.stringify(p.lines) + p.stderrText()).join('\n');
    expect(everything.length).toBeGreaterThan(1_000);
    for (const secret of [tokens.acme, tokens.ops, REDIS_PASSWORD, WEBHOOK_SECRET, WEBHOOK_SECRET.slice('whsec_'.length), CALLBACK_PASSWORD]) {
      expect(everything.includes(secret), `a log contains ${secret.slice(0, 8)}…`).toBe(false);
    }
  });
});
