import type { AddressInfo } from 'node:net';
import { createLogger, redactUrl } from './core/logger.js';
import { checkRedis, closeServer, listen, loadSettings, onShutdownSignals } from './runtime/bootstrap.js';
import { startExecutorRuntime } from './runtime/executor-runtime.js';
import { startNotifierRuntime } from './runtime/notifier-runtime.js';
import { createGatewayRuntime } from './runtime/gateway-runtime.js';
import { ensureLocalRedis } from './runtime/local-redis.js';

/** All-in-one (`npm start`): gateway, executor and notifier in one process, for a laptop, a demo or a small install. */
const { env, config, configPath } = loadSettings();
const logger = createLogger({ level: env.LOG_LEVEL, name: 'all-in-one' });
let localRedis = null;
try {
  localRedis = env.AUTO_REDIS ? await ensureLocalRedis(env.REDIS_URL, '.data', logger) : null;
  await checkRedis(env.REDIS_URL, logger);
} catch (err) {
  process.stderr.write(`async-gateway: ${(err as Error).message}\n`);
  await localRedis?.stop();
  process.exit(1);
}
const executor = await startExecutorRuntime({ config, redisUrl: env.REDIS_URL, logger });
const notifier = await startNotifierRuntime({ config, redisUrl: env.REDIS_URL, logger });
const gateway = await createGatewayRuntime({ config, redisUrl: env.REDIS_URL, logger });
const server = await listen(gateway.app, env.PORT);
const port = (server.address() as AddressInfo).port;
logger.info(
  { event: 'gateway.listening', port, redis: redactUrl(env.REDIS_URL), config: configPath, targets: [...config.targets.keys()] },
  `async-gateway listening on http://localhost:${port}`,
);
logger.warn('no API keys configured: the gateway is running OPEN; any caller may submit and read jobs');
onShutdownSignals(logger, async () => {
  await closeServer(server, Math.min(env.SHUTDOWN_TIMEOUT_MS, config.server.maxWaitSeconds * 1_000));
  await executor.close(env.SHUTDOWN_TIMEOUT_MS);
  await notifier.close();
  await gateway.close();
  await localRedis?.stop();
}, env.SHUTDOWN_TIMEOUT_MS * 2 + 10_000);
