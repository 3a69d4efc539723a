import { parseArgs } from 'node:util';
import { describeRedis, redisTarget } from '../../src/config/env.js';
import { createLogger, redactUrl } from '../../src/core/logger.js';
import { checkRedisOrExit, loadSettings, onShutdownSignals, serveWorkerMetrics } from '../../src/runtime/bootstrap.js';
import { startExecutorRuntime } from '../../src/runtime/executor-runtime.js';
import { startTracing } from '../../src/observability/tracing-sdk.js';

/**
 * Executor deployment: `npm run worker:executor -- --targets echo,flaky`
 * (or EXECUTOR_TARGETS=echo,flaky). Serves every configured target by default.
 */
const { env, config, configPath, tracing } = loadSettings();
const chosen = chosenTargets(env.EXECUTOR_TARGETS);
const logger = createLogger({ level: env.LOG_LEVEL, name: 'executor' });
const redis = redisTarget(env);
await checkRedisOrExit(redis, logger);
const tracer = startTracing(tracing, 'executor', logger);
const runtime = await startExecutorRuntime({ config, redis, logger, targets: chosen, tracing: tracer?.tracing });
const closeMetrics = await serveWorkerMetrics(env, 9464, runtime, logger);
logger.info({ event: 'executor.ready', redis: describeRedis(redis, redactUrl), targets: runtime.executor.servedTargets, workerId: runtime.workerId }, 'executor ready');
// The metrics endpoint stays up through the drain, its /readyz answering 503.
onShutdownSignals(
  logger,
  () => runtime.close(env.SHUTDOWN_TIMEOUT_MS).finally(async () => Promise.all([closeMetrics(), tracer?.shutdown()])).then(() => undefined),
  env.SHUTDOWN_TIMEOUT_MS + 10_000,
);

/**
 * `--targets` (or EXECUTOR_TARGETS), checked against the config before anything
 * connects: a typo is a configuration error (exit 78, like a bad config file),
 * not a stack trace, and no worker starts taking jobs it would then die with.
 */
function chosenTargets(fromEnv: string): string[] {
  let values: { targets?: string | undefined };
  try {
    ({ values } = parseArgs({ options: { targets: { type: 'string' } }, allowPositionals: false }));
  } catch (err) {
    process.stderr.write(`async-gateway: ${(err as Error).message}\nusage: executor [--targets name,name...]\n`);
    process.exit(64); // EX_USAGE
  }
  const names = (values.targets ?? fromEnv)
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !config.targets.has(name));
  if (unknown.length) {
    const known = [...config.targets.keys()].join(', ');
    process.stderr.write(`async-gateway: unknown target(s) to serve: ${unknown.join(', ')} (${configPath} defines: ${known})\n`);
    process.exit(78); // EX_CONFIG
  }
  return names;
}
