import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_TARGETS, startStack, testConfig, type TestStack } from '../support/test-stack.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

describe('transparent mode: ANY /v1/async/{target}/{path…}', () => {
  let upstream: Upstream;
  let stack: TestStack;
  beforeAll(async () => {
    upstream = await startUpstream();
    stack = await startStack({
      config: testConfig({
        targets: {
          shop: {
            kind: 'http',
            url: `${upstream.url}/base`,
            maxBodyBytes: 1_000,
            headers: { 'X-Api-Key': 'upstream-secret' },
            // x-api-key is allowed on purpose: the configured value must still win.
            forwardHeaders: ['content-type', 'accept', 'x-tenant-hint', 'x-api-key'],
          },
          versioned: { kind: 'http', url: `${upstream.url}/v/?api-version=2` },
          // An operator who lists framing headers: they must still not be replayed.
          framing: {
            kind: 'http',
            url: `${upstream.url}/f`,
            forwardHeaders: ['content-type', 'host', 'content-length', 'content-encoding', 'transfer-encoding', 'connection', 'x-kept'],
          },
          echo: DEMO_TARGETS.echo,
        },
      }),
    });
  });
  afterEach(() => {
    upstream.reset();
  });
  afterAll(async () => {
    await stack.close();
    await upstream.close();
  });

  /** GET …/result with the body read as raw bytes, whatever its content type. */
  const resultOf = (id: string) =>
    stack.request
      .get(`/v1/jobs/${id}/result`)
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      });
  const jobKeys = () => stack.keys(`${stack.config.server.keyPrefix}:job:*`);
  const waitForEnd = async (id: string) => {
    const res = await stack.request.get(`/v1/jobs/${id}?wait=20`);
    expect(['succeeded', 'failed', 'canceled']).toContain(res.body.status);
    return res;
  };
  /**
   * Sends a request with its path exactly as written: supertest's URL handling would
   * resolve "..", and the point is to see what the gateway does with it.
   */
  const rawRequest = async (method: string, path: string, body = ''): Promise<{ status: number; body: Record<string, unknown> }> => {
    const server = stack.gateway.app.listen(0, '127.0.0.1');
    try {
      await new Promise<void>((resolve) => server.once('listening', resolve));
      const { port } = server.address() as AddressInfo;
      return await new Promise((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: { 'content-type': 'text/plain', 'content-length': String(Buffer.byteLength(body)), connection: 'close' } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown> }));
        });
        req.on('error', reject);
        req.end(body);
      });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  };

  it('answers 202 with Location, then replays method, path suffix, raw query, allowed headers and raw body', async () => {
    upstream.respondWith({ status: 201, body: '<ok/>', headers: { 'content-type': 'application/xml' } });
    const query = 'expand=all&q=a%20b&empty=&flag&k=2&k=1&plus=a+b&enc=%2F%3F%26';
    const res = await stack.request
      .post(`/v1/async/shop/orders/42/items?${query}`)
      .set({
        'Content-Type': 'application/json',
        Accept: 'application/xml',
        'X-Tenant-Hint': 'blue',
        'X-Secret': 'do-not-forward',
        'X-Api-Key': 'client-tries-to-override',
        'X-Request-Id': 'corr-transparent-1',
        Authorization: 'Bearer gateway-key-not-for-upstream',
        Cookie: 'sid=1',
      })
      .send('{"sku":"A-1","qty":2}');
    expect(res.status).toBe(202);
    expect(res.headers.location).toMatch(new RegExp(`/v1/jobs/${res.body.id as string}$`));
    expect(res.headers['operation-location']).toBe(res.headers.location);
    expect(res.body).toMatchObject({ target: 'shop', status: 'queued' });

    expect((await waitForEnd(res.body.id as string)).body.status).toBe('succeeded');
    expect(upstream.requests).toHaveLength(1);
    const [req] = upstream.requests;
    expect(req).toMatchObject({ method: 'POST', url: `/base/orders/42/items?${query}` });
    expect(req!.body.toString()).toBe('{"sku":"A-1","qty":2}');
    expect(req!.headers).toMatchObject({
      'content-type': 'application/json',
      accept: 'application/xml',
      'x-tenant-hint': 'blue',
      'x-api-key': 'upstream-secret',
      'idempotency-key': res.body.id,
      'x-request-id': 'corr-transparent-1',
    });
    for (const name of ['x-secret', 'cookie', 'authorization']) expect(req!.headers[name], name).toBeUndefined();

    const result = await resultOf(res.body.id as string);
    expect(result.status).toBe(201);
    expect(result.headers['content-type']).toBe('application/xml');
    expect((result.body as Buffer).toString()).toBe('<ok/>');
  });

  it.each([
    ['post', 'text/plain', 'created'],
    ['put', 'application/json', '{"name":"new"}'],
    ['patch', 'application/merge-patch+json', '{"name":null}'],
    ['delete', undefined, ''],
    ['get', undefined, ''],
  ] as const)('replays %s with its body', async (method, type, body) => {
    upstream.respondWith({ status: 200, body: 'fine', headers: { 'content-type': 'text/plain' } });
    let req = stack.request[method]('/v1/async/shop/things/9?v=1').set('Prefer', 'wait=20');
    if (type) req = req.set('Content-Type', type).send(body);
    const res = await req;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'succeeded', result: { status: 200, body: 'fine' } });
    expect(upstream.requests.map((r) => [r.method, r.url, r.body.toString()])).toEqual([[method.toUpperCase(), '/base/things/9?v=1', body]]);
    expect(upstream.requests[0]!.headers['idempotency-key']).toBe(res.body.id);
    if (type) expect(upstream.requests[0]!.headers['content-type']).toBe(type);
  });

  it('replays a GET that carries a body', async () => {
    const res = await stack.request.get('/v1/async/shop/search').set({ Prefer: 'wait=20', 'Content-Type': 'application/json' }).send('{"q":"x"}');
    expect(res.body).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(upstream.requests.map((r) => [r.method, r.body.toString()])).toEqual([['GET', '{"q":"x"}']]);
  });

  it('replays binary request bodies byte for byte and replays a binary answer', async () => {
    const sent = Buffer.from([0, 1, 2, 0xc3, 0x28, 0x80, 250, 255, 13, 10]);
    const answer = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46]);
    upstream.respondWith({ status: 200, body: answer, headers: { 'content-type': 'image/jpeg' } });
    const res = await stack.request.put('/v1/async/shop/blobs/7').set({ 'Content-Type': 'application/octet-stream', Prefer: 'wait=20' }).send(sent);
    expect(res.body).toMatchObject({ status: 'succeeded', result: { bodyEncoding: 'base64', contentType: 'image/jpeg' } });
    expect(upstream.requests[0]!.headers['content-type']).toBe('application/octet-stream');
    expect(Buffer.compare(upstream.requests[0]!.body, sent)).toBe(0);
    const result = await resultOf(res.body.id as string);
    expect(result.status).toBe(200);
    expect(result.headers['content-type']).toBe('image/jpeg');
    expect(Buffer.compare(result.body as Buffer, answer)).toBe(0);
  });

  it('never replays framing headers, even when listed: a gzip body arrives inflated with its own length', async () => {
    const text = 'a'.repeat(500);
    const res = await stack.request
      .post('/v1/async/framing/z')
      .set({ 'Content-Type': 'text/plain', 'Content-Encoding': 'gzip', 'X-Kept': 'yes', Prefer: 'wait=20' })
      .send(gzipSync(text));
    expect(res.body).toMatchObject({ status: 'succeeded', attempts: 1 });
    const [req] = upstream.requests;
    expect(req!.body.toString()).toBe(text);
    expect(req!.headers).toMatchObject({ 'content-type': 'text/plain', 'x-kept': 'yes', 'content-length': '500', host: new URL(upstream.url).host });
    expect(req!.headers['content-encoding']).toBeUndefined();
    expect(req!.headers['transfer-encoding']).toBeUndefined();
  });

  it.each([
    ['no suffix', '/v1/async/shop', '/base'],
    ['a trailing slash', '/v1/async/shop/', '/base/'],
    ['encoded characters in the suffix', '/v1/async/shop/a%20b/%C3%A9', '/base/a%20b/%C3%A9'],
    // The router decodes the name; the suffix must still start after the raw segment.
    ['a percent-encoded target name', '/v1/async/sh%6Fp/x', '/base/x'],
    ["the target URL's own query, kept", '/v1/async/versioned/x?a=1', '/v/x?api-version=2&a=1'],
    ["the target URL's trailing slash with no suffix", '/v1/async/versioned', '/v/?api-version=2'],
  ])('maps %s to the upstream path', async (_name, path, upstreamPath) => {
    const res = await stack.request.post(path).set({ 'Content-Type': 'text/plain', Prefer: 'wait=20' }).send('x');
    expect(res.body).toMatchObject({ status: 'succeeded' });
    expect(upstream.requests.map((r) => r.url)).toEqual([upstreamPath]);
  });

  it('refuses an unknown target with a 404 problem and stores nothing', async () => {
    const before = await jobKeys();
    const res = await stack.request.post('/v1/async/nope/x').set('Content-Type', 'text/plain').send('x');
    expect(res.status).toBe(404);
    expect(res.type).toBe('application/problem+json');
    expect(res.body).toMatchObject({ status: 404, code: 'target_not_found' });
    expect(await jobKeys()).toHaveLength(before.length);
  });

  it('refuses a handler target with a 400 problem (wrong_target_kind) and stores nothing', async () => {
    const before = await jobKeys();
    const res = await stack.request.post('/v1/async/echo/x').set('Content-Type', 'application/json').send('{}');
    expect(res.status).toBe(400);
    expect(res.type).toBe('application/problem+json');
    expect(res.body).toMatchObject({ status: 400, code: 'wrong_target_kind' });
    expect(await jobKeys()).toHaveLength(before.length);
  });

  it("answers 413 for a body over the target's maxBodyBytes, with no job and no upstream request", async () => {
    const before = await jobKeys();
    const res = await stack.request.post('/v1/async/shop/x').set('Content-Type', 'text/plain').send('y'.repeat(1_001));
    expect(res.status).toBe(413);
    expect(res.type).toBe('application/problem+json');
    expect(res.body.code).toBe('payload_too_large');
    expect(await jobKeys()).toHaveLength(before.length);
    // A body at the limit is fine.
    const ok = await stack.request.post('/v1/async/shop/x').set({ 'Content-Type': 'text/plain', Prefer: 'wait=20' }).send('y'.repeat(1_000));
    expect(ok.body.status).toBe('succeeded');
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]!.body).toHaveLength(1_000);
  });

  it.each([
    ['an encoded parent segment', '/v1/async/shop/%2e%2e/admin'],
    ['an upper-case encoded parent segment', '/v1/async/shop/%2E%2E/admin'],
    ['a half-encoded parent segment', '/v1/async/shop/.%2e/admin'],
    ['a raw parent segment', '/v1/async/shop/../admin'],
    ['a raw parent segment deeper in', '/v1/async/shop/a/../../admin'],
    ['an encoded current segment', '/v1/async/shop/%2e/x'],
    ['an encoded slash', '/v1/async/shop/a%2Fb'],
    ['an encoded lower-case slash', '/v1/async/shop/a%2fb'],
    ['an encoded backslash', '/v1/async/shop/a%5C..%5Cadmin'],
    ['broken percent-encoding', '/v1/async/shop/%E0%A4%A'],
  ])('refuses %s with 400, no job and no upstream request', async (_name, path) => {
    const before = await jobKeys();
    for (const method of ['POST', 'GET']) {
      const res = await rawRequest(method, path, 'x');
      expect(res.status, `${method} ${path}`).toBe(400);
      expect(res.body.code, JSON.stringify(res.body)).toBe('invalid_parameter');
    }
    expect(await jobKeys()).toHaveLength(before.length);
    expect(upstream.requests).toHaveLength(0);
  });

  it('honours Idempotency-Key: a retried capture is one job and one upstream call', async () => {
    upstream.respondWith({ status: 200, body: 'once' });
    const send = () => stack.request.put('/v1/async/shop/items/9').set({ 'Idempotency-Key': '"put-9"', 'Content-Type': 'text/plain' }).send('v1');
    const first = await send();
    const second = await send();
    expect(first.status).toBe(202);
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers['idempotent-replayed']).toBe('true');
    await waitForEnd(first.body.id as string);
    expect(upstream.requests).toHaveLength(1);
  });

  it('fails the job with upstream_status when the replayed request is refused, and replays nothing', async () => {
    upstream.respondWith({ status: 404, body: 'no such order' });
    const res = await stack.request.get('/v1/async/shop/orders/404').set('Prefer', 'wait=20');
    expect(res.body).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'upstream_status', retryable: false } });
    const result = await stack.request.get(`/v1/jobs/${res.body.id}/result`);
    expect(result.status).toBe(409);
    expect(result.body.code).toBe('job_failed');
  });
});
