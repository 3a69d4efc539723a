import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { startTracing } from '../../src/observability/tracing-sdk.js';
import { startOtlpReceiver, SPAN_KIND, type OtlpReceiver } from '../support/otlp-receiver.js';
import { eventually, LogSink } from '../support/test-stack.js';

/**
 * The SDK as each process starts it: the exporter, the resource and the batch processor
 * take the standard variables, and spans reach a real OTLP/HTTP receiver on loopback.
 */
describe('startTracing', () => {
  let otlp: OtlpReceiver;
  const logs = new LogSink();
  const logger = createLogger({ level: 'info', name: 'test' }, logs);

  beforeAll(async () => {
    otlp = await startOtlpReceiver();
  });
  afterAll(() => otlp?.close());
  afterEach(() => {
    vi.unstubAllEnvs();
    otlp.spans.length = 0;
    otlp.requests.length = 0;
  });

  it('starts nothing when tracing is off', () => {
    expect(startTracing({ enabled: false }, 'gateway', logger)).toBeNull();
  });

  it('exports OTLP/HTTP JSON to OTEL_EXPORTER_OTLP_ENDPOINT, as async-gateway-<role> unless OTEL_SERVICE_NAME says otherwise', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', otlp.url);
    vi.stubEnv('OTEL_BSP_SCHEDULE_DELAY', '20');
    const executor = startTracing({ enabled: true, protocol: 'http/json' }, 'executor', logger)!;
    executor.tracing.startAttempt({ id: 'job_1', target: 'echo', tenant: 'acme', correlationId: 'c-1' }, 1, 1, 0).succeeded();
    await eventually(() => otlp.spans.length === 1, 5_000);
    expect(otlp.requests[0]).toMatchObject({ path: '/v1/traces', contentType: 'application/json' });
    expect(otlp.spans[0]).toMatchObject({ service: 'async-gateway-executor', kind: SPAN_KIND.CONSUMER, name: 'process echo' });

    vi.stubEnv('OTEL_SERVICE_NAME', 'billing-executor');
    const renamed = startTracing({ enabled: true, protocol: 'http/json' }, 'executor', logger)!;
    renamed.tracing.recordEndWithoutAttempt({ id: 'job_2', target: 'echo', tenant: 'acme', correlationId: 'c-2' }, 'canceled');
    // shutdown() exports what is buffered without waiting for the batch delay.
    vi.stubEnv('OTEL_BSP_SCHEDULE_DELAY', '60000');
    await renamed.shutdown();
    await executor.shutdown();
    expect(otlp.spans.map((s) => s.service)).toEqual(['async-gateway-executor', 'billing-executor']);
    expect(logs.lines.filter((l) => l.event === 'tracing.started').map((l) => l.serviceName)).toEqual(['async-gateway-executor', 'billing-executor']);
  });

  it('exports protobuf by default, to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', `${otlp.url}/custom/traces`);
    const gateway = startTracing({ enabled: true, protocol: 'http/protobuf' }, 'gateway', logger)!;
    gateway.tracing.startEnqueue(undefined, { id: 'job_3', target: 'echo', tenant: 'acme', correlationId: 'c-3' }, 0).end();
    await gateway.shutdown();
    expect(otlp.requests).toHaveLength(1);
    expect(otlp.requests[0]).toMatchObject({ path: '/custom/traces', contentType: 'application/x-protobuf' });
    expect(otlp.requests[0]!.bytes).toBeGreaterThan(50);
  });

  it('samples as OTEL_TRACES_SAMPLER says: always_off exports nothing', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', otlp.url);
    vi.stubEnv('OTEL_TRACES_SAMPLER', 'always_off');
    const off = startTracing({ enabled: true, protocol: 'http/json' }, 'notifier', logger)!;
    const delivery = off.tracing.startDelivery({ id: 'job_4', target: 'echo', tenant: 'acme', correlationId: 'c-4' }, 'job.succeeded', 'msg', 1, 'webhooks');
    // Not sampled, still propagated: the receiver's traceparent says "not sampled" (flags 00).
    expect(delivery.startPost('http://127.0.0.1:9/x').traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    delivery.end('delivered');
    await off.shutdown();
    expect(otlp.requests).toEqual([]);
  });
});
