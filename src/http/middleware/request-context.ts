import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Logger } from '../../core/logger.js';
import type { TraceContext, Tracing } from '../../observability/tracing.js';
import type { RequestContext } from '../context.js';

const SAFE_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * The correlation id: the caller's X-Request-Id if sane, else the W3C trace id, else
 * `fresh()` (a new UUID; the request's new trace id when tracing is on).
 */
export function correlationIdFrom(requestId: string | undefined, traceparent: string | undefined, fresh: () => string = randomUUID): string {
  if (requestId && SAFE_ID.test(requestId)) return requestId;
  const trace = traceparent ? TRACEPARENT.exec(traceparent.trim()) : null;
  if (trace && !/^0+$/.test(trace[1]!)) return trace[1]!;
  return fresh();
}

/** Paths that get no span: probes and scrapes, polled every few seconds, would bury the jobs' traces. */
const UNTRACED = new Set(['/healthz', '/readyz', '/metrics']);

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
    readonly trace: TraceContext | undefined,
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
 * Gives every request its id (echoed in X-Request-Id) and a logger bound to it, and, when
 * tracing is on, its SERVER span (ended when the response is done, or the client gone).
 * The caller is the open tenant until `authenticate` says otherwise.
 */
export function requestContext(logger: Logger, tracing?: Tracing): RequestHandler {
  return (req, res, next) => {
    const span = tracing && !UNTRACED.has(req.path) ? tracing.startRequest(req.method, req.path, req.protocol, req.headers) : undefined;
    const correlationId = correlationIdFrom(req.get('x-request-id'), req.get('traceparent'), span ? () => span.traceId : randomUUID);
    req.ctx = new Context(logger, correlationId, span?.context);
    res.setHeader('X-Request-Id', correlationId);
    if (span) res.once('close', () => span.end(res.statusCode, routeOf(req), req.ctx.tenant));
    next();
  };
}

/** The matched route's pattern, mount path included; undefined when no route matched. */
function routeOf(req: Request): string | undefined {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? `${req.baseUrl}${path}` : undefined;
}
