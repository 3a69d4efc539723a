import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
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
}

export interface Upstream {
  url: string;
  requests: RecordedRequest[];
  /** Answers in order; the last one repeats. */
  replies(...r: Reply[]): void;
  close(): Promise<void>;
}

/** A real HTTP server on loopback that records every request and answers as scripted. */
export async function startUpstream(): Promise<Upstream> {
  const requests: RecordedRequest[] = [];
  let script: Reply[] = [{ status: 200, body: '{"ok":true}', headers: { 'content-type': 'application/json' } }];
  const timers = new Set<NodeJS.Timeout>();
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), atMs: Date.now() });
    const reply = script.length > 1 ? script.shift()! : script[0]!;
    const send = () => {
      if (reply.destroy) return res.destroy();
      res.writeHead(reply.status ?? 200, reply.headers ?? {});
      res.end(reply.body ?? '');
    };
    if (reply.delayMs) {
      const t = setTimeout(() => {
        timers.delete(t);
        send();
      }, reply.delayMs);
      timers.add(t);
    } else send();
  };
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    replies: (...r) => {
      script = r;
    },
    close: async () => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
