import express, { type RequestHandler } from 'express';
import { ApiError } from '../../core/errors.js';

/**
 * Accepts only `application/json` (415 otherwise, a missing type included) and
 * parses it within `limitBytes` (413 beyond). Parse failures reach the error
 * handler as body-parser errors and become 400 problems.
 */
export function jsonBody(limitBytes: number): RequestHandler {
  const parse = express.json({ limit: limitBytes, strict: true, type: () => true });
  return (req, res, next) => {
    if (!req.is('application/json')) {
      next(new ApiError('unsupported_media_type', 'send the body as application/json'));
      return;
    }
    parse(req, res, next);
  };
}
