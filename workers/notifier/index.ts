import { describeRedis, redisTarget } from '../../src/config/env.js';
import { createLogger, redactUrl } from '../../src/core/logger.js';
import { checkRedisOrExit, loadSettings, onShutdownSignals, serveWorkerMetrics } from '../../src/runtime/bootstrap.js';
import { startNotifierRuntime } from '../../src/runtime/notifier-runtime.js';
import { startTracing } from '../../src/observability/tracing-sdk.js';

/** Notifier deployment: `npm run worker:notifier`. Delivers the webhooks of every target. */
const { env, config, tracing } = loadSettings();
const logger = createLogger({ level: env.LOG_LEVEL, name: 'notifier' });
const redis = redisTarget(env);
await checkRedisOrExit(redis, logger);
const tracer = startTracing(tracing, 'notifier', logger);
const runtime = await startNotifierRuntime({ config, redis, logger, tracing: tracer?.tracing });
const closeMetrics = await serveWorkerMetrics(env, 9465, runtime, logger);
logger.info({ event: 'notifier.ready', redis: describeRedis(redis, redactUrl), workerId: runtime.workerId }, 'notifier ready');
onShutdownSignals(
  logger,
  () => runtime.close().finally(async () => Promise.all([closeMetrics(), tracer?.shutdown()])).then(() => undefined),
  config.webhooks.timeoutMs + 10_000,
);
