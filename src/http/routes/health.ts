import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';
import type { Redis } from 'ioredis';

const OPENAPI_PATH = fileURLToPath(new URL('../../../openapi.yaml', import.meta.url));
const READY_TIMEOUT_MS = 1_000;

/** Liveness, readiness (Redis answers a PING within a second) and the contract itself. */
export function healthRouter(redis: Redis): Router {
  const router = Router();
  let openapi: string | undefined;

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (_req, res) => {
    let timer: NodeJS.Timeout | undefined;
    const redisOk = await Promise.race([
      redis.ping().then(() => true, () => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    res.status(redisOk ? 200 : 503).json({ status: redisOk ? 'ready' : 'unavailable', checks: { redis: redisOk ? 'ok' : 'unreachable' } });
  });

  router.get('/openapi.yaml', (_req, res) => {
    openapi ??= readFileSync(OPENAPI_PATH, 'utf8');
    res.type('application/yaml').send(openapi);
  });
  return router;
}
