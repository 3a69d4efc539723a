import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { constants as osConstants } from 'node:os';
import { createLogger, redactUrl } from './core/logger.js';
import { describeRedis, redisTarget, replicaWait } from './config/env.js';
import { createMetrics } from './observability/metrics.js';
import { announceAuth, checkRedis, closeServer, listen, loadSettings, onShutdownSignals } from './runtime/bootstrap.js';
import { startExecutorRuntime, type ExecutorRuntime } from './runtime/executor-runtime.js';
import { createGatewayRuntime, type GatewayRuntime } from './runtime/gateway-runtime.js';
import { ensureLocalRedis, type LocalRedis } from './runtime/local-redis.js';
import { startNotifierRuntime, type NotifierRuntime } from './runtime/notifier-runtime.js';
import { startTracing } from './observability/tracing-sdk.js';

/** All-in-one (`npm start`): gateway, executor and notifier in one process, for a laptop, a demo or a small install. */
const settings = loadSettings();
const { env, config, configPath } = settings;
const logger = createLogger({ level: env.LOG_LEVEL, name: 'all-in-one' });
const redis = redisTarget(env);
announceAuth(settings, logger);
const tracer = startTracing(settings.tracing, 'all-in-one', logger);
let localRedis: LocalRedis | null = null;
let executor: ExecutorRuntime | undefined;
let notifier: NotifierRuntime | undefined;
let gateway: GatewayRuntime | undefined;
let server: Server;
// A signal during start-up (before onShutdownSignals below) would kill us outright and leave
// the redis-server we may start orphaned in its own process group: exit through process.exit
// instead, which stops it (see ensureLocalRedis).
const exitDuringStartup = (signal: NodeJS.Signals) => process.exit(128 + (osConstants.signals[signal] ?? 0));
process.once('SIGINT', exitDuringStartup);
process.once('SIGTERM', exitDuringStartup);
try {
  // A private redis-server stands in for a single Redis only: a cluster is the operator's.
  localRedis = env.AUTO_REDIS && typeof redis === 'string' ? await ensureLocalRedis(redis, '.data', logger) : null;
  await checkRedis(redis, logger);
  // One registry for the three parts: the gateway's /metrics shows them all.
  const metrics = createMetrics({ process: 'all-in-one', defaultMetrics: true });
  const tracing = tracer?.tracing;
  executor = await startExecutorRuntime({ config, redis, logger, metrics, tracing });
  notifier = await startNotifierRuntime({ config, redis, logger, metrics, tracing });
  gateway = await createGatewayRuntime({ config, redis, logger, metrics, tracing, waitReplicas: replicaWait(env) });
  server = await listen(gateway.app, env.PORT, env.HOST);
} catch (err) {
  // Whatever fails (Redis, the port already taken), undo what started: above all the
  // redis-server we may have launched, which would otherwise outlive us holding its port.
  process.stderr.write(`async-gateway: ${(err as Error).message}\n`);
  await executor?.close(0);
  await notifier?.close();
  await gateway?.close();
  await localRedis?.stop();
  process.exit(1);
}
const port = (server.address() as AddressInfo).port;
logger.info(
  { event: 'gateway.listening', port, host: (server.address() as AddressInfo).address, redis: describeRedis(redis, redactUrl), config: configPath, targets: [...config.targets.keys()] },
  `async-gateway listening on http://localhost:${port}`,
);
const running = { executor, notifier, gateway };
process.off('SIGINT', exitDuringStartup);
process.off('SIGTERM', exitDuringStartup);
onShutdownSignals(logger, async () => {
  running.gateway.stopWaiting();
  await closeServer(server, Math.min(env.SHUTDOWN_TIMEOUT_MS, config.server.maxWaitSeconds * 1_000));
  await running.executor.close(env.SHUTDOWN_TIMEOUT_MS);
  await running.notifier.close();
  await running.gateway.close();
  await tracer?.shutdown();
  await localRedis?.stop();
}, env.SHUTDOWN_TIMEOUT_MS * 2 + 10_000);
