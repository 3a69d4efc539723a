import type { Request, RequestHandler } from 'express';
import type { BatchedRateLimiter } from '../../auth/batched-rate-limiter.js';
import { ApiError } from '../../core/errors.js';
import { setRateLimitHeaders } from '../rate-limit-headers.js';

/**
 * The tenant's request rate, shared by every gateway process through Redis (see
 * BatchedRateLimiter for how closely). Each answer carries the IETF RateLimit header
 * fields; past the limit the answer is 429 with Retry-After. Submits (`exempt`) are counted
 * by their admission script instead, exactly and in the same round trip as their quota.
 */
export function tenantRateLimit(limiter: BatchedRateLimiter, exempt: (req: Request) => boolean): RequestHandler {
  return async (req, res, next) => {
    if (exempt(req)) return next();
    const { allowed, state, windowSeconds } = await limiter.take(req.ctx.tenant);
    setRateLimitHeaders(res, state);
    if (!allowed) {
      throw new ApiError('rate_limited', `at most ${state.limit} requests per ${windowSeconds} s for this tenant`, { retryAfterSeconds: Math.max(1, state.resetSeconds), rateLimit: state });
    }
    next();
  };
}
