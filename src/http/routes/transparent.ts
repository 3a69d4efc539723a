import express, { Router, type RequestHandler } from 'express';
import type { GatewayConfig } from '../../config/schema.js';
import { ApiError } from '../../core/errors.js';
import type { CapturedRequest } from '../../core/job-record.js';
import type { JobService } from '../../jobs/job-service.js';
import { GATEWAY_CREDENTIAL_HEADERS, HOP_HEADERS } from '../../config/forward-headers.js';
import type { HttpTarget } from '../../config/schema.js';
import type { HeldRequests } from '../held-requests.js';
import { requireWholeRequest } from '../middleware/whole-request.js';
import { respondToSubmit } from '../respond-job.js';

const PREFIX = '/v1/async/';

/**
 * Transparent mode: `ANY /v1/async/{target}/{path…}` captures the request itself
 * (method, path suffix, query, allowed headers, raw body) and answers 202; the
 * worker replays it to the http target, and `GET …/result` replays the answer.
 */
export function transparentRouter(config: GatewayConfig, service: JobService, idempotency: RequestHandler, held: HeldRequests): Router {
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

  router.all(['/v1/async/:target', '/v1/async/:target/*path'], requireWholeRequest, idempotency, async (req, res) => {
    const target = config.targets.get(String(req.params.target))!;
    if (target.kind !== 'http') throw new ApiError('wrong_target_kind');
    const request = capture(req, target);
    const admitted = await service.submit({
      tenant: req.ctx.tenant,
      correlationId: req.ctx.correlationId,
      trace: req.ctx.trace,
      target: target.name,
      payload: { kind: 'request', request },
      ...callbackFromHeader(req.get('callback-url')),
    });
    await respondToSubmit(req, res, service, config.server, admitted, held);
  });

  return router;
}

/** `Callback-Url: <url>` asks for a webhook with every event; its errors point at the header. */
function callbackFromHeader(url: string | undefined): { callback?: { url: string }; callbackPath?: string } {
  return url === undefined ? {} : { callback: { url }, callbackPath: 'header:Callback-Url' };
}

/**
 * The request-target as the client sent it, in origin-form (`/v1/async/…?…`). An
 * absolute-form target (`http://host/v1/async/…`, which RFC 9112 says a server must accept)
 * is reduced to its path and query; anything else never reaches this router.
 */
function originForm(raw: string): string {
  if (raw.startsWith('/')) return raw;
  const absolute = /^https?:\/\/[^/?#]*(.*)$/i.exec(raw);
  if (!absolute) throw new ApiError('invalid_parameter', 'the request-target must be a path or an absolute http(s) URL');
  return absolute[1] || '/';
}

/** Decodes percent-escapes layer by layer (at most three), stopping at the first that is not valid. */
function decodeLayers(segment: string): string[] {
  const layers = [segment];
  let current = segment;
  for (let i = 0; i < 3 && current.includes('%'); i++) {
    try {
      current = decodeURIComponent(current);
    } catch {
      break;
    }
    layers.push(current);
  }
  return layers;
}

/**
 * Path segments an upstream could read as a step up or across: `.`/`..` however spelled
 * (percent-encoded once or twice, full-width or other compatibility forms that NFKC folds to
 * a dot, with a `;parameter` that servlet containers strip), and any segment hiding a `/`,
 * a `\` or a control character. Refused, not normalised: a gateway that normalises a path
 * differently from its upstream is how path-confusion attacks work.
 */
function unsafeSegment(segment: string): string | null {
  for (const layer of decodeLayers(segment)) {
    const folded = layer.normalize('NFKC');
    const bare = folded.split(';', 1)[0]!;
    if (bare === '.' || bare === '..') return 'dot segments';
    if (/[/\\]/.test(folded)) return 'slashes or backslashes inside a segment';
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(folded)) return 'control characters';
  }
  return null;
}

function capture(req: express.Request, target: HttpTarget): CapturedRequest {
  const raw = originForm(req.originalUrl);
  const q = raw.indexOf('?');
  const pathPart = q === -1 ? raw : raw.slice(0, q);
  // Everything after the raw target segment, however the client spelled the name
  // ("sh%6Fp" is "shop" to the router but two characters longer on the wire).
  const rest = pathPart.slice(PREFIX.length);
  const slash = rest.indexOf('/');
  const suffix = slash === -1 ? '' : rest.slice(slash);
  for (const segment of suffix.split('/')) {
    try {
      decodeURIComponent(segment);
    } catch {
      throw new ApiError('invalid_parameter', 'the path is not valid percent-encoding', { errors: [{ path: 'path', message: `segment ${JSON.stringify(segment)}` }] });
    }
    const why = unsafeSegment(segment);
    if (why) throw new ApiError('invalid_parameter', `the path may not contain ${why}`, { errors: [{ path: 'path', message: `segment ${JSON.stringify(segment)} is refused` }] });
  }
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  const take = (from: string, to: string) => {
    // A second line behind the start-up check: the gateway's own credentials never leave.
    if (GATEWAY_CREDENTIAL_HEADERS.has(from) || HOP_HEADERS.has(from) || HOP_HEADERS.has(to)) return;
    const value = req.headers[from];
    if (typeof value === 'string') headers[to] = value;
    else if (Array.isArray(value)) headers[to] = value.join(', ');
  };
  for (const name of target.forwardHeaders) take(name, name);
  for (const [from, to] of Object.entries(target.forwardHeadersAs)) take(from, to);
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  return {
    method: req.method,
    path: suffix,
    query: q === -1 ? '' : raw.slice(q + 1),
    headers: { ...headers },
    bodyBase64: body.toString('base64'),
  };
}
