import type { Request } from 'express';
import type { Role } from '../auth/api-keys.js';
import type { Logger } from '../core/logger.js';
import type { TraceContext } from '../observability/tracing.js';

/** What the middleware chain learns about a request, for the routes to use. */
export interface RequestContext {
  requestId: string;
  /** Carried with the job to the worker, the upstream and the logs. */
  correlationId: string;
  /** The request's SERVER span's context, when tracing is on: a submit's enqueue span is its child. */
  readonly trace: TraceContext | undefined;
  tenant: string;
  role: Role;
  /** The API key's label; `open` when the gateway runs without keys. */
  keyId: string;
  /** The request's logger, bound to its correlation id and what `bind` added. */
  readonly log: Logger;
  /** Adds fields to every line the request's logger writes from now on (tenant, key id). */
  bind(fields: Record<string, string>): void;
}

declare module 'express-serve-static-core' {
  interface Request {
    ctx: RequestContext;
    /** The JSON body's bytes as received, for idempotency fingerprints. */
    rawBody?: Buffer;
  }
}

export function ctx(req: Request): RequestContext {
  return req.ctx;
}
