import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';
import type { RedisClient } from '../../core/redis.js';
import type { FleetStatus } from '../../observability/fleet-status.js';
import { READY_TIMEOUT_MS, redisAnswers, within } from '../../observability/readiness.js';

const OPENAPI_PATH = fileURLToPath(new URL('../../../openapi.yaml', import.meta.url));

/**
 * Liveness, readiness and the contract itself.
 *
 * /readyz answers 503 only when Redis does not answer: that is the one failure a gateway
 * instance cannot accept work through. Targets without a live executor are reported
 * (`status: degraded`, workers per target) with 200, because taking every gateway out
 * of a load balancer while the workers are away would refuse the very jobs the queue
 * exists to hold. No notifier counts as degraded when webhooks are configured. A monitor that wants a failing code for that asks `?strict=true`.
 */
export function healthRouter(redis: RedisClient, fleet: FleetStatus | null = null, opts: { notifierRequired?: boolean } = {}): Router {
  const router = Router();
  let openapi: string | undefined;

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (req, res) => {
    const redisOk = await redisAnswers(redis);
    if (!redisOk) {
      res.status(503).json({ status: 'unavailable', checks: { redis: 'unreachable' } });
      return;
    }
    const seen = fleet ? await within(fleet.workersSeen(), READY_TIMEOUT_MS, null) : null;
    const missing = seen ? Object.entries(seen.targets).filter(([, n]) => n === 0).map(([t]) => t) : [];
    // Without webhook secrets no job can carry a callback, and no notifier is needed.
    const noNotifier = opts.notifierRequired === true && seen?.notifiers === 0;
    const status = missing.length > 0 || noNotifier ? 'degraded' : 'ready';
    const strict = req.query.strict === 'true';
    res.status(strict && status !== 'ready' ? 503 : 200).json({
      status,
      checks: {
        redis: 'ok',
        ...(seen && { workers: seen.targets, notifiers: seen.notifiers }),
        ...(missing.length > 0 && { targetsWithoutWorkers: missing }),
      },
    });
  });

  router.get('/openapi.yaml', (_req, res) => {
    openapi ??= readFileSync(OPENAPI_PATH, 'utf8');
    res.type('application/yaml').send(openapi);
  });
  return router;
}
