import type { RequestHandler, Response } from 'express';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { limitsFor } from '../../auth/tenant-limits.js';
import type { TenantsSettings } from '../../config/schema.js';
import { ApiError } from '../../core/errors.js';

/**
 * Per-tenant request rate, counted in Redis so that every gateway process shares it
 * (rate-limiter-flexible). Each answer carries the IETF RateLimit header fields; past
 * the limit the answer is 429 with Retry-After.
 */
export function tenantRateLimit(redis: Redis, prefix: string, tenants: TenantsSettings): RequestHandler {
  const limiters = new Map<string, RateLimiterRedis>();
  const limiterFor = (points: number, duration: number) => {
    const id = `${points}/${duration}`;
    let limiter = limiters.get(id);
    if (!limiter) {
      limiter = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}:${id}`, points, duration, rejectIfRedisNotReady: true });
      limiters.set(id, limiter);
    }
    return limiter;
  };
  return async (req, res, next) => {
    const { requestsPerWindow, windowSeconds } = limitsFor(tenants, req.ctx.tenant);
    try {
      const r = await limiterFor(requestsPerWindow, windowSeconds).consume(req.ctx.tenant);
      setHeaders(res, requestsPerWindow, r);
      next();
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err; // Redis itself failed: the error handler answers 503
      setHeaders(res, requestsPerWindow, err);
      throw new ApiError('rate_limited', `at most ${requestsPerWindow} requests per ${windowSeconds} s for this tenant`, {
        retryAfterSeconds: Math.max(1, Math.ceil(err.msBeforeNext / 1_000)),
      });
    }
  };
}

function setHeaders(res: Response, limit: number, r: RateLimiterRes): void {
  res.setHeader('RateLimit-Limit', String(limit));
  res.setHeader('RateLimit-Remaining', String(Math.max(0, r.remainingPoints)));
  res.setHeader('RateLimit-Reset', String(Math.max(0, Math.ceil(r.msBeforeNext / 1_000))));
}
