import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Arrival {
  /** Date.now() when the request's head arrived. */
  atMs: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * The webhook receiver: a plain HTTP server on loopback that answers 204 at once.
 * It counts every request; on `/timed` it also keeps the body and wakes whoever waits
 * for that job's webhook (the idle latency case).
 */
export interface Receiver {
  url: string;
  /** Requests received so far (any path). */
  readonly count: number;
  /** Resolves with the webhook of job `id` posted to `/timed`. */
  next(id: string, timeoutMs?: number): Promise<Arrival>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  let count = 0;
  const waiting = new Map<string, (a: Arrival) => void>();
  // Webhooks that came before anyone asked for them.
  const unclaimed = new Map<string, Arrival>();
  const server = createServer((req, res) => {
    const atMs = Date.now();
    count++;
    if (req.url !== '/timed') {
      req.resume();
      req.on('end', () => {
        res.writeHead(204);
        res.end();
      });
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(204);
      res.end();
      const body = Buffer.concat(chunks).toString('utf8');
      const id = (JSON.parse(body) as { data?: { id?: string } }).data?.id;
      if (!id) return;
      const arrival = { atMs, headers: req.headers, body };
      const wake = waiting.get(id);
      if (wake) {
        waiting.delete(id);
        wake(arrival);
      } else {
        unclaimed.set(id, arrival);
      }
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get count() {
      return count;
    },
    next(id, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const early = unclaimed.get(id);
        if (early) {
          unclaimed.delete(id);
          return resolve(early);
        }
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`no webhook for ${id} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(id, (a) => {
          clearTimeout(timer);
          resolve(a);
        });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
