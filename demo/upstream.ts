import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/**
 * A demo upstream for the compose stack: POST /work echoes its body after a short
 * pause, /slow takes a few seconds, /flaky answers 503 with Retry-After one time in three.
 */
const port = Number(process.env.PORT ?? 9000);
let calls = 0;

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

const server = createServer(async (req, res) => {
  const body = await readBody(req);
  const path = (req.url ?? '/').split('?')[0];
  const seen = { method: req.method, url: req.url, idempotencyKey: req.headers['idempotency-key'] ?? null, body: body.toString('utf8') };
  if (path?.startsWith('/work')) {
    setTimeout(() => reply(res, 200, { ok: true, received: seen }), 200);
  } else if (path?.startsWith('/slow')) {
    setTimeout(() => reply(res, 200, { ok: true, slow: true, received: seen }), 5_000);
  } else if (path?.startsWith('/flaky')) {
    calls++;
    if (calls % 3 !== 0) reply(res, 503, { error: 'busy' }, { 'retry-after': '1' });
    else reply(res, 200, { ok: true, received: seen });
  } else {
    reply(res, 404, { error: 'not found' });
  }
});

server.listen(port, () => process.stdout.write(`demo upstream listening on ${port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
