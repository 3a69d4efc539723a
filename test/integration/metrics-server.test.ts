import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { createMetrics } from '../../src/observability/metrics.js';
import { startMetricsServer } from '../../src/observability/metrics-server.js';
import { sample } from '../support/prom.js';

/** A worker's own endpoint: /metrics for Prometheus, /healthz and /readyz for its orchestrator. */
describe('worker metrics server', () => {
  const metrics = createMetrics({ process: 'executor', defaultMetrics: true });
  let redis: Redis;
  let running = true;
  let served: Awaited<ReturnType<typeof startMetricsServer>>;
  const get = (path: string, method = 'GET') => fetch(`http://127.0.0.1:${served.port}${path}`, { method });

  beforeAll(async () => {
    redis = new Redis(inject('redisUrl'));
    served = await startMetricsServer({ metrics, redis, port: 0, host: '127.0.0.1', isRunning: () => running });
  });
  afterAll(async () => {
    await served.close();
    redis.disconnect();
  });

  it('serves the registry in the Prometheus text format', async () => {
    metrics.attemptsStarted.inc({ target: 'echo' }, 3);
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(sample(text, 'asyncgw_job_attempts_started_total', { target: 'echo', process: 'executor' })).toBe(3);
    expect(sample(text, 'asyncgw_nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('is live while the process answers, ready while it runs and reaches Redis', async () => {
    expect((await get('/healthz')).status).toBe(200);
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { redis: 'ok', running: true } });
    running = false;
    const draining = await get('/readyz');
    expect(draining.status).toBe(503);
    expect(await draining.json()).toEqual({ status: 'unavailable', checks: { redis: 'ok', running: false } });
    running = true;
  });

  it('answers 404 for other paths and 405 for other methods', async () => {
    expect((await get('/nope')).status).toBe(404);
    expect((await get('/metrics', 'POST')).status).toBe(405);
  });
});
