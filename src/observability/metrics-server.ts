import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RedisClient } from '../core/redis.js';
import { exposition, type Metrics } from './metrics.js';
import { redisAnswers } from './readiness.js';

/**
 * A worker process's own small HTTP endpoint (no Express: three fixed routes):
 * `/metrics` for Prometheus, `/healthz` (the process answers) and `/readyz` (its Redis
 * connection answers and it is not shutting down) for the orchestrator. Bound to
 * METRICS_HOST:METRICS_PORT; it serves no job data, only counters.
 */
export async function startMetricsServer(opts: {
  metrics: Metrics;
  redis: RedisClient;
  port: number;
  host: string;
  /** False once shutdown began: the orchestrator should stop routing to us. */
  isRunning: () => boolean;
}): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { status: 'method not allowed' });
    if (path === '/healthz') return json(200, { status: 'ok' });
    if (path === '/readyz') {
      void redisAnswers(opts.redis).then((redisOk) => {
        const ready = redisOk && opts.isRunning();
        json(ready ? 200 : 503, { status: ready ? 'ready' : 'unavailable', checks: { redis: redisOk ? 'ok' : 'unreachable', running: opts.isRunning() } });
      });
      return;
    }
    if (path === '/metrics') {
      void exposition(opts.metrics).then(
        ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
        () => json(500, { status: 'metrics collection failed' }),
      );
      return;
    }
    json(404, { status: 'not found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
