import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { startStack, type TestStack } from '../../../../test/support/test-stack.js';

export interface LiveGateway {
  /** http://127.0.0.1:<port> */
  url: string;
  stack: TestStack;
  server: Server;
  /** The open client connections, to cut them server-side. */
  sockets: Set<Socket>;
  close(): Promise<void>;
}

/**
 * The real gateway (and executor) on the test Redis, listening on a loopback port, so
 * the client talks to it over HTTP with fetch exactly as a user's program would.
 */
export async function startGateway(opts: Parameters<typeof startStack>[0] = {}): Promise<LiveGateway> {
  const stack = await startStack(opts);
  const server = createServer(stack.gateway.app);
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stack,
    server,
    sockets,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await stack.close();
    },
  };
}

/** A fetch that records every request it sends (method, path and query, headers), then sends it for real. */
export function recordingFetch(): { fetch: typeof fetch; calls: { method: string; url: string; headers: Record<string, string> }[] } {
  const calls: { method: string; url: string; headers: Record<string, string> }[] = [];
  return {
    calls,
    fetch: (input, init) => {
      const url = new URL(String(input));
      calls.push({ method: init?.method ?? 'GET', url: url.pathname + url.search, headers: { ...(init?.headers as Record<string, string>) } });
      return fetch(input, init);
    },
  };
}
