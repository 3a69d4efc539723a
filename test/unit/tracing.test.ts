import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { traceIdFor } from '../../src/core/trace-context.js';
import { Tracing, type TracedJob } from '../../src/observability/tracing.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracing = new Tracing(provider.getTracer('test'));
const spans = () => exporter.getFinishedSpans();
const only = (kind: SpanKind): ReadableSpan => {
  const found = spans().filter((s) => s.kind === kind);
  expect(found).toHaveLength(1);
  return found[0]!;
};
const parentId = (s: ReadableSpan) => s.parentSpanContext?.spanId;

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER = '00f067aa0ba902b7';
const job: TracedJob = { id: 'job_stIeAAAAAAAAAAAAAAAAAAAAAA', target: 'echo', tenant: 'acme', correlationId: 'order-42' };

afterEach(() => exporter.reset());

describe('Tracing: the gateway side', () => {
  it("makes the request's SERVER span a child of the caller's traceparent, named by its route", () => {
    const req = tracing.startRequest('POST', '/v1/jobs', 'http', { traceparent: `00-${TRACE}-${CALLER}-01` });
    expect(req.traceId).toBe(TRACE);
    req.end(202, '/v1/jobs', 'acme');
    const s = only(SpanKind.SERVER);
    expect(s.name).toBe('POST /v1/jobs');
    expect(parentId(s)).toBe(CALLER);
    expect(s.attributes).toEqual({
      'http.request.method': 'POST',
      'url.path': '/v1/jobs',
      'url.scheme': 'http',
      'http.route': '/v1/jobs',
      'http.response.status_code': 202,
      'asyncgw.tenant': 'acme',
    });
    expect(s.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('starts a new trace for a missing or malformed traceparent, and marks only a 5xx as an error', () => {
    tracing.startRequest('GET', '/nowhere', 'http', { traceparent: 'garbage' }).end(404, undefined, undefined);
    tracing.startRequest('GET', '/v1/jobs/x', 'https', {}).end(503, '/v1/jobs/:id', 'acme');
    const [notFound, busy] = spans();
    expect(notFound!.parentSpanContext).toBeUndefined();
    expect(notFound!.name).toBe('GET');
    expect(notFound!.status.code).toBe(SpanStatusCode.UNSET);
    expect(busy!.status.code).toBe(SpanStatusCode.ERROR);
    expect(busy!.attributes['error.type']).toBe('503');
    expect(notFound!.spanContext().traceId).not.toBe(busy!.spanContext().traceId);
  });

  it("makes the enqueue a PRODUCER child of the request, whose traceparent is what the job keeps", () => {
    const req = tracing.startRequest('POST', '/v1/jobs', 'http', { traceparent: `00-${TRACE}-${CALLER}-01` });
    const enqueue = tracing.startEnqueue(req.context, job, 1_500);
    enqueue.end();
    req.end(202, '/v1/jobs', 'acme');
    const producer = only(SpanKind.PRODUCER);
    expect(enqueue.traceparent).toBe(`00-${TRACE}-${producer.spanContext().spanId}-01`);
    expect(parentId(producer)).toBe(only(SpanKind.SERVER).spanContext().spanId);
    expect(producer.name).toBe('send echo');
    expect(producer.attributes).toMatchObject({ 'messaging.system': 'bullmq', 'messaging.operation.type': 'send', 'messaging.destination.name': 'echo', 'messaging.message.id': job.id, 'asyncgw.delay_ms': 1_500, 'asyncgw.correlation_id': 'order-42' });
  });

  it("follows a caller's not-sampled decision, and the job carries it to its attempts", () => {
    const req = tracing.startRequest('POST', '/v1/jobs', 'http', { traceparent: `00-${TRACE}-${CALLER}-00` });
    const enqueue = tracing.startEnqueue(req.context, job, 0);
    expect(enqueue.traceparent).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-00$`));
    enqueue.end();
    req.end(202, '/v1/jobs', 'acme');
    const attempt = tracing.startAttempt({ ...job, traceparent: enqueue.traceparent }, 1, 1, 0);
    // Still propagated, as not sampled, to the upstream.
    expect(attempt.startUpstreamCall('GET', 'http://up.example/x').traceparent).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-00$`));
    attempt.succeeded();
    expect(spans()).toEqual([]);
  });

  it('marks a refused enqueue with its error code', () => {
    tracing.startEnqueue(undefined, job, 0).end(Object.assign(new Error('at most 5 unfinished jobs'), { code: 'quota_exceeded' }));
    const producer = only(SpanKind.PRODUCER);
    expect(producer.attributes['error.type']).toBe('quota_exceeded');
    expect(producer.status).toEqual({ code: SpanStatusCode.ERROR, message: 'at most 5 unfinished jobs' });
    expect(producer.attributes['asyncgw.delay_ms']).toBeUndefined();
  });
});

describe('Tracing: the executor side', () => {
  const kept = `00-${TRACE}-aaaaaaaaaaaaaaaa-01`;

  it('hangs every attempt from the span the job keeps, and records a retry as an event on a failed span', () => {
    const first = tracing.startAttempt({ ...job, traceparent: kept }, 1, 3, 12);
    first.retrying({ code: 'upstream_status', message: 'HTTP 503', retryable: true }, 400);
    tracing.startAttempt({ ...job, traceparent: kept }, 2, 3, 0).succeeded();
    const [a1, a2] = spans();
    for (const a of [a1!, a2!]) {
      expect(a.kind).toBe(SpanKind.CONSUMER);
      expect(a.spanContext().traceId).toBe(TRACE);
      expect(parentId(a)).toBe('aaaaaaaaaaaaaaaa');
      expect(a.name).toBe('process echo');
    }
    expect(a1!.attributes).toMatchObject({ 'asyncgw.attempt': 1, 'asyncgw.max_attempts': 3, 'asyncgw.queue.wait_ms': 12, 'asyncgw.attempt.outcome': 'failed', 'error.type': 'upstream_status', 'asyncgw.retry.delay_ms': 400 });
    expect(a1!.events.map((e) => [e.name, e.attributes])).toEqual([['retry_scheduled', { 'asyncgw.retry.delay_ms': 400 }]]);
    expect(a1!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'HTTP 503' });
    expect(a2!.attributes['asyncgw.attempt.outcome']).toBe('succeeded');
    expect(a2!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("puts the attempts of a job admitted untraced in one trace: its correlation id's", () => {
    tracing.startAttempt(job, 1, 2, 0).handedBack();
    tracing.startAttempt(job, 1, 2, 0).deadLettered({ code: 'timeout', message: 'no answer in 5000 ms', retryable: true });
    const [a, b] = spans();
    expect(a!.spanContext().traceId).toBe(traceIdFor('order-42'));
    expect(b!.spanContext().traceId).toBe(traceIdFor('order-42'));
    expect(parentId(a!)).toBe(parentId(b!));
    expect(a!.attributes['asyncgw.attempt.outcome']).toBe('handed_back');
    expect(b!.events.map((e) => e.name)).toEqual(['dead_lettered']);
    expect(b!.attributes['error.type']).toBe('timeout');
  });

  it('makes the upstream call a CLIENT child with no query or credentials in its URL, its traceparent its own', () => {
    const attempt = tracing.startAttempt({ ...job, traceparent: kept }, 1, 1, 0);
    const call = attempt.startUpstreamCall('PUT', 'https://user:pw@billing.example:8443/v1/invoices?api_key=s3cret');
    call.end(404);
    const other = attempt.startUpstreamCall('GET', 'http://billing.example/ping');
    other.end(null, 'ETIMEDOUT');
    attempt.deadLettered({ code: 'upstream_status', message: 'HTTP 404', retryable: false });
    const [put, get] = spans().filter((s) => s.kind === SpanKind.CLIENT);
    const consumer = only(SpanKind.CONSUMER);
    expect(parentId(put!)).toBe(consumer.spanContext().spanId);
    expect(call.traceparent).toBe(`00-${TRACE}-${put!.spanContext().spanId}-01`);
    expect(put!.name).toBe('PUT');
    expect(put!.attributes).toEqual({
      'http.request.method': 'PUT',
      'server.address': 'billing.example',
      'server.port': 8443,
      'url.full': 'https://billing.example:8443/v1/invoices',
      'http.response.status_code': 404,
      'error.type': '404',
    });
    expect(put!.status.code).toBe(SpanStatusCode.ERROR);
    expect(get!.attributes).toMatchObject({ 'server.port': 80, 'error.type': 'ETIMEDOUT' });
    expect(get!.attributes['http.response.status_code']).toBeUndefined();
  });

  it("makes a handler's run an INTERNAL child, an error when it threw", () => {
    const attempt = tracing.startAttempt(job, 1, 1, 0);
    attempt.startHandler('resize').end(Object.assign(new Error('bad image'), { code: 'invalid_input' }));
    attempt.lockLost();
    const internal = only(SpanKind.INTERNAL);
    expect(internal.name).toBe('handler resize');
    expect(parentId(internal)).toBe(only(SpanKind.CONSUMER).spanContext().spanId);
    expect(internal.attributes).toMatchObject({ 'asyncgw.handler': 'resize', 'error.type': 'invalid_input' });
    expect(only(SpanKind.CONSUMER).attributes['asyncgw.attempt.outcome']).toBe('lock_lost');
  });

  it('records a job ended without an attempt as one span that says why', () => {
    tracing.recordEndWithoutAttempt({ ...job, traceparent: kept }, 'expired', { code: 'expired', message: 'waited longer than 60000 ms', retryable: false });
    tracing.recordEndWithoutAttempt({ ...job, traceparent: kept }, 'canceled');
    const [expired, canceled] = spans();
    expect(expired!.attributes).toMatchObject({ 'asyncgw.attempt.outcome': 'expired', 'error.type': 'expired' });
    expect(canceled!.attributes['asyncgw.attempt.outcome']).toBe('canceled');
    expect(canceled!.status.code).toBe(SpanStatusCode.UNSET);
  });
});

describe('Tracing: the notifier side', () => {
  it('makes a delivery a CONSUMER span with its POST below it, and never records the receiver URL beyond host and port', () => {
    const delivery = tracing.startDelivery({ ...job, traceparent: `00-${TRACE}-bbbbbbbbbbbbbbbb-01` }, 'job.failed', 'msg_1', 2, 'webhooks');
    const post = delivery.startPost('https://hooks.example/services/T0/B0/SECRETPATH?token=SECRETQUERY');
    post.end(500);
    delivery.end('retrying', 30_000);
    const consumer = only(SpanKind.CONSUMER);
    const client = only(SpanKind.CLIENT);
    expect(consumer.name).toBe('deliver job.failed');
    expect(parentId(consumer)).toBe('bbbbbbbbbbbbbbbb');
    expect(parentId(client)).toBe(consumer.spanContext().spanId);
    expect(consumer.attributes).toMatchObject({ 'messaging.destination.name': 'webhooks', 'messaging.message.id': 'msg_1', 'asyncgw.webhook.event': 'job.failed', 'asyncgw.delivery.attempt': 2, 'asyncgw.delivery.outcome': 'retrying', 'error.type': 'webhook_retrying' });
    expect(consumer.events.map((e) => e.name)).toEqual(['retry_scheduled']);
    expect(client.attributes).toEqual({ 'http.request.method': 'POST', 'server.address': 'hooks.example', 'server.port': 443, 'http.response.status_code': 500, 'error.type': '500' });
    expect(JSON.stringify([consumer.attributes, client.attributes])).not.toMatch(/SECRET/);
  });

  it('marks a delivery that ran out of attempts as dead-lettered', () => {
    const delivery = tracing.startDelivery(job, 'job.succeeded', 'msg_2', 9, 'webhooks');
    delivery.startPost('http://127.0.0.1:9/hook').end(null, 'ECONNREFUSED');
    delivery.end('failed');
    expect(only(SpanKind.CONSUMER).events.map((e) => e.name)).toEqual(['dead_lettered']);
    expect(only(SpanKind.CLIENT).attributes['error.type']).toBe('ECONNREFUSED');
  });
});
