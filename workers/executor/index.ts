import { parseArgs } from 'node:util';
import { createLogger, redactUrl } from '../../src/core/logger.js';
import { checkRedisOrExit, loadSettings, onShutdownSignals } from '../../src/runtime/bootstrap.js';
import { startExecutorRuntime } from '../../src/runtime/executor-runtime.js';

/**
 * Executor deployment: `npm run worker:executor -- --targets echo,flaky`
 * (or EXECUTOR_TARGETS=echo,flaky). Serves every configured target by default.
 */
const { values } = parseArgs({ options: { targets: { type: 'string' } }, allowPositionals: false });
const { env, config } = loadSettings();
const logger = createLogger({ level: env.LOG_LEVEL, name: 'executor' });
const chosen = (values.targets ?? env.EXECUTOR_TARGETS)
  .split(',')
  .map((t) => t.trim())
  .filter(Boolean);
await checkRedisOrExit(env.REDIS_URL, logger);
const runtime = await startExecutorRuntime({ config, redisUrl: env.REDIS_URL, logger, targets: chosen });
logger.info({ event: 'executor.ready', redis: redactUrl(env.REDIS_URL), targets: runtime.executor.servedTargets }, 'executor ready');
onShutdownSignals(logger, () => runtime.close(env.SHUTDOWN_TIMEOUT_MS), env.SHUTDOWN_TIMEOUT_MS + 10_000);
