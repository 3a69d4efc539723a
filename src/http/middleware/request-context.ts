import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../../core/logger.js';
import type { RequestContext } from '../context.js';

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
 * A request's context. Its child logger is made when a line is first written: most
 * requests (reads, say) log nothing, and a pino child costs as much as a small request's
 * JSON (it serialises its bindings), so the bindings wait until then.
 */
class Context implements RequestContext {
  tenant = 'public';
  role: RequestContext['role'] = 'admin';
  keyId = 'open';
  private logger: Logger | null = null;
  private readonly bindings: Record<string, string>;

  constructor(
    private readonly root: Logger,
    readonly correlationId: string,
  ) {
    this.bindings = { correlationId };
  }

  get requestId(): string {
    return this.correlationId;
  }

  get log(): Logger {
    this.logger ??= this.root.child(this.bindings);
    return this.logger;
  }

  bind(fields: Record<string, string>): void {
    if (this.logger) this.logger = this.logger.child(fields);
    else Object.assign(this.bindings, fields);
  }
}

/**
 * Gives every request its id (echoed in X-Request-Id) and a logger bound to it. The caller
 * is the open tenant until `authenticate` says otherwise.
 */
export function requestContext(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const correlationId = correlationIdFrom(req.get('x-request-id'), req.get('traceparent'));
    req.ctx = new Context(logger, correlationId);
    res.setHeader('X-Request-Id', correlationId);
    next();
  };
}
