import { connect, type AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type ErrorRequestHandler } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../src/core/errors.js';
import { requireWholeRequest } from '../../src/http/middleware/whole-request.js';
import { eventually } from '../support/test-stack.js';

/** Sends raw bytes, optionally shutting our side after them, and returns the raw answer. */
function raw(port: number, request: string, halfClose: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => (halfClose ? socket.end(request) : socket.write(request)));
    let data = '';
    socket.on('data', (c: Buffer) => (data += c.toString()));
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
    socket.setTimeout(5_000, () => socket.destroy(new Error('no answer')));
  });
}

/**
 * The guard on its own, behind a step that takes a while (as the gateway's Redis round trips
 * do): by the time body-parser runs, a half-closed client's socket is no longer readable, so
 * body-parser skips the body as "already read" and the route would see none.
 */
describe('requireWholeRequest', () => {
  /** What the app did with each request: admitted with n bytes, or refused with a code. */
  const outcomes: string[] = [];
  let server: Server;
  let port: number;
  beforeAll(async () => {
    const app = express();
    const slowStep: express.RequestHandler = (_req, _res, next) => void setTimeout(next, 100);
    app.post('/x', slowStep, express.raw({ type: () => true }), requireWholeRequest, (req, res) => {
      outcomes.push(`admitted ${Buffer.isBuffer(req.body) ? req.body.length : 'no'} bytes`);
      res.status(202).send(`got ${Buffer.isBuffer(req.body) ? req.body.length : 0} bytes`);
    });
    const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
      outcomes.push(err instanceof ApiError ? `refused ${err.code}` : 'crashed');
      res.status(err instanceof ApiError ? err.status : 500).send(err instanceof ApiError ? err.code : 'unexpected');
    };
    app.use(onError);
    server = app.listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const post = (body: string) => `POST /x HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;

  it('refuses a request whose body the parser skipped because the client had closed its side', async () => {
    outcomes.length = 0;
    // Node gives no answer to a client that half-closed before it was answered: judge by what the app did.
    await raw(port, post('hello'), true);
    await eventually(() => outcomes.length === 1);
    expect(outcomes).toEqual(['refused malformed_request']);
  });

  it('lets a request through that was read whole, with a body or without', async () => {
    outcomes.length = 0;
    expect(await raw(port, post('hello'), false)).toMatch(/^HTTP\/1\.1 202 [^]*got 5 bytes/);
    expect(await raw(port, post(''), false)).toMatch(/^HTTP\/1\.1 202 [^]*got 0 bytes/);
    expect(outcomes).toEqual(['admitted 5 bytes', 'admitted 0 bytes']);
  });
});
