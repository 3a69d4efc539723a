import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys } from '../support/api-keys.js';
import { E2E_DEFAULTS, EXECUTOR_ENTRY, GATEWAY_ENTRY } from '../support/e2e-world.js';
import { startOtlpReceiver, SPAN_KIND, STATUS_ERROR, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';
import { httpCall, killAll, logEvent, spawnEntry, writeConfigFile, type ChildEntry } from '../support/processes.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { eventually, testConfigDoc } from '../support/test-stack.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

const NOTIFIER_ENTRY = 'workers/notifier/index.ts';
const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const { tokens, auth } = apiKeys({ acme: 'client' });
/** Parts of the callback URL a receiver may treat as its credential: they must never be in a span. */
const HOOK_PATH_TOKEN = `hookpath${randomUUID().replaceAll('-', '')}`;
const HOOK_QUERY_TOKEN = `hookquery${randomUUID().replaceAll('-', '')}`;
const INPUT_SECRET = `input-${randomUUID()}`;
const UPSTREAM_QUERY_TOKEN = `upq${randomUUID().replaceAll('-', '')}`;

const TRACE_ID = randomBytes(16).toString('hex');
const CLIENT_SPAN_ID = randomBytes(8).toString('hex');

/**
 * One trace per job, across three real processes exporting to a real OTLP/HTTP receiver
 * (JSON encoding): the client's traceparent is the parent of the gateway's SERVER span,
 * the enqueue is its PRODUCER child, each attempt a CONSUMER span on the executor with
 * its upstream call or handler run below it, and each webhook delivery a CONSUMER span on
 * the notifier with its POST as CLIENT span. No secret reaches an attribute.
 */
describe('tracing across processes (OTLP/HTTP JSON)', () => {
  let redis: RedisServer;
  let otlp: OtlpReceiver;
  let receiver: Upstream;
  let upstream: Upstream;
  let gateway: ChildEntry;
  let executor: ChildEntry;
  let notifier: ChildEntry;
  let port: number;

  beforeAll(async () => {
    redis = await startRedisServer();
    otlp = await startOtlpReceiver();
    receiver = await startUpstream();
    upstream = await startUpstream();
    const configPath = writeConfigFile(
      testConfigDoc({
        targets: {
          flaky: { kind: 'handler', handler: 'flaky', attempts: 3 },
          up: { kind: 'http', url: `${upstream.url}/work?key=${UPSTREAM_QUERY_TOKEN}`, attempts: 1 },
        },
        defaults: E2E_DEFAULTS,
        webhooks: { secrets: [WEBHOOK_SECRET], allowlist: ['127.0.0.0/8'] },
        auth,
      }),
    );
    const env = {
      REDIS_URL: redis.url,
      GATEWAY_CONFIG: configPath,
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      // Exports every 100 ms: the test waits for spans, not for the default 5 s batch delay.
      OTEL_BSP_SCHEDULE_DELAY: '100',
    };
    gateway = spawnEntry(GATEWAY_ENTRY, { ...env, PORT: '0' });
    executor = spawnEntry(EXECUTOR_ENTRY, env);
    notifier = spawnEntry(NOTIFIER_ENTRY, env);
    port = Number((await gateway.waitForLog('gateway.listening', 60_000)).port);
    await executor.waitForLog('executor.ready', 60_000);
    await notifier.waitForLog('notifier.ready', 60_000);
  }, 90_000);

  afterAll(async () => {
    await killAll();
    await Promise.all([receiver?.close(), upstream?.close(), otlp?.close()]);
    await redis?.destroy();
  });

  const byId = (spans: ReceivedSpan[], id: string) => spans.find((s) => s.spanId === id);
  const submit = (body: unknown, headers: Record<string, string> = {}) =>
    httpCall(port, 'POST', '/v1/jobs', body, { authorization: `Bearer ${tokens.acme}`, ...headers }).answer;

  it('makes one trace of a flaky job with a callback: request, enqueue, three attempts, the webhook', async () => {
    const res = await submit(
      { target: 'flaky', input: { failTimes: 2, note: INPUT_SECRET }, callback: { url: `${receiver.url}/${HOOK_PATH_TOKEN}?t=${HOOK_QUERY_TOKEN}` } },
      { traceparent: `00-${TRACE_ID}-${CLIENT_SPAN_ID}-01` },
    );
    expect(res.status).toBe(202);
    const job = res.body as { id: string; traceId: string };
    expect(job.traceId).toBe(TRACE_ID);
    await notifier.waitForLog(logEvent('webhook.delivered', { jobId: job.id }), 30_000);
    const mine = () => otlp.spans.filter((s) => s.traceId === TRACE_ID);
    // The webhook's two spans are the last to be exported.
    await eventually(() => mine().filter((s) => s.service === 'async-gateway-notifier').length === 2, 10_000);
    const spans = mine();

    const server = spans.filter((s) => s.kind === SPAN_KIND.SERVER);
    expect(server).toHaveLength(1);
    expect(server[0]).toMatchObject({ service: 'async-gateway-gateway', name: 'POST /v1/jobs', parentSpanId: CLIENT_SPAN_ID });
    expect(server[0]!.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/v1/jobs', 'http.response.status_code': 202, 'url.path': '/v1/jobs', 'asyncgw.tenant': 'acme' });

    const producer = spans.filter((s) => s.kind === SPAN_KIND.PRODUCER);
    expect(producer).toHaveLength(1);
    expect(producer[0]).toMatchObject({ service: 'async-gateway-gateway', name: 'send flaky', parentSpanId: server[0]!.spanId });
    expect(producer[0]!.attributes).toMatchObject({
      'messaging.system': 'bullmq',
      'messaging.operation.type': 'send',
      'messaging.destination.name': 'flaky',
      'messaging.message.id': job.id,
      'asyncgw.job.id': job.id,
      'asyncgw.tenant': 'acme',
      'asyncgw.target': 'flaky',
    });

    const attempts = spans.filter((s) => s.kind === SPAN_KIND.CONSUMER && s.service === 'async-gateway-executor').sort((a, b) => Number(a.startNs - b.startNs));
    expect(attempts.map((a) => a.attributes['asyncgw.attempt'])).toEqual([1, 2, 3]);
    expect(attempts.map((a) => a.attributes['asyncgw.attempt.outcome'])).toEqual(['failed', 'failed', 'succeeded']);
    for (const a of attempts) {
      expect(a).toMatchObject({ name: 'process flaky', parentSpanId: producer[0]!.spanId });
      expect(a.attributes).toMatchObject({ 'messaging.operation.type': 'process', 'messaging.message.id': job.id, 'asyncgw.job.id': job.id, 'asyncgw.max_attempts': 3 });
    }
    for (const failed of attempts.slice(0, 2)) {
      expect(failed.status.code).toBe(STATUS_ERROR);
      expect(failed.attributes['error.type']).toBe('flaky_failure');
      expect(failed.events.map((e) => e.name)).toEqual(['retry_scheduled']);
      expect(typeof failed.attributes['asyncgw.retry.delay_ms']).toBe('number');
    }
    expect(attempts[2]!.status.code).not.toBe(STATUS_ERROR);

    // Each attempt's handler run is its INTERNAL child.
    const handlerRuns = spans.filter((s) => s.kind === SPAN_KIND.INTERNAL);
    expect(handlerRuns.map((h) => h.parentSpanId).sort()).toEqual(attempts.map((a) => a.spanId).sort());
    expect(new Set(handlerRuns.map((h) => h.name))).toEqual(new Set(['handler flaky']));

    // The webhook: a delivery span under the enqueue, its POST below it, and the traceparent the receiver got is the POST's.
    const delivery = spans.find((s) => s.kind === SPAN_KIND.CONSUMER && s.service === 'async-gateway-notifier')!;
    expect(delivery).toMatchObject({ name: 'deliver job.succeeded', parentSpanId: producer[0]!.spanId });
    expect(delivery.attributes).toMatchObject({ 'asyncgw.webhook.event': 'job.succeeded', 'asyncgw.delivery.attempt': 1, 'asyncgw.delivery.outcome': 'delivered', 'asyncgw.job.id': job.id });
    const post = spans.find((s) => s.kind === SPAN_KIND.CLIENT && s.parentSpanId === delivery.spanId)!;
    expect(post).toMatchObject({ name: 'POST', service: 'async-gateway-notifier' });
    expect(post.attributes).toMatchObject({ 'http.request.method': 'POST', 'server.address': '127.0.0.1', 'http.response.status_code': 200 });
    const hook = receiver.requests.find((r) => r.url.startsWith(`/${HOOK_PATH_TOKEN}`))!;
    expect(hook.headers.traceparent).toBe(`00-${TRACE_ID}-${post.spanId}-01`);

    // Every span of this job hangs, through its parents, from the client's span.
    for (const s of spans) {
      let at: ReceivedSpan | undefined = s;
      for (let hops = 0; at && at.parentSpanId !== CLIENT_SPAN_ID && hops < 10; hops++) at = byId(spans, at.parentSpanId);
      expect(at?.parentSpanId, `${s.service} ${s.name} is not under the client's span`).toBe(CLIENT_SPAN_ID);
    }
  });

  it('makes the upstream call a CLIENT span whose traceparent the upstream receives', async () => {
    const res = await submit({ target: 'up', input: { secret: INPUT_SECRET } });
    expect(res.status).toBe(202);
    const job = res.body as { id: string; traceId: string };
    // No traceparent came in: the gateway started the trace, and the correlation id is its id.
    expect(res.headers['x-request-id']).toBe(job.traceId);
    await eventually(() => otlp.spans.some((s) => s.traceId === job.traceId && s.kind === SPAN_KIND.CLIENT), 15_000);
    const spans = otlp.spans.filter((s) => s.traceId === job.traceId);
    const server = spans.find((s) => s.kind === SPAN_KIND.SERVER)!;
    expect(server.parentSpanId).toBe('');
    const attempt = spans.find((s) => s.kind === SPAN_KIND.CONSUMER)!;
    expect(attempt.attributes['asyncgw.attempt.outcome']).toBe('succeeded');
    const call = spans.find((s) => s.kind === SPAN_KIND.CLIENT)!;
    expect(call).toMatchObject({ name: 'POST', parentSpanId: attempt.spanId, service: 'async-gateway-executor' });
    expect(call.attributes).toMatchObject({ 'http.request.method': 'POST', 'server.address': '127.0.0.1', 'http.response.status_code': 200, 'url.full': `${upstream.url}/work` });
    const seen = upstream.requests.find((r) => r.headers['idempotency-key'] === job.id)!;
    expect(seen.headers.traceparent).toBe(`00-${job.traceId}-${call.spanId}-01`);
  });

  it('never puts a secret in a span: API key, webhook secret, callback URL path or query, job input, query strings', async () => {
    const hooked = await submit({ target: 'flaky', input: { failTimes: 0, note: INPUT_SECRET }, callback: { url: `${receiver.url}/${HOOK_PATH_TOKEN}?t=${HOOK_QUERY_TOKEN}` } });
    const called = await submit({ target: 'up', input: { secret: INPUT_SECRET } });
    expect([hooked.status, called.status]).toEqual([202, 202]);
    const [hookedJob, calledJob] = [hooked.body, called.body] as { id: string; traceId: string }[];
    // A request refused for a bad key still gets a span: the key must not be in it.
    expect((await httpCall(port, 'GET', '/v1/jobs', undefined, { authorization: `Bearer ${tokens.acme}x` }).answer).status).toBe(401);
    await eventually(
      () =>
        otlp.spans.some((s) => s.attributes['http.response.status_code'] === 401) &&
        otlp.spans.some((s) => s.traceId === hookedJob!.traceId && s.kind === SPAN_KIND.CLIENT) &&
        otlp.spans.some((s) => s.traceId === calledJob!.traceId && s.kind === SPAN_KIND.CLIENT),
      15_000,
    );
    const everything = otlp.rawBodies.join('\n');
    for (const secret of [tokens.acme, WEBHOOK_SECRET, WEBHOOK_SECRET.slice('whsec_'.length), HOOK_PATH_TOKEN, HOOK_QUERY_TOKEN, INPUT_SECRET, UPSTREAM_QUERY_TOKEN]) {
      expect(everything.includes(secret), `a span contains ${secret.slice(0, 12)}…`).toBe(false);
    }
  });
});

/** Off unless asked for: a process told where a collector is but not to export (or told not to) sends nothing. */
describe('tracing off', () => {
  let redis: RedisServer;
  let otlp: OtlpReceiver;

  beforeAll(async () => {
    redis = await startRedisServer();
    otlp = await startOtlpReceiver();
  });

  afterAll(async () => {
    await killAll();
    await otlp?.close();
    await redis?.destroy();
  });

  it('starts no exporter and sends nothing when OTEL_TRACES_EXPORTER=none or OTEL_SDK_DISABLED=true, or nothing is set', async () => {
    const configPath = writeConfigFile(testConfigDoc({ targets: { echo: { kind: 'handler', handler: 'echo' } }, defaults: E2E_DEFAULTS }));
    const base = { REDIS_URL: redis.url, GATEWAY_CONFIG: configPath, OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_BSP_SCHEDULE_DELAY: '50' };
    const gateways = [
      spawnEntry(GATEWAY_ENTRY, { ...base, PORT: '0', OTEL_TRACES_EXPORTER: 'none' }),
      spawnEntry(GATEWAY_ENTRY, { ...base, PORT: '0', OTEL_SDK_DISABLED: 'true' }),
      spawnEntry(GATEWAY_ENTRY, { REDIS_URL: redis.url, GATEWAY_CONFIG: configPath, PORT: '0' }),
    ];
    const executor = spawnEntry(EXECUTOR_ENTRY, { ...base, OTEL_TRACES_EXPORTER: 'none' });
    await executor.waitForLog('executor.ready', 60_000);
    for (const gw of gateways) {
      const gwPort = Number((await gw.waitForLog('gateway.listening', 60_000)).port);
      const res = await httpCall(gwPort, 'POST', '/v1/jobs', { target: 'echo', input: {} }, { prefer: 'wait=5' }).answer;
      expect(res.status).toBe(200);
      expect((res.body as { status: string }).status).toBe('succeeded');
    }
    // Ten times the batch delay a traced process would have used: anything exported would be here.
    await new Promise((r) => setTimeout(r, 500));
    expect(otlp.requests).toEqual([]);
    for (const p of [...gateways, executor]) expect(p.logs('tracing.started')).toEqual([]);
  });
});

/** A collector that is down or stuck costs spans, never requests or jobs. */
describe('tracing with a collector that never answers', () => {
  let redis: RedisServer;
  let blackHole: Server;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    // Accepts connections and reads what comes, never answers.
    blackHole = createServer((socket) => {
      sockets.push(socket);
      socket.resume();
    });
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await killAll();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => blackHole?.close(() => resolve()));
    await redis?.destroy();
  });

  it('answers every submit and runs every job while exports hang, and says so in one log line', async () => {
    const configPath = writeConfigFile(testConfigDoc({ targets: { echo: { kind: 'handler', handler: 'echo' } }, defaults: E2E_DEFAULTS }));
    const env = {
      REDIS_URL: redis.url,
      GATEWAY_CONFIG: configPath,
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(blackHole.address() as { port: number }).port}`,
      OTEL_EXPORTER_OTLP_TIMEOUT: '300',
      OTEL_BSP_SCHEDULE_DELAY: '20',
      OTEL_BSP_EXPORT_TIMEOUT: '300',
      OTEL_BSP_MAX_QUEUE_SIZE: '8',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '4',
    };
    const gateway = spawnEntry(GATEWAY_ENTRY, { ...env, PORT: '0' });
    const executor = spawnEntry(EXECUTOR_ENTRY, env);
    const gwPort = Number((await gateway.waitForLog('gateway.listening', 60_000)).port);
    await executor.waitForLog('executor.ready', 60_000);
    // More spans than the queue holds, in a few rounds spread over several export timeouts.
    for (let round = 0; round < 4; round++) {
      const answers = await Promise.all(Array.from({ length: 10 }, () => httpCall(gwPort, 'POST', '/v1/jobs', { target: 'echo', input: {} }, { prefer: 'wait=10' }).answer));
      expect(answers.map((a) => [a.status, (a.body as { status: string }).status])).toEqual(Array.from({ length: 10 }, () => [200, 'succeeded']));
      await new Promise((r) => setTimeout(r, 350));
    }
    expect(sockets.length).toBeGreaterThan(0);
    await eventually(() => gateway.logs('tracing.sdk_problem').length > 0, 10_000);
    // Failures every few hundred ms, one line a minute at most.
    expect(gateway.logs('tracing.sdk_problem')).toHaveLength(1);
    expect(gateway.logs('tracing.sdk_problem')[0]!.msg).toMatch(/^OpenTelemetry: (export failed: Timeout|Dropped \d+ spans because maxQueueSize reached)$/);
  });
});
