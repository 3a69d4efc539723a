import cors from 'cors';
import type { RequestHandler } from 'express';

/**
 * CORS for the configured origins only (off by default): browsers may send the
 * gateway's request headers and read the ones a poller needs.
 */
export function corsFor(origins: readonly string[]): RequestHandler {
  return cors({
    origin: [...origins],
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'Prefer', 'X-Request-Id', 'traceparent', 'Callback-Url', 'Last-Event-ID'],
    exposedHeaders: ['Location', 'Operation-Location', 'Retry-After', 'Preference-Applied', 'X-Request-Id', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Idempotent-Replayed'],
    maxAge: 600,
  });
}
