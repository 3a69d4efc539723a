import type { AddressInfo } from 'node:net';
import { createLogger } from './core/logger.js';
import { describeRedis, redisTarget, replicaWait } from './config/env.js';
import { redactUrl } from './core/logger.js';
import { announceAuth, checkRedisOrExit, closeServer, listen, loadSettings, onShutdownSignals } from './runtime/bootstrap.js';
import { createGatewayRuntime } from './runtime/gateway-runtime.js';
import { startTracing } from './observability/tracing-sdk.js';

/** Gateway deployment: the HTTP API only. Workers run as their own processes. */
const settings = loadSettings();
const { env, config, configPath } = settings;
const logger = createLogger({ level: env.LOG_LEVEL, name: 'gateway' });
announceAuth(settings, logger);
const redis = redisTarget(env);
await checkRedisOrExit(redis, logger);
const tracer = startTracing(settings.tracing, 'gateway', logger);
const runtime = await createGatewayRuntime({ config, redis, logger, waitReplicas: replicaWait(env), tracing: tracer?.tracing });
const server = await listen(runtime.app, env.PORT, env.HOST);
logger.info(
  { event: 'gateway.listening', port: (server.address() as AddressInfo).port, host: (server.address() as AddressInfo).address, redis: describeRedis(redis, redactUrl), config: configPath, targets: [...config.targets.keys()] },
  'gateway listening',
);
onShutdownSignals(logger, async () => {
  runtime.stopWaiting();
  await closeServer(server, Math.min(env.SHUTDOWN_TIMEOUT_MS, config.server.maxWaitSeconds * 1_000));
  await runtime.close();
  await tracer?.shutdown();
}, env.SHUTDOWN_TIMEOUT_MS + 10_000);
