import { SpanKind } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tracing } from '../../src/observability/tracing.js';
import { apiKeys, bearer } from '../support/api-keys.js';
import { eventually, startStack, testConfig, type TestStack } from '../support/test-stack.js';

const { tokens, auth } = apiKeys({ acme: 'client', ops: 'admin' });

/**
 * The spans the API and the executor make, read in-process from an in-memory exporter: the
 * SERVER span's name follows the matched route (mount path included), health probes and
 * scrapes get none, and each kind of job end gets its CONSUMER span.
 */
describe('spans of the API and the executor', () => {
  const exporter = new InMemorySpanExporter();
  const tracing = new Tracing(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('test'));
  let stack: TestStack;
  const server = () => exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER);

  beforeAll(async () => {
    stack = await startStack({
      tracing,
      config: testConfig({
        targets: { echo: { kind: 'handler', handler: 'echo' }, fail: { kind: 'handler', handler: 'fail', attempts: 1 }, later: { kind: 'handler', handler: 'echo' } },
        auth,
      }),
    });
  });
  afterAll(() => stack?.close());
  beforeEach(() => exporter.reset());

  it('names each request by its route, answers included, and traces no probe or scrape', async () => {
    const submitted = await stack.request.post('/v1/jobs').set(bearer(tokens.acme)).set('Prefer', 'wait=5').send({ target: 'echo', input: {} });
    expect(submitted.status).toBe(200);
    const id = submitted.body.id as string;
    await stack.request.get(`/v1/jobs/${id}`).set(bearer(tokens.acme)).expect(200);
    await stack.request.get(`/v1/admin/jobs/${id}`).set(bearer(tokens.ops)).expect(200);
    await stack.request.get('/v1/nothing-here').set(bearer(tokens.acme)).expect(404);
    await stack.request.get('/healthz').expect(200);
    await stack.request.get('/readyz');
    await stack.request.get('/metrics').set(bearer(tokens.ops)).expect(200);
    await eventually(() => server().length >= 4);
    expect(server().map((s) => [s.name, s.attributes['http.response.status_code']])).toEqual([
      ['POST /v1/jobs', 200],
      ['GET /v1/jobs/:id', 200],
      ['GET /v1/admin/jobs/:id', 200],
      ['GET', 404],
    ]);
    expect(server()[1]!.attributes).toMatchObject({ 'http.route': '/v1/jobs/:id', 'url.path': `/v1/jobs/${id}`, 'asyncgw.tenant': 'acme' });
    // The submit's enqueue is the child of its request, and the record keeps the enqueue's context.
    const producer = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.PRODUCER)!;
    expect(producer.parentSpanContext?.spanId).toBe(server()[0]!.spanContext().spanId);
    expect((await stack.gateway.store.get(id))!.traceparent).toBe(`00-${producer.spanContext().traceId}-${producer.spanContext().spanId}-01`);
    expect(submitted.body.traceId).toBe(producer.spanContext().traceId);
  });

  it('records a dead-lettered attempt, and a job that expired before it ran, each in the trace of its job', async () => {
    const failed = await stack.request.post('/v1/jobs').set(bearer(tokens.acme)).set('Prefer', 'wait=5').send({ target: 'fail' });
    expect(failed.body.status).toBe('failed');
    const consumer = (jobId: string) => exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CONSUMER && s.attributes['asyncgw.job.id'] === jobId);
    const [attempt] = await eventually(() => (consumer(failed.body.id).length === 1 ? consumer(failed.body.id) : null));
    expect(attempt!.spanContext().traceId).toBe(failed.body.traceId);
    expect(attempt!.events.map((e) => e.name)).toEqual(['dead_lettered']);
    expect(attempt!.attributes['asyncgw.attempt.outcome']).toBe('failed');

    // Expired while its target was paused: the executor ends it without an attempt, and says so in one span.
    await stack.request.post('/v1/admin/targets/later/pause').set(bearer(tokens.ops)).expect(200);
    const stale = await stack.request.post('/v1/jobs').set(bearer(tokens.acme)).send({ target: 'later', ttl: 50, delay: 100 });
    expect(stale.status).toBe(202);
    await new Promise((r) => setTimeout(r, 300));
    await stack.request.post('/v1/admin/targets/later/resume').set(bearer(tokens.ops)).expect(200);
    const [expired] = await eventually(() => (consumer(stale.body.id).length === 1 ? consumer(stale.body.id) : null));
    expect(expired!.attributes).toMatchObject({ 'asyncgw.attempt.outcome': 'expired', 'error.type': 'expired' });
    expect(expired!.spanContext().traceId).toBe(stale.body.traceId);
    const producer = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.PRODUCER && s.attributes['asyncgw.job.id'] === stale.body.id)!;
    expect(producer.attributes['asyncgw.delay_ms']).toBe(100);
    expect(expired!.parentSpanContext?.spanId).toBe(producer.spanContext().spanId);
  });
});
