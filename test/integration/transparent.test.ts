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
          shop: { kind: 'http', url: `${upstream.url}/base`, maxBodyBytes: 1_000, forwardHeaders: ['content-type', 'accept', 'x-tenant-hint'] },
          echo: DEMO_TARGETS.echo,
        },
      }),
    });
  });
  afterEach(() => {
    upstream.requests.length = 0;
  });
  afterAll(async () => {
    await stack.close();
    await upstream.close();
  });

  it('captures the request and replays method, path suffix, query, allowed headers and raw body', async () => {
    upstream.replies({ status: 201, body: '<ok/>', headers: { 'content-type': 'application/xml' } });
    const res = await stack.request
      .post('/v1/async/shop/orders/42/items?expand=all&q=a%20b')
      .set({ 'Content-Type': 'application/json', 'X-Tenant-Hint': 'blue', 'X-Secret': 'do-not-forward', Cookie: 'sid=1' })
      .send('{"sku":"A-1","qty":2}');
    expect(res.status).toBe(202);
    expect(res.headers.location).toMatch(/\/v1\/jobs\/job_/);
    const done = await stack.request.get(`/v1/jobs/${res.body.id}?wait=20`);
    expect(done.body.status).toBe('succeeded');
    const [req] = upstream.requests;
    expect(req).toMatchObject({ method: 'POST', url: '/base/orders/42/items?expand=all&q=a%20b' });
    expect(req!.body.toString()).toBe('{"sku":"A-1","qty":2}');
    expect(req!.headers).toMatchObject({ 'content-type': 'application/json', 'x-tenant-hint': 'blue', 'idempotency-key': res.body.id });
    expect(req!.headers['x-secret']).toBeUndefined();
    expect(req!.headers.cookie).toBeUndefined();

    const result = await stack.request.get(`/v1/jobs/${res.body.id}/result`);
    expect(result.status).toBe(201);
    expect(result.headers['content-type']).toContain('application/xml');
    expect(result.text).toBe('<ok/>');
  });

  it.each(['put', 'delete', 'get', 'patch'] as const)('replays %s', async (method) => {
    upstream.replies({ status: 200, body: 'fine' });
    const res = await stack.request[method]('/v1/async/shop/thing').set('Prefer', 'wait=20');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('succeeded');
    expect(upstream.requests.map((r) => [r.method, r.url])).toEqual([[method.toUpperCase(), '/base/thing']]);
  });

  it('replays binary bodies byte for byte, and works with no path suffix', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const res = await stack.request.post('/v1/async/shop').set({ 'Content-Type': 'application/octet-stream', Prefer: 'wait=20' }).send(bytes);
    expect(res.body.status).toBe('succeeded');
    expect(upstream.requests[0]!.url).toBe('/base');
    expect(Buffer.compare(upstream.requests[0]!.body, bytes)).toBe(0);
  });

  it.each([
    ['an unknown target', '/v1/async/nope/x', 404, 'target_not_found'],
    ['a handler target', '/v1/async/echo/x', 400, 'wrong_target_kind'],
    ['an encoded dot segment', '/v1/async/shop/%2e%2e/admin', 400, 'invalid_parameter'],
    ['an encoded slash', '/v1/async/shop/a%2Fb', 400, 'invalid_parameter'],
    ['broken percent-encoding', '/v1/async/shop/%E0%A4%A', 400, 'invalid_parameter'],
  ])('refuses %s with a problem and stores nothing', async (_name, path, status, code) => {
    const before = await stack.redis.keys(`${stack.config.server.keyPrefix}:job:*`);
    const res = await stack.request.post(path).send('x');
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
    expect(await stack.redis.keys(`${stack.config.server.keyPrefix}:job:*`)).toHaveLength(before.length);
    expect(upstream.requests).toHaveLength(0);
  });

  it('honours Idempotency-Key: a retried capture is one job and one upstream call', async () => {
    upstream.replies({ status: 200, body: 'once' });
    const send = () => stack.request.put('/v1/async/shop/items/9').set({ 'Idempotency-Key': '"put-9"', 'Content-Type': 'text/plain' }).send('v1');
    const first = await send();
    const second = await send();
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers['idempotent-replayed']).toBe('true');
    await stack.request.get(`/v1/jobs/${first.body.id}?wait=20`);
    expect(upstream.requests).toHaveLength(1);
  });

  it('answers 413 for a body over the target limit', async () => {
    const res = await stack.request.post('/v1/async/shop/x').set('Content-Type', 'text/plain').send('y'.repeat(5_000));
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('payload_too_large');
  });
});
