import type { Request, RequestHandler } from 'express';
import { ApiError } from '../../core/errors.js';

/** A body announced by the request's head (chunked, or a non-zero Content-Length). */
const declaresBody = (req: Request) => req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

/**
 * Read whole: the parser saw the message's end, and a body the head announced was read by
 * the body parser (which sets `req.body`), not skipped.
 */
const readWhole = (req: Request) => req.complete && (!declaresBody(req) || req.body !== undefined);

/**
 * Nothing is admitted before the whole request has been read and found valid. Node emits a
 * request as soon as its head is parsed. When the framing that follows is refused (say
 * `Transfer-Encoding: xchunked`), the client cuts the body off, or it half-closes its side
 * after sending, the socket stops being readable and body-parser skips the body as "already
 * read": a route would see an empty body and store a job. A bodiless request is marked
 * complete a moment after it is emitted, within the same parser run, hence the second look.
 */
export const requireWholeRequest: RequestHandler = (req, _res, next) => {
  if (readWhole(req)) return next();
  setImmediate(() =>
    next(readWhole(req) ? undefined : new ApiError('malformed_request', 'the request was not received whole: its framing was refused, or its body was cut off or left unread after the client closed its side')),
  );
};
