import { connect, type AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createKeys } from '../../src/core/keys.js';
import { createHttpServer } from '../../src/http/http-server.js';
import { apiKeys, bearer } from '../support/api-keys.js';
import { DEMO_TARGETS, startStack, testConfig, type TestStack } from '../support/test-stack.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

/**
 * Sends raw bytes (what no HTTP client library would send) and returns the raw answer.
 * `halfClose`: shut our sending side right after the request, as some clients do.
 */
async function raw(port: number, request: string | Buffer, opts: { halfClose?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => (opts.halfClose ? socket.end(request) : socket.write(request)));
    let data = '';
    socket.on('data', (c: Buffer) => (data += c.toString()));
    socket.on('end', () => resolve(data));
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
    socket.setTimeout(5_000, () => socket.destroy(new Error('no answer')));
  });
}

describe('transparent mode and submit: hostile framing, encodings, paths and credentials', () => {
  const { tokens, auth } = apiKeys({ acme: 'client' });
  let upstream: Upstream;
  let stack: TestStack;
  let server: ReturnType<typeof createHttpServer>;
  let port: number;
  beforeAll(async () => {
    upstream = await startUpstream();
    stack = await startStack({
      config: testConfig({
        auth,
        targets: {
          up: {
            kind: 'http',
            url: `${upstream.url}/base`,
            forwardHeaders: ['content-type', 'x-kept'],
            // The documented way to hand an upstream per-request credentials.
            forwardHeadersAs: { 'x-upstream-authorization': 'authorization' },
          },
          echo: DEMO_TARGETS.echo,
        },
      }),
    });
    server = createHttpServer(stack.gateway.app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await stack.close();
    await upstream.close();
  });

  /** The job records that `act` stored (retained jobs of earlier tests excluded). */
  const jobKeysAfter = async (act: () => Promise<void>): Promise<string[]> => {
    // Records only: an earlier test's job may still write its other keys meanwhile.
    const records = async () => (await stack.keys(`${stack.config.server.keyPrefix}:job:*`)).filter((k) => k.endsWith('}'));
    const before = new Set(await records());
    await act();
    return (await records()).filter((k) => !before.has(k));
  };
  const authLine = `Authorization: Bearer ${tokens.acme}\r\n`;

  it('admits nothing when the framing after the head is refused (Transfer-Encoding: xchunked), on either route', async () => {
    // The race that let a job through (the socket finished before the body parser ran) is
    // timing-dependent: try it many times, on both routes.
    const left = await jobKeysAfter(async () => {
      for (let i = 0; i < 10; i++) {
        for (const path of ['/v1/async/up/x', '/v1/jobs']) {
          const type = path === '/v1/jobs' ? 'application/json' : 'text/plain';
          const reply = await raw(port, `POST ${path} HTTP/1.1\r\nHost: a\r\n${authLine}Transfer-Encoding: xchunked\r\nContent-Type: ${type}\r\n\r\n5\r\nhello\r\n0\r\n\r\n`);
          expect(reply).toMatch(/^HTTP\/1\.1 400 /);
        }
      }
    });
    expect(left).toEqual([]);
  });

  it('never admits a job whose body went unread when the client half-closes after sending', async () => {
    // Whether body-parser still reads the body depends on whether the client's FIN has
    // arrived when it runs (it skips the body of a socket that is no longer readable):
    // either way, a stored job carries exactly the body that was sent.
    const input = { n: 1 };
    const sent = { transparent: 'hello', submit: JSON.stringify({ target: 'echo', input }) };
    const stored = await jobKeysAfter(async () => {
      for (let i = 0; i < 10; i++) {
        for (const [path, type, payload] of [
          ['/v1/async/up/x', 'text/plain', sent.transparent],
          ['/v1/jobs', 'application/json', sent.submit],
        ] as const) {
          const reply = await raw(port, `POST ${path} HTTP/1.1\r\nHost: a\r\n${authLine}Content-Type: ${type}\r\nContent-Length: ${payload.length}\r\n\r\n${payload}`, { halfClose: true });
          // The answer may not reach a half-closed client: a refusal is a 400, an admission a 202.
          if (reply) expect(reply).toMatch(/^HTTP\/1\.1 (400|202) /);
        }
      }
    });
    for (const key of stored) {
      const payload = JSON.parse((await stack.redis.hget(key, 'payload'))!) as { kind: string; input?: unknown; request?: { bodyBase64: string } };
      if (payload.kind === 'request') expect(Buffer.from(payload.request!.bodyBase64, 'base64').toString()).toBe(sent.transparent);
      else expect(payload.input).toEqual(input);
    }
  });

  it('answers a body that is not the gzip it claims with 400 malformed_body, and an unknown encoding with 415 and Accept-Encoding', async () => {
    // Raw bytes: supertest would serialise a Buffer sent as application/json.
    const post = (path: string, encoding: string, body: Buffer) =>
      raw(port, Buffer.concat([Buffer.from(`POST ${path} HTTP/1.1\r\nHost: a\r\n${authLine}Content-Type: application/json\r\nContent-Encoding: ${encoding}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`), body]));
    const problem = (reply: string) => JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
    const left = await jobKeysAfter(async () => {
      for (const path of ['/v1/async/up/x', '/v1/jobs']) {
        for (const [encoding, body] of [
          ['gzip', Buffer.from('{"target":"echo"}')],
          ['deflate', Buffer.from('not deflate')],
          ['br', Buffer.from('not brotli at all, really')],
        ] as const) {
          const bad = await post(path, encoding, body);
          expect(bad, `${path} ${encoding}`).toMatch(/^HTTP\/1\.1 400 /);
          expect(bad).toMatch(/content-type: application\/problem\+json/i);
          expect(problem(bad)).toMatchObject({ code: 'malformed_body', errors: [{ path: 'header:Content-Encoding' }] });
        }
        const unknown = await post(path, 'snappy', Buffer.from('{"target":"echo"}'));
        expect(unknown, path).toMatch(/^HTTP\/1\.1 415 /);
        expect(unknown).toMatch(/\r\naccept-encoding: gzip, deflate, br\r\n/i);
        expect(problem(unknown)).toMatchObject({ code: 'unsupported_content_encoding', errors: [{ path: 'header:Content-Encoding' }] });
      }
    });
    expect(left).toEqual([]);
    expect(stack.logs.lines.filter((l) => l.msg === 'unhandled error')).toEqual([]);

    // A real gzip body is still accepted, inflated.
    const good = await post('/v1/jobs', 'gzip', gzipSync('{"target":"echo","input":{"n":1}}'));
    expect(good).toMatch(/^HTTP\/1\.1 202 /);
  });

  it('captures the path of an absolute-form request-target, not the whole URL', async () => {
    const reply = await raw(port, `GET http://other.example/v1/async/up/orders/7?q=1 HTTP/1.1\r\nHost: a\r\n${authLine}Connection: close\r\n\r\n`);
    expect(reply).toMatch(/^HTTP\/1\.1 202 /);
    const id = /"id":"(job_[^"]+)"/.exec(reply)![1]!;
    const done = await stack.request.get(`/v1/jobs/${id}?wait=20`).set(bearer(tokens.acme));
    expect(done.body.status).toBe('succeeded');
    expect(upstream.requests.map((r) => r.url)).toEqual(['/base/orders/7?q=1']);
  });

  it('refuses every spelling of a dot segment or a hidden separator with 400 at `path`, and stores nothing', async () => {
    const refused = [
      '..;', // servlet containers strip ";…" and step up
      '.;x=1',
      '%2e%2e',
      '%252e%252e', // decoded twice by some upstreams
      '%25252e%25252e',
      '%EF%BC%8E%EF%BC%8E', // full-width dots, folded to ".." by NFKC
      'a%EF%BC%8Fb', // full-width solidus
      'a%2fb',
      'a%5cb',
      'a%252fb',
      'a%00b',
      'a%0ab',
    ];
    const left = await jobKeysAfter(async () => {
      for (const segment of refused) {
        const reply = await raw(port, `GET /v1/async/up/${segment}/x HTTP/1.1\r\nHost: a\r\n${authLine}Connection: close\r\n\r\n`);
        expect(reply.slice(0, 300), segment).toMatch(/^HTTP\/1\.1 400 /);
        expect(reply, segment).toContain('"code":"invalid_parameter"');
        expect(reply, segment).toContain('"path":"path"');
      }
    });
    expect(left).toEqual([]);
    // Ordinary segments with escapes and parameters still pass, verbatim.
    const fine = await raw(port, `GET /v1/async/up/100%25/a;b/...x HTTP/1.1\r\nHost: a\r\n${authLine}Connection: close\r\n\r\n`);
    expect(fine).toMatch(/^HTTP\/1\.1 202 /);
    const id = /"id":"(job_[^"]+)"/.exec(fine)![1]!;
    await stack.request.get(`/v1/jobs/${id}?wait=20`).set(bearer(tokens.acme));
    expect(upstream.requests.map((r) => r.url)).toEqual(['/base/100%25/a;b/...x']);
  });

  it('fuzz: any path suffix is refused with a 400 problem or stored verbatim, and a stored one never reads as a dot segment however it is decoded', async () => {
    const piece = fc.constantFrom('.', '..', '%2e', '%2E', '%25', '%252e', '%25252e', ';', ';x=1', '%3b', '%EF%BC%8E', '%E3%80%82', '%EF%BC%8F', '%2f', '%5c', '%00', '%0d', 'a', 'Z', '~', '-', '%20', '%C3%A9');
    const segment = fc.array(piece, { minLength: 1, maxLength: 4 }).map((p) => p.join(''));
    const dotLike = (s: string) => {
      let layer = s;
      for (let i = 0; i < 4; i++) {
        const bare = layer.normalize('NFKC').split(';', 1)[0];
        if (bare === '.' || bare === '..') return true;
        try {
          const next = decodeURIComponent(layer);
          if (next === layer) break;
          layer = next;
        } catch {
          break;
        }
      }
      return false;
    };
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { minLength: 1, maxLength: 3 }), async (segments) => {
        const suffix = `/${segments.join('/')}`;
        const reply = await raw(port, `GET /v1/async/up${suffix} HTTP/1.1\r\nHost: a\r\n${authLine}Connection: close\r\n\r\n`);
        const status = Number(reply.slice(9, 12));
        expect([202, 400], reply.slice(0, 200)).toContain(status);
        if (status === 400) return;
        const id = /"id":"(job_[^"]+)"/.exec(reply)![1]!;
        const payload = JSON.parse((await stack.redis.hget(createKeys(stack.config.server.keyPrefix).job(id), 'payload'))!) as { request: { path: string } };
        expect(payload.request.path).toBe(suffix);
        for (const s of segments) expect(dotLike(s), s).toBe(false);
        await stack.request.post(`/v1/jobs/${id}/cancel`).set(bearer(tokens.acme));
      }),
      { numRuns: 150 },
    );
  });

  it("never forwards or stores the gateway's own Authorization or cookies; a mapped client header carries the upstream's credentials", async () => {
    const res = await stack.request
      .post('/v1/async/up/pay')
      .set(bearer(tokens.acme))
      .set({ Cookie: 'ag_session=s3cr3t-session', 'X-Upstream-Authorization': 'Bearer upstream-token', 'X-Kept': 'yes', 'Content-Type': 'text/plain' })
      .send('pay');
    expect(res.status).toBe(202);
    const id = res.body.id as string;
    const stored = JSON.stringify(await stack.redis.hgetall(createKeys(stack.config.server.keyPrefix).job(id)));
    expect(stored).not.toContain(tokens.acme);
    expect(stored).not.toContain('s3cr3t-session');
    await stack.request.get(`/v1/jobs/${id}?wait=20`).set(bearer(tokens.acme));
    const [seen] = upstream.requests;
    expect(seen!.headers.authorization).toBe('Bearer upstream-token');
    expect(seen!.headers['x-kept']).toBe('yes');
    expect(seen!.headers.cookie).toBeUndefined();
    expect(seen!.headers['x-upstream-authorization']).toBeUndefined();
    expect(JSON.stringify(seen!.headers)).not.toContain(tokens.acme);
  });
});
