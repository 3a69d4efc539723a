import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Express } from 'express';
import { handlerNames } from '../../workers/handlers/index.js';
import { describeRedis, loadEnv, type Env, type RedisTarget } from '../config/env.js';
import { ConfigError, loadConfigFile } from '../config/load-config.js';
import type { GatewayConfig } from '../config/schema.js';
import { tracingEnv, type TracingEnv } from '../config/tracing-env.js';
import { judgeEvictionPolicy } from '../core/eviction-policy.js';
import { redactUrl, type Logger } from '../core/logger.js';
import { closeRedis, createRedis, isCluster, masters, waitReady, type RedisClient } from '../core/redis.js';
import { createHttpServer } from '../http/http-server.js';
import type { Metrics } from '../observability/metrics.js';
import { startMetricsServer } from '../observability/metrics-server.js';

export const DEMO_CONFIG_PATH = fileURLToPath(new URL('../../config/demo.yaml', import.meta.url));

export interface Settings {
  env: Readonly<Env>;
  config: GatewayConfig;
  configPath: string;
  /** Whether this process exports traces (the standard OTEL_* variables). */
  tracing: TracingEnv;
}

/** Environment and config file, validated together; exits the process with every problem listed. */
export function loadSettings(processEnv: NodeJS.ProcessEnv = process.env): Settings {
  try {
    const env = loadEnv(processEnv);
    const tracing = tracingEnv(processEnv);
    const configPath = env.GATEWAY_CONFIG ?? DEMO_CONFIG_PATH;
    return { env, config: loadConfigFile(configPath, handlerNames), configPath, tracing };
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`async-gateway: ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}

/** Fails when Redis is unreachable or configured to evict jobs (on any master of a cluster); warns on a risky policy. */
export async function checkRedis(target: RedisTarget, logger: Logger): Promise<void> {
  const probe = createRedis(target, 'worker', 'startup-check');
  probe.on('error', () => undefined);
  try {
    await waitReady(probe, 5_000);
    for (const node of masters(probe)) {
      let policy: string | null = null;
      try {
        const reply = (await node.config('GET', 'maxmemory-policy')) as string[];
        policy = reply[1] ?? null;
      } catch {
        policy = null;
      }
      const verdict = judgeEvictionPolicy(policy);
      const where = isCluster(probe) ? ` (node ${node.options.host}:${node.options.port})` : '';
      if (!verdict.ok && verdict.fatal) throw new Error(`${verdict.reason}${where}`);
      if (!verdict.ok) logger.warn({ event: 'redis.policy', policy, ...(where && { node: `${node.options.host}:${node.options.port}` }) }, verdict.reason);
    }
  } finally {
    await closeRedis(probe);
  }
}

/**
 * What production mode (REQUIRE_API_KEYS=true) refuses to start without, one line each:
 * API keys (no running open), and `server.publicUrl` (links and Location headers are never
 * built from a client's Host header, which anyone can forge).
 */
export function productionProblems(settings: Pick<Settings, 'config' | 'env'>): string[] {
  if (!settings.env.REQUIRE_API_KEYS) return [];
  const problems: string[] = [];
  if (settings.config.auth.keys.length === 0) problems.push('auth.keys: none configured; refusing to run open');
  if (!settings.config.server.publicUrl) problems.push("server.publicUrl: required, so that links never come from a client's Host header");
  return problems;
}

/**
 * With no API keys the gateway runs open: say so loudly. In production mode
 * (REQUIRE_API_KEYS=true), refuse to start without keys or a public URL (exit 78).
 */
export function announceAuth(settings: Settings, logger: Logger): void {
  const problems = productionProblems(settings);
  if (problems.length) {
    process.stderr.write(`async-gateway: REQUIRE_API_KEYS is true but ${settings.configPath} is not fit for production:\n${problems.map((p) => `  - ${p}\n`).join('')}`);
    process.exit(78);
  }
  const keys = settings.config.auth.keys;
  if (keys.length > 0) {
    logger.info({ event: 'auth.keys', keys: keys.length, tenants: [...new Set(keys.map((k) => k.tenant))].length }, 'API keys loaded');
    return;
  }
  logger.warn({ event: 'auth.open' }, 'NO API KEYS CONFIGURED: the gateway is running OPEN; any caller may submit, read and administer jobs');
}

/** checkRedis for entry points: a clear one-line reason on stderr and exit code 1 instead of a stack trace. */
export async function checkRedisOrExit(target: RedisTarget, logger: Logger): Promise<void> {
  try {
    await checkRedis(target, logger);
  } catch (err) {
    process.stderr.write(`async-gateway: cannot use Redis at ${describeRedis(target, redactUrl)}: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

/**
 * Runs `shutdown` once on the first SIGTERM/SIGINT; later signals only log. Exits when it
 * resolves, or with code 1 after `hardDeadlineMs` when it hangs (say, Redis is gone and a
 * close waits for it forever).
 */
export function onShutdownSignals(logger: Logger, shutdown: (signal: string) => Promise<void>, hardDeadlineMs = 60_000): void {
  let started = false;
  const handle = (signal: NodeJS.Signals) => {
    if (started) {
      logger.warn({ signal }, 'shutdown already in progress');
      return;
    }
    started = true;
    logger.info({ event: 'shutdown.started', signal }, 'shutting down');
    setTimeout(() => {
      logger.error({ event: 'shutdown.timeout', hardDeadlineMs }, 'shutdown did not finish in time; exiting');
      process.exit(1);
    }, hardDeadlineMs).unref();
    shutdown(signal).then(
      () => {
        logger.info({ event: 'shutdown.complete' }, 'shutdown complete');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handle);
  process.on('SIGINT', handle);
}

export function listen(app: Express, port: number, host?: string): Promise<Server> {
  const server = createHttpServer(app);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    if (host === undefined) server.listen(port, () => resolve(server));
    else server.listen(port, host, () => resolve(server));
  });
}

/** Stops accepting, lets in-flight requests finish for `graceMs`, then cuts what remains. */
export async function closeServer(server: Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(timer);
}

/**
 * A worker's /metrics, /healthz and /readyz on METRICS_PORT (default `defaultPort`;
 * "off" serves none). A port already taken is a start-up error: Prometheus would
 * otherwise scrape some other process and report it as this one.
 */
export async function serveWorkerMetrics(
  env: Readonly<Env>,
  defaultPort: number,
  runtime: { metrics: Metrics; connection: RedisClient; isRunning(): boolean },
  logger: Logger,
): Promise<() => Promise<void>> {
  const port = env.METRICS_PORT ?? defaultPort;
  if (port === 'off') return async () => undefined;
  try {
    const served = await startMetricsServer({ metrics: runtime.metrics, redis: runtime.connection, port, host: env.METRICS_HOST, isRunning: runtime.isRunning });
    logger.info({ event: 'metrics.listening', port: served.port, host: env.METRICS_HOST }, `metrics on http://${env.METRICS_HOST}:${served.port}/metrics`);
    return served.close;
  } catch (err) {
    process.stderr.write(`async-gateway: cannot serve metrics on ${env.METRICS_HOST}:${port}: ${(err as Error).message} (set METRICS_PORT to a free port, 0 for any, or off)\n`);
    process.exit(78);
  }
}
