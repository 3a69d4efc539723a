import express, { Router, type RequestHandler } from 'express';
import type { GatewayConfig } from '../../config/schema.js';
import { ApiError } from '../../core/errors.js';
import type { CapturedRequest } from '../../core/job-record.js';
import type { JobService } from '../../jobs/job-service.js';
import { respondToSubmit } from '../respond-job.js';

const PREFIX = '/v1/async/';

/**
 * Never replayed, even when a target lists them: they describe this hop's connection and
 * framing (the worker's HTTP client sets its own), the gateway's own host, or an encoding
 * the body parser has already undone (a gzip body is captured inflated).
 */
const NOT_REPLAYABLE = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'content-encoding',
]);

/**
 * Transparent mode: `ANY /v1/async/{target}/{path…}` captures the request itself
 * (method, path suffix, query, allowed headers, raw body) and answers 202; the
 * worker replays it to the http target, and `GET …/result` replays the answer.
 */
export function transparentRouter(config: GatewayConfig, service: JobService, idempotency: RequestHandler): Router {
  const router = Router();
  const rawParsers = new Map<string, RequestHandler>();

  router.all(['/v1/async/:target', '/v1/async/:target/*path'], (req, res, next) => {
    const target = config.targets.get(String(req.params.target));
    if (!target) return next(new ApiError('target_not_found', `no target named "${String(req.params.target)}"`));
    if (target.kind !== 'http') return next(new ApiError('wrong_target_kind', `target "${target.name}" runs in-code handlers; use POST /v1/jobs`));
    let parse = rawParsers.get(target.name);
    if (!parse) {
      parse = express.raw({ type: () => true, limit: target.maxBodyBytes });
      rawParsers.set(target.name, parse);
    }
    parse(req, res, next);
  });

  router.all(['/v1/async/:target', '/v1/async/:target/*path'], idempotency, async (req, res) => {
    const target = config.targets.get(String(req.params.target))!;
    if (target.kind !== 'http') throw new ApiError('wrong_target_kind');
    const request = capture(req, target.forwardHeaders);
    const record = await service.submit({
      tenant: req.ctx.tenant,
      correlationId: req.ctx.correlationId,
      target: target.name,
      payload: { kind: 'request', request },
      ...callbackFromHeader(req.get('callback-url')),
    });
    await respondToSubmit(req, res, service, config.server, record);
  });

  return router;
}

/** `Callback-Url: <url>` asks for a webhook with every event; its errors point at the header. */
function callbackFromHeader(url: string | undefined): { callback?: { url: string }; callbackPath?: string } {
  return url === undefined ? {} : { callback: { url }, callbackPath: 'header:Callback-Url' };
}

function capture(req: express.Request, allowed: readonly string[]): CapturedRequest {
  const raw = req.originalUrl;
  const q = raw.indexOf('?');
  const pathPart = q === -1 ? raw : raw.slice(0, q);
  // Everything after the raw target segment, however the client spelled the name
  // ("sh%6Fp" is "shop" to the router but two characters longer on the wire).
  const rest = pathPart.slice(PREFIX.length);
  const slash = rest.indexOf('/');
  const suffix = slash === -1 ? '' : rest.slice(slash);
  const decodedSegments = suffix.split('/').map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw new ApiError('invalid_parameter', 'the path is not valid percent-encoding');
    }
  });
  if (decodedSegments.some((s) => s === '..' || s === '.' || s.includes('/') || s.includes('\\'))) {
    throw new ApiError('invalid_parameter', 'the path may not contain dot segments or encoded slashes');
  }
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const name of allowed) {
    if (NOT_REPLAYABLE.has(name)) continue;
    const value = req.headers[name];
    if (typeof value === 'string') headers[name] = value;
    else if (Array.isArray(value)) headers[name] = value.join(', ');
  }
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  return {
    method: req.method,
    path: suffix,
    query: q === -1 ? '' : raw.slice(q + 1),
    headers: { ...headers },
    bodyBase64: body.toString('base64'),
  };
}
