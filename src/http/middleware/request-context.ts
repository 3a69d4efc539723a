import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../../core/logger.js';

const SAFE_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The correlation id: the caller's X-Request-Id if sane, else the W3C trace id, else a new UUID. */
export function correlationIdFrom(requestId: string | undefined, traceparent: string | undefined): string {
  if (requestId && SAFE_ID.test(requestId)) return requestId;
  const trace = traceparent ? TRACEPARENT.exec(traceparent.trim()) : null;
  if (trace && !/^0+$/.test(trace[1]!)) return trace[1]!;
  return randomUUID();
}

/**
 * Gives every request its id (echoed in X-Request-Id) and a child logger. The caller
 * is the open tenant until `authenticate` says otherwise.
 */
export function requestContext(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const correlationId = correlationIdFrom(req.get('x-request-id'), req.get('traceparent'));
    const tenant = 'public';
    req.ctx = {
      requestId: correlationId,
      correlationId,
      tenant,
      role: 'admin',
      keyId: 'open',
      log: logger.child({ correlationId }),
    };
    res.setHeader('X-Request-Id', correlationId);
    next();
  };
}
