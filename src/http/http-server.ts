import { createServer, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Express } from 'express';
import { ApiError } from '../core/errors.js';
import { problemBody } from './problem.js';

/** Request headers larger than this are refused with 431 before Express sees them. */
export const MAX_HEADER_BYTES = 16_384;

/**
 * The HTTP server for the app. Requests Node's parser refuses (oversized headers,
 * malformed framing) get a problem+json answer too, instead of a bare close.
 */
export function createHttpServer(app: Express): Server {
  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, app);
  // Long-polls and event streams are held open; keep-alive sockets close promptly on shutdown.
  server.keepAliveTimeout = 5_000;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable) return socket.destroy();
    const apiError =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? new ApiError('headers_too_large', `request headers exceed ${MAX_HEADER_BYTES} bytes`)
        : new ApiError('malformed_request', 'the request could not be parsed as HTTP');
    const body = JSON.stringify(problemBody(apiError));
    socket.end(
      `HTTP/1.1 ${apiError.status} ${apiError.title}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  return server;
}
