import type { ErrorRequestHandler, Response } from 'express';
import { ApiError, ERROR_CATALOGUE, type ErrorCode } from '../core/errors.js';
import type { Problem } from '../core/job-schema.js';

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
  res.status(err.status).type('application/problem+json').send(JSON.stringify(problemBody(err, instance, res.req.ctx?.requestId)));
}

/** Body-parser failures, by their `type`, to our catalogue. */
const PARSER_ERRORS: Record<string, ErrorCode> = {
  'entity.parse.failed': 'malformed_json',
  'entity.too.large': 'payload_too_large',
  'encoding.unsupported': 'unsupported_media_type',
  'charset.unsupported': 'unsupported_media_type',
  'request.aborted': 'malformed_json',
  'entity.verify.failed': 'malformed_json',
};

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
  const parserType = (err as { type?: unknown })?.type;
  if (typeof parserType === 'string' && parserType in PARSER_ERRORS) {
    const code = PARSER_ERRORS[parserType]!;
    const detail = code === 'payload_too_large' ? 'request body exceeds the size limit' : code === 'malformed_json' ? 'request body is not valid JSON' : 'unsupported body encoding';
    return sendProblem(res, new ApiError(code, detail), req.originalUrl);
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

export function isRedisConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return CONNECTION_LOST.has(err.message) || err.name === 'MaxRetriesPerRequestError';
}

export { ERROR_CATALOGUE };
