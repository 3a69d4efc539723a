import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the upstream saw it. */
export interface RecordedRequest {
  method: string;
  /** The request target exactly as sent: path and raw query. */
  url: string;
  headers: IncomingHttpHeaders;
  /** Header names and values in wire order, duplicates kept. */
  rawHeaders: string[];
  body: Buffer;
  /** When the request's head arrived (Date.now()). */
  atMs: number;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Cut the connection instead of answering. */
  destroy?: boolean;
  /** Write these bytes to the socket instead of an HTTP answer, then close it. */
  raw?: string | Buffer;
}

/** Decides the answer to each request; `index` counts from 0 since this responder was installed. */
export type Responder = (req: RecordedRequest, index: number) => Reply | Promise<Reply>;

export interface Upstream {
  /** http://127.0.0.1:<port>, no trailing slash. */
  url: string;
  requests: RecordedRequest[];
  /** Answers in order, the last one repeating; or a function that decides per request. */
  respondWith(...script: [Responder] | Reply[]): void;
  /** Same as respondWith with a list (kept for older tests). */
  replies(...r: Reply[]): void;
  /** Forgets the recorded requests and goes back to the default answer (200, `{"ok":true}`). */
  reset(): void;
  close(): Promise<void>;
}

const DEFAULT_REPLY: Reply = { status: 200, body: '{"ok":true}', headers: { 'content-type': 'application/json' } };

/** A real HTTP server on 127.0.0.1 (a free port) that records every request and answers as scripted. */
export async function startUpstream(): Promise<Upstream> {
  const requests: RecordedRequest[] = [];
  let responder: Responder = () => DEFAULT_REPLY;
  let served = 0;
  const timers = new Set<NodeJS.Timeout>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const atMs = Date.now();
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      body: Buffer.concat(chunks),
      atMs,
    };
    requests.push(recorded);
    const reply = await responder(recorded, served++);
    const send = () => {
      if (reply.destroy) return void res.destroy();
      if (reply.raw !== undefined) return void res.socket?.end(reply.raw);
      res.writeHead(reply.status ?? 200, reply.headers ?? {});
      res.end(reply.body ?? '');
    };
    if (!reply.delayMs) return send();
    const t = setTimeout(() => {
      timers.delete(t);
      send();
    }, reply.delayMs);
    timers.add(t);
  };

  const server = createServer((req, res) => {
    // A client that goes away mid-body (a timed-out attempt) is not the test's failure.
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const install = (r: Responder) => {
    responder = r;
    served = 0;
  };
  const script = (replies: Reply[]) => {
    const queue = [...replies];
    install(() => (queue.length > 1 ? queue.shift()! : (queue[0] ?? DEFAULT_REPLY)));
  };
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respondWith: (...s) => {
      if (typeof s[0] === 'function') install(s[0]);
      else script(s as Reply[]);
    },
    replies: (...r) => script(r),
    reset: () => {
      requests.length = 0;
      install(() => DEFAULT_REPLY);
    },
    close: () => {
      closed ??= (async () => {
        for (const t of timers) clearTimeout(t);
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      })();
      return closed;
    },
  };
}
