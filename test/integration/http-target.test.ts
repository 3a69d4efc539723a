import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { traceIdFor } from '../../src/core/trace-context.js';
import { freePort } from '../support/free-port.js';
import { startStack, testConfig, type TestStack } from '../support/test-stack.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

describe('http targets', () => {
  let upstream: Upstream;
  let stack: TestStack;
  let deadPort: number;
  beforeAll(async () => {
    upstream = await startUpstream();
    deadPort = await freePort();
    const http = { kind: 'http', attempts: 3, backoff: { initialDelayMs: 20, multiplier: 2, maxDelayMs: 5_000, jitter: 0 } };
    stack = await startStack({
      config: testConfig({
        targets: {
          api: { ...http, url: `${upstream.url}/api/work`, method: 'PUT', headers: { 'X-Api-Key': 'k1' } },
          quick: { ...http, url: `${upstream.url}/quick`, timeoutMs: 200 },
          small: { ...http, url: `${upstream.url}/small`, maxResultBytes: 100, attempts: 3 },
          dead: { ...http, url: `http://127.0.0.1:${deadPort}/x`, attempts: 2 },
        },
      }),
    });
  });
  afterEach(() => {
    upstream.requests.length = 0;
    upstream.replies({ status: 200, body: '{"ok":true}', headers: { 'content-type': 'application/json' } });
  });
  afterAll(async () => {
    await stack.close();
    await upstream.close();
  });

  const run = (target: string, input: unknown = { n: 1 }, headers: Record<string, string> = {}) =>
    stack.request.post('/v1/jobs').set({ Prefer: 'wait=20', ...headers }).send({ target, input });

  it('sends the input with the configured method and headers, the job id as Idempotency-Key and the correlation id', async () => {
    upstream.replies({ status: 201, body: '{"invoice":7}', headers: { 'content-type': 'application/json' } });
    const res = await run('api', { amount: 12 }, { 'X-Request-Id': 'corr-42' });
    expect(res.body).toMatchObject({ status: 'succeeded', attempts: 1, correlationId: 'corr-42' });
    expect(res.body.result).toEqual({ status: 201, contentType: 'application/json', body: '{"invoice":7}', bodyEncoding: 'utf8' });
    const [req] = upstream.requests;
    expect(req).toMatchObject({ method: 'PUT', url: '/api/work' });
    expect(JSON.parse(req!.body.toString())).toEqual({ amount: 12 });
    expect(req!.headers).toMatchObject({
      'idempotency-key': res.body.id,
      'x-request-id': 'corr-42',
      'x-api-key': 'k1',
      'content-type': 'application/json',
    });
    expect(req!.headers.traceparent).toMatch(new RegExp(`^00-${traceIdFor('corr-42')}-[0-9a-f]{16}-01$`));
  });

  it('replays the upstream status, content type and body bytes as the result', async () => {
    upstream.replies({ status: 202, body: 'plain words', headers: { 'content-type': 'text/plain; charset=utf-8' } });
    const text = await run('api');
    const r1 = await stack.request.get(`/v1/jobs/${text.body.id}/result`);
    expect(r1.status).toBe(202);
    expect(r1.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(r1.text).toBe('plain words');

    const bytes = Buffer.from([0, 255, 1, 254, 128]);
    upstream.replies({ status: 200, body: bytes, headers: { 'content-type': 'application/octet-stream' } });
    const bin = await run('api');
    expect(bin.body.result).toMatchObject({ bodyEncoding: 'base64', body: bytes.toString('base64') });
    const r2 = await stack.request.get(`/v1/jobs/${bin.body.id}/result`).buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(r2.status).toBe(200);
    expect(Buffer.compare(r2.body as Buffer, bytes)).toBe(0);
  });

  it('honours Retry-After on 503, then succeeds', async () => {
    upstream.replies({ status: 503, headers: { 'retry-after': '1' } }, { status: 200, body: 'ok' });
    const res = await run('api');
    expect(res.body).toMatchObject({ status: 'succeeded', attempts: 2 });
    const [first, second] = upstream.requests;
    expect(second!.atMs - first!.atMs).toBeGreaterThanOrEqual(950);
    expect(second!.headers['idempotency-key']).toBe(first!.headers['idempotency-key']);
  });

  it('retries 429, 408 and 500', async () => {
    upstream.replies({ status: 429 }, { status: 408 }, { status: 200, body: 'ok' });
    expect((await run('api')).body).toMatchObject({ status: 'succeeded', attempts: 3 });
    upstream.requests.length = 0;
    upstream.replies({ status: 500 }, { status: 200, body: 'ok' });
    expect((await run('api')).body).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it('dead-letters after the last 5xx with code upstream_status', async () => {
    upstream.replies({ status: 500 });
    const res = await run('api');
    expect(res.body).toMatchObject({ status: 'failed', attempts: 3, deadLettered: true, error: { code: 'upstream_status', message: 'upstream answered 500', retryable: true } });
    expect(upstream.requests).toHaveLength(3);
    const dl = await stack.request.get('/v1/admin/dead-letters');
    expect(dl.body.items.map((j: { id: string }) => j.id)).toContain(res.body.id);
  });

  it('fails a 4xx at once and does not follow a redirect', async () => {
    upstream.replies({ status: 400, body: 'bad' });
    expect((await run('api')).body).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'upstream_status', retryable: false } });
    expect(upstream.requests).toHaveLength(1);
    upstream.requests.length = 0;
    upstream.replies({ status: 302, headers: { location: '/elsewhere' } });
    expect((await run('api')).body).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'upstream_status' } });
    expect(upstream.requests.map((r) => r.url)).toEqual(['/api/work']);
  });

  it('times an attempt out and retries it', async () => {
    upstream.replies({ delayMs: 2_000, status: 200 }, { status: 200, body: 'late but fine' });
    const res = await run('quick');
    expect(res.body).toMatchObject({ status: 'succeeded', attempts: 2 });
    const attempts = await stack.gateway.store.attempts(res.body.id as string);
    expect(attempts[0]).toMatchObject({ outcome: 'failed', error: { code: 'timeout', retryable: true } });
  });

  it('retries an unreachable upstream with code upstream_unreachable', async () => {
    const res = await run('dead');
    expect(res.body).toMatchObject({ status: 'failed', attempts: 2, error: { code: 'upstream_unreachable', retryable: true } });
    expect(res.body.error.message).toContain('ECONNREFUSED');
  });

  it('fails a response larger than maxResultBytes without retrying', async () => {
    upstream.replies({ status: 200, body: 'x'.repeat(5_000) });
    const res = await run('small');
    expect(res.body).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'result_too_large', retryable: false } });
    expect(upstream.requests).toHaveLength(1);
  });
});
