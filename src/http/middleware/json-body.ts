import { isUtf8 } from 'node:buffer';
import express, { type RequestHandler } from 'express';
import { ApiError } from '../../core/errors.js';

/**
 * Accepts only `application/json` (415 otherwise, a missing type included) and
 * parses it within `limitBytes` (413 beyond). Parse failures reach the error
 * handler as body-parser errors and become 400 problems.
 */
export function jsonBody(limitBytes: number): RequestHandler {
  const parse = express.json({
    limit: limitBytes,
    strict: true,
    type: () => true,
    verify: (req, _res, buf) => {
      // Kept for Idempotency-Key fingerprints; invalid UTF-8 is refused, not silently replaced.
      if (!isUtf8(buf)) throw Object.assign(new Error('body is not valid UTF-8'), { type: 'entity.verify.failed' });
      (req as express.Request).rawBody = buf;
    },
  });
  return (req, res, next) => {
    if (!req.is('application/json')) {
      next(new ApiError('unsupported_media_type', 'send the body as application/json'));
      return;
    }
    parse(req, res, next);
  };
}
