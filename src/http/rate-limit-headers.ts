import type { Response } from 'express';
import type { RateLimitState } from '../core/errors.js';

/** The IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers), on every answer. */
export function setRateLimitHeaders(res: Response, state: RateLimitState): void {
  res.setHeader('RateLimit-Limit', String(state.limit));
  res.setHeader('RateLimit-Remaining', String(Math.max(0, state.remaining)));
  res.setHeader('RateLimit-Reset', String(Math.max(0, state.resetSeconds)));
}
