import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A real HTTP server on 127.0.0.1 whose behaviour a scenario switches at will: answer
 * normally, fail with a status, stall (hold the answer), answer 429 with Retry-After,
 * or be closed (connections refused) and reopened on the same port. The upstream and
 * the webhook receiver are both built on it, each with its own normal answer.
 */

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  atMs: number;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Hold the answer this long (a stall); held answers are dropped on close. */
  delayMs?: number;
}

/** A fault applied to every request, ahead of the owner's normal answer. */
export type Fault =
  | { kind: 'none' }
  | { kind: 'status'; status: number }
  | { kind: 'stall'; ms: number }
  | { kind: 'retry-after'; status: 429 | 503; seconds: number };

/** Decides the normal answer; it may itself return a fault answer (per-request faults). */
export type Decide = (req: SeenRequest) => Reply;

export interface FaultServer {
  readonly port: number;
  readonly url: string;
  /** Applies `fault` to every request from now on (`{kind: 'none'}` to stop). */
  setFault(fault: Fault): void;
  /** Stops listening and cuts open connections: clients now get ECONNREFUSED. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Called for each request with the answer chosen; the function it may return learns
 * whether that answer was really written out (false: the client or a down() cut it).
 */
export type OnRequest = (req: SeenRequest, reply: Reply) => ((answered: boolean) => void) | void;

export async function startFaultServer(decide: Decide, onRequest?: OnRequest): Promise<FaultServer> {
  let fault: Fault = { kind: 'none' };
  let server: Server | null = null;
  let port = 0;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const answer = (req: SeenRequest): Reply => {
    switch (fault.kind) {
      case 'status':
        return { status: fault.status, body: 'injected failure' };
      case 'stall':
        // The stall ends with a normal answer, too late for a client with a shorter timeout.
        return { ...decide(req), delayMs: fault.ms };
      case 'retry-after':
        return { status: fault.status, headers: { 'retry-after': String(fault.seconds) }, body: 'slow down' };
      case 'none':
        return decide(req);
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const seen: SeenRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), atMs: Date.now() };
    const reply = answer(seen);
    const settled = onRequest?.(seen, reply);
    if (settled) {
      let finished = false;
      res.once('finish', () => (finished = true));
      res.once('close', () => settled(finished));
    }
    const send = () => {
      if (res.destroyed) return;
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(reply.body ?? '');
    };
    if (!reply.delayMs) return send();
    const t = setTimeout(() => {
      timers.delete(t);
      send();
    }, reply.delayMs);
    timers.add(t);
  };

  const listen = async () => {
    const s = createServer((req, res) => {
      // A client that gave up mid-request (its timeout) is part of the scenario, not an error.
      handle(req, res).catch(() => res.destroy());
    });
    s.on('connection', (sock: Socket) => {
      sockets.add(sock);
      sock.once('close', () => sockets.delete(sock));
    });
    // Port 0 the first time; the same port on every reopen, so clients' URLs stay valid.
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.address() as AddressInfo).port;
    server = s;
  };

  const down = async () => {
    const s = server;
    if (!s) return;
    server = null;
    for (const t of timers) clearTimeout(t);
    timers.clear();
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    for (const sock of sockets) sock.destroy();
    await closed;
  };

  await listen();
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    setFault: (f) => (fault = f),
    down,
    up: async () => {
      if (!server) await listen();
    },
    close: down,
  };
}
