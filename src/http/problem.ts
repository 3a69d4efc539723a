import type { ErrorRequestHandler, Response } from 'express';
import { ApiError, ERROR_CATALOGUE, type ErrorCode } from '../core/errors.js';
import type { Problem } from '../core/job-schema.js';
import { setRateLimitHeaders } from './rate-limit-headers.js';

export const PROBLEM_TYPE_BASE = 'https://async-gateway.dev/problems/';

export function problemBody(err: ApiError, instance?: string, requestId?: string): Problem {
  return {
    type: PROBLEM_TYPE_BASE + err.code.replaceAll('_', '-'),
    title: err.title,
    status: err.status,
    code: err.code,
    ...(err.detail !== undefined && { detail: err.detail }),
    ...(instance !== undefined && { instance }),
    ...(requestId !== undefined && { requestId }),
    ...(err.extra.errors && { errors: err.extra.errors }),
    ...(err.extra.jobError !== undefined && { jobError: err.extra.jobError as Problem['jobError'] }),
  };
}

export function sendProblem(res: Response, err: ApiError, instance?: string): void {
  if (err.extra.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(err.extra.retryAfterSeconds));
  if (err.extra.rateLimit) setRateLimitHeaders(res, err.extra.rateLimit);
  res.status(err.status).type('application/problem+json').send(JSON.stringify(problemBody(err, instance, res.req.ctx?.requestId)));
}

/** Body-parser failures, by their `type`, to our catalogue. */
const PARSER_ERRORS: Record<string, { code: ErrorCode; detail: string }> = {
  'entity.parse.failed': { code: 'malformed_json', detail: 'request body is not valid JSON' },
  'entity.too.large': { code: 'payload_too_large', detail: 'request body exceeds the size limit' },
  'charset.unsupported': { code: 'unsupported_media_type', detail: 'unsupported charset; send UTF-8' },
  'request.aborted': { code: 'malformed_request', detail: 'the request body was cut off before its end' },
  'entity.verify.failed': { code: 'malformed_json', detail: 'request body is not valid UTF-8' },
};

/** The body encodings the parsers undo (body-parser's list on Node 20). */
export const ACCEPTED_ENCODINGS = 'gzip, deflate, br';

/**
 * A body-parser error that a decompression stream raised: zlib's codes are `Z_*`, brotli's
 * `ERR__ERROR_FORMAT_*` and the like (body-parser wraps them in a 400, keeping `code`).
 */
function isDecodeError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('Z_') || code.startsWith('ERR__'));
}

/** A request-body failure as our problem, or undefined when `err` is not one. */
export function bodyError(err: unknown, contentEncoding: string | undefined): ApiError | undefined {
  const type = (err as { type?: unknown })?.type;
  if (type === 'encoding.unsupported') {
    const name = String((err as { encoding?: unknown }).encoding ?? contentEncoding ?? '');
    return new ApiError('unsupported_content_encoding', `Content-Encoding ${JSON.stringify(name)} is not supported; send ${ACCEPTED_ENCODINGS} or identity`, {
      errors: [{ path: 'header:Content-Encoding', message: `one of ${ACCEPTED_ENCODINGS}, identity` }],
    });
  }
  if (typeof type === 'string' && type in PARSER_ERRORS) {
    const { code, detail } = PARSER_ERRORS[type]!;
    return new ApiError(code, detail);
  }
  if (isDecodeError(err)) {
    return new ApiError('malformed_body', `the body is not valid ${contentEncoding ?? 'compressed'} data`, {
      errors: [{ path: 'header:Content-Encoding', message: 'the body does not decode with this encoding' }],
    });
  }
  return undefined;
}

/**
 * Last in the chain: ApiErrors become problem+json; body-parser errors are mapped;
 * anything else is logged in full and answered with a bare 500.
 */
export function errorHandler(storeReady: () => boolean, onRedisFailure: () => void = () => undefined): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof ApiError) return sendProblem(res, err, req.originalUrl);
  const fromBody = bodyError(err, req.get('content-encoding'));
  if (fromBody) {
    // RFC 9110 15.5.16: a 415 for an encoding says which ones would do.
    if (fromBody.code === 'unsupported_content_encoding') res.setHeader('Accept-Encoding', ACCEPTED_ENCODINGS);
    return sendProblem(res, fromBody, req.originalUrl);
  }
  if (err instanceof URIError) {
    // Express could not percent-decode a path parameter.
    return sendProblem(res, new ApiError('invalid_parameter', 'the path is not valid percent-encoding'), req.originalUrl);
  }
  if (!storeReady() || isRedisConnectionError(err)) {
    onRedisFailure();
    req.ctx?.log.warn({ err }, 'Redis unavailable');
    return sendProblem(res, new ApiError('redis_unavailable', 'the job store is unreachable; retry later', { retryAfterSeconds: 1 }), req.originalUrl);
  }
  (req.ctx?.log ?? console).error({ err }, 'unhandled error');
  return sendProblem(res, new ApiError('internal_error'), req.originalUrl);
  };
}

/**
 * ioredis tells a command lost to the connection only by its message (no code): one that
 * outlived `commandTimeout`, one issued on a socket that just closed while the client still
 * said "ready" (no offline queue on the gateway), one cut off by the close. This is the one
 * place we must read messages; a connection already known closed is caught by `storeReady()`.
 */
const CONNECTION_LOST = new Set(['Command timed out', "Stream isn't writeable and enableOfflineQueue options is false", 'Connection is closed.']);

/**
 * On a Redis Cluster, a command that met a failover (its master gone, the slot map not yet
 * refreshed, the new master not yet elected) ends as one of these: ioredis's wrapper after
 * its redirections ran out, or the cluster's own refusals while a slot has no master.
 */
const CLUSTER_IN_FLUX = /^(Too many Cluster redirections\b|CLUSTERDOWN\b|TRYAGAIN\b|MOVED \d+ |ASK \d+ |Failed to refresh slots cache\b|None of startup nodes is available\b)/;

export function isRedisConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return CONNECTION_LOST.has(err.message) || err.name === 'MaxRetriesPerRequestError' || err.name === 'ClusterAllFailedError' || CLUSTER_IN_FLUX.test(err.message);
}

export { ERROR_CATALOGUE };
