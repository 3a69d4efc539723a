import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Response } from 'supertest';
import { traceIdFor } from '../../src/core/trace-context.js';
import { freePort } from '../support/free-port.js';
import { startStack, testConfig, type TestStack } from '../support/test-stack.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

describe('http targets against a real upstream', () => {
  let upstream: Upstream;
  /** A second server: where redirects point, to prove nobody follows them. */
  let elsewhere: Upstream;
  let stack: TestStack;
  let deadPort: number;

  beforeAll(async () => {
    upstream = await startUpstream();
    elsewhere = await startUpstream();
    deadPort = await freePort();
    const http = { kind: 'http', attempts: 3, backoff: { initialDelayMs: 20, multiplier: 2, maxDelayMs: 5_000, jitter: 0 } };
    stack = await startStack({
      config: testConfig({
        targets: {
          api: { ...http, url: `${upstream.url}/api/work`, method: 'PUT', headers: { 'X-Api-Key': 'k1', 'X-Static': 'static value' } },
          plain: { ...http, url: `${upstream.url}/plain` },
          reader: { ...http, url: `${upstream.url}/read?fields=all`, method: 'GET' },
          quick: { ...http, url: `${upstream.url}/quick`, timeoutMs: 200 },
          small: { ...http, url: `${upstream.url}/small`, maxResultBytes: 100 },
          roomy: { ...http, url: `${upstream.url}/roomy`, maxResultBytes: 1_000 },
          dead: { ...http, url: `http://127.0.0.1:${deadPort}/x`, attempts: 2 },
        },
      }),
    });
  });
  afterEach(() => {
    upstream.reset();
    elsewhere.reset();
  });
  afterAll(async () => {
    await stack.close();
    await upstream.close();
    await elsewhere.close();
  });

  /** Submits and waits (Prefer: wait) for the job to end; a 202 here means it did not. */
  const run = async (target: string, input: unknown = { n: 1 }, headers: Record<string, string> = {}): Promise<Response> => {
    const res = await stack.request.post('/v1/jobs').set({ Prefer: 'wait=20', ...headers }).send({ target, input });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res;
  };
  const attempts = (id: string) => stack.gateway.store.attempts(id);
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

  describe('the request upstream', () => {
    it('carries the input as JSON with the configured method and headers, the job id as Idempotency-Key and the caller’s X-Request-Id', async () => {
      upstream.respondWith({ status: 201, body: '{"invoice":7}', headers: { 'content-type': 'application/json' } });
      const res = await run('api', { amount: 12, note: 'ünïcode' }, { 'X-Request-Id': 'corr-42' });
      expect(res.body).toMatchObject({ status: 'succeeded', attempts: 1, correlationId: 'corr-42' });
      expect(upstream.requests).toHaveLength(1);
      const [req] = upstream.requests;
      expect(req).toMatchObject({ method: 'PUT', url: '/api/work' });
      expect(JSON.parse(req!.body.toString('utf8'))).toEqual({ amount: 12, note: 'ünïcode' });
      expect(req!.headers).toMatchObject({
        'idempotency-key': res.body.id,
        'x-request-id': 'corr-42',
        'x-api-key': 'k1',
        'x-static': 'static value',
        'content-type': 'application/json',
      });
      expect(req!.headers.traceparent).toMatch(new RegExp(`^00-${traceIdFor('corr-42')}-[0-9a-f]{16}-01$`));
    });

    it('uses POST by default and sends the gateway’s own correlation id when the caller gave none', async () => {
      const res = await run('plain', [1, 2, 3]);
      const [req] = upstream.requests;
      expect(req).toMatchObject({ method: 'POST', url: '/plain' });
      expect(req!.body.toString()).toBe('[1,2,3]');
      expect(res.body.correlationId).toEqual(expect.any(String));
      expect(req!.headers['x-request-id']).toBe(res.body.correlationId);
      expect(req!.headers['idempotency-key']).toBe(res.body.id);
    });

    it('sends no body on a GET target and keeps the target URL’s query', async () => {
      await run('reader', { ignored: true });
      const [req] = upstream.requests;
      expect(req).toMatchObject({ method: 'GET', url: '/read?fields=all' });
      expect(req!.body).toHaveLength(0);
      expect(req!.headers['content-type']).toBeUndefined();
    });
  });

  describe('a 2xx answer', () => {
    it('is the result {status, contentType, body, bodyEncoding}, replayed by GET …/result (JSON)', async () => {
      upstream.respondWith({ status: 201, body: '{"invoice":7}', headers: { 'content-type': 'application/json; charset=utf-8' } });
      const res = await run('plain');
      expect(res.body.status).toBe('succeeded');
      expect(res.body.result).toEqual({ status: 201, contentType: 'application/json; charset=utf-8', body: '{"invoice":7}', bodyEncoding: 'utf8' });
      const replay = await resultOf(res.body.id as string);
      expect(replay.status).toBe(201);
      expect(replay.headers['content-type']).toBe('application/json; charset=utf-8');
      expect((replay.body as Buffer).toString('utf8')).toBe('{"invoice":7}');
    });

    it('keeps a text body as UTF-8 and replays it', async () => {
      upstream.respondWith({ status: 202, body: 'plain wörds', headers: { 'content-type': 'text/plain; charset=utf-8' } });
      const res = await run('plain');
      expect(res.body.result).toEqual({ status: 202, contentType: 'text/plain; charset=utf-8', body: 'plain wörds', bodyEncoding: 'utf8' });
      const replay = await resultOf(res.body.id as string);
      expect(replay.status).toBe(202);
      expect(replay.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(Buffer.compare(replay.body as Buffer, Buffer.from('plain wörds'))).toBe(0);
    });

    it.each([
      ['application/octet-stream', Buffer.from([0, 255, 1, 254, 128, 10, 13])],
      ['image/png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0])],
      // Declared text, but not valid UTF-8: stored as base64 so that no byte is lost.
      ['text/csv; charset=iso-8859-1', Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a])],
    ])('keeps a binary body (%s) as base64 and replays it byte for byte', async (type, bytes) => {
      upstream.respondWith({ status: 200, body: bytes, headers: { 'content-type': type } });
      const res = await run('plain');
      expect(res.body.result).toEqual({ status: 200, contentType: type, body: bytes.toString('base64'), bodyEncoding: 'base64' });
      const replay = await resultOf(res.body.id as string);
      expect(replay.status).toBe(200);
      expect(replay.headers['content-type']).toBe(type);
      expect(Buffer.compare(replay.body as Buffer, bytes)).toBe(0);
    });

    it('replays a 204 with no body', async () => {
      upstream.respondWith({ status: 204 });
      const res = await run('plain');
      expect(res.body.result).toMatchObject({ status: 204, body: '' });
      const replay = await resultOf(res.body.id as string);
      expect(replay.status).toBe(204);
      expect(replay.body).toHaveLength(0);
    });

    it('replays a content type without charset exactly as the upstream sent it', async () => {
      upstream.respondWith({ status: 200, body: 'hello', headers: { 'content-type': 'text/plain' } });
      const res = await run('plain');
      const replay = await resultOf(res.body.id as string);
      expect(replay.headers['content-type']).toBe('text/plain');
    });
  });

  describe('retries', () => {
    it('honours Retry-After on a 503, then succeeds on attempt 2', async () => {
      upstream.respondWith({ status: 503, headers: { 'retry-after': '1' } }, { status: 200, body: 'ok' });
      const res = await run('api');
      expect(res.body).toMatchObject({ status: 'succeeded', attempts: 2 });
      expect(upstream.requests).toHaveLength(2);
      const [first, second] = upstream.requests;
      // The backoff alone would be 20 ms; the gap is the upstream's second.
      expect(second!.atMs - first!.atMs).toBeGreaterThanOrEqual(1_000);
      expect(second!.headers['idempotency-key']).toBe(first!.headers['idempotency-key']);
      const [a1] = await attempts(res.body.id as string);
      expect(a1).toMatchObject({ outcome: 'failed', retryDelayMs: 1_000, error: { code: 'upstream_status', retryable: true } });
    });

    it('honours Retry-After on a 429 too', async () => {
      upstream.respondWith({ status: 429, headers: { 'retry-after': '1' } }, { status: 200, body: 'ok' });
      const res = await run('api');
      expect(res.body).toMatchObject({ status: 'succeeded', attempts: 2 });
      const [first, second] = upstream.requests;
      expect(second!.atMs - first!.atMs).toBeGreaterThanOrEqual(1_000);
      expect((await attempts(res.body.id as string))[0]).toMatchObject({ retryDelayMs: 1_000 });
    });

    it('ignores Retry-After on a 500 (only 429 and 503 carry it)', async () => {
      upstream.respondWith({ status: 500, headers: { 'retry-after': '30' } }, { status: 200, body: 'ok' });
      const res = await run('api');
      expect(res.body).toMatchObject({ status: 'succeeded', attempts: 2 });
      expect((await attempts(res.body.id as string))[0]).toMatchObject({ retryDelayMs: 20 });
    });

    it.each([408, 425, 429, 500, 502, 503, 504])('retries a %i and succeeds on the next attempt', async (status) => {
      upstream.respondWith({ status }, { status: 200, body: 'ok' });
      const res = await run('api');
      expect(res.body).toMatchObject({ status: 'succeeded', attempts: 2 });
      expect(upstream.requests).toHaveLength(2);
      expect((await attempts(res.body.id as string))[0]).toMatchObject({
        outcome: 'failed',
        error: { code: 'upstream_status', message: `upstream answered ${status}`, retryable: true },
      });
    });

    it('fails a job whose upstream answers 500 until attempts run out, and dead-letters it', async () => {
      upstream.respondWith({ status: 500, body: 'boom' });
      const res = await run('api');
      expect(res.body).toMatchObject({
        status: 'failed',
        attempts: 3,
        deadLettered: true,
        error: { code: 'upstream_status', message: 'upstream answered 500', retryable: true },
      });
      expect(upstream.requests).toHaveLength(3);
      expect(new Set(upstream.requests.map((r) => r.headers['idempotency-key']))).toEqual(new Set([res.body.id]));
      const dl = await stack.request.get('/v1/admin/dead-letters');
      expect(dl.status).toBe(200);
      expect(dl.body.items.map((j: { id: string }) => j.id)).toContain(res.body.id);
      const result = await stack.request.get(`/v1/jobs/${res.body.id}/result`);
      expect(result.status).toBe(409);
      expect(result.body.code).toBe('job_failed');
    });
  });

  describe('permanent failures', () => {
    it.each([400, 401, 403, 404, 409, 410, 422])('fails a %i after exactly one upstream request', async (status) => {
      upstream.respondWith({ status, body: 'no' });
      const res = await run('api');
      expect(res.body).toMatchObject({
        status: 'failed',
        attempts: 1,
        deadLettered: true,
        error: { code: 'upstream_status', message: `upstream answered ${status}`, retryable: false },
      });
      expect(upstream.requests).toHaveLength(1);
    });

    it.each([301, 302, 303, 307, 308])('does not follow a %i: the Location gets no request', async (status) => {
      upstream.respondWith({ status, headers: { location: `${elsewhere.url}/moved` } });
      const res = await run('api');
      expect(res.body).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'upstream_status', retryable: false } });
      expect(upstream.requests.map((r) => r.url)).toEqual(['/api/work']);
      expect(elsewhere.requests).toHaveLength(0);
    });

    it('fails an answer larger than maxResultBytes without retrying (streamed)', async () => {
      upstream.respondWith({ status: 200, body: 'x'.repeat(5_000) });
      const res = await run('small');
      expect(res.body).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'result_too_large', retryable: false } });
      expect(upstream.requests).toHaveLength(1);
    });

    it('fails an answer larger than maxResultBytes without retrying (Content-Length, large)', async () => {
      const big = Buffer.alloc(2_000_000, 0x61);
      upstream.respondWith({ status: 200, body: big, headers: { 'content-length': String(big.length), 'content-type': 'text/plain' } });
      const res = await run('small');
      expect(res.body).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'result_too_large', retryable: false } });
      expect(upstream.requests).toHaveLength(1);
    });

    it('retries a 5xx whose error page is larger than maxResultBytes (only a 2xx body is a result)', async () => {
      upstream.respondWith(
        { status: 503, body: '<html>'.padEnd(5_000, '.'), headers: { 'content-type': 'text/html', 'retry-after': '0' } },
        { status: 200, body: 'fits', headers: { 'content-type': 'text/plain' } },
      );
      const res = await run('small');
      expect(res.body).toMatchObject({ status: 'succeeded', attempts: 2, result: { body: 'fits' } });
      expect((await attempts(res.body.id as string))[0]).toMatchObject({ error: { code: 'upstream_status', message: 'upstream answered 503', retryable: true } });
    });

    it('fails a 4xx with a large body as upstream_status, not result_too_large', async () => {
      upstream.respondWith({ status: 404, body: Buffer.alloc(200_000, 0x2e), headers: { 'content-type': 'text/html' } });
      const res = await run('small');
      expect(res.body).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'upstream_status', message: 'upstream answered 404', retryable: false } });
    });

    it('accepts an answer within maxResultBytes', async () => {
      upstream.respondWith({ status: 200, body: 'y'.repeat(400), headers: { 'content-type': 'text/plain' } });
      const res = await run('roomy');
      expect(res.body).toMatchObject({ status: 'succeeded', result: { body: 'y'.repeat(400) } });
    });

    it('accepts a binary answer within maxResultBytes', async () => {
      upstream.respondWith({ status: 200, body: Buffer.alloc(900, 0xff), headers: { 'content-type': 'application/octet-stream' } });
      const res = await run('roomy');
      expect(res.body).toMatchObject({ status: 'succeeded' });
    });
  });

  describe('network trouble', () => {
    it('times an attempt out (code timeout) and retries it', async () => {
      upstream.respondWith({ delayMs: 2_000, status: 200, body: 'too late' }, { status: 200, body: 'in time', headers: { 'content-type': 'text/plain' } });
      const res = await run('quick');
      expect(res.body).toMatchObject({ status: 'succeeded', attempts: 2, result: { body: 'in time' } });
      expect(upstream.requests).toHaveLength(2);
      const [a1] = await attempts(res.body.id as string);
      expect(a1).toMatchObject({ outcome: 'failed', error: { code: 'timeout', retryable: true } });
    });

    it('fails with code timeout when every attempt times out', async () => {
      upstream.respondWith({ delayMs: 2_000, status: 200 });
      const res = await run('quick');
      expect(res.body).toMatchObject({ status: 'failed', attempts: 3, deadLettered: true, error: { code: 'timeout', retryable: true } });
      expect(upstream.requests).toHaveLength(3);
    });

    it('retries a refused connection with code upstream_unreachable', async () => {
      const res = await run('dead');
      expect(res.body).toMatchObject({ status: 'failed', attempts: 2, deadLettered: true, error: { code: 'upstream_unreachable', retryable: true } });
      expect(res.body.error.message).toContain('ECONNREFUSED');
      const all = await attempts(res.body.id as string);
      expect(all.map((a) => a.error?.code)).toEqual(['upstream_unreachable', 'upstream_unreachable']);
    });

    it('retries a connection cut before the answer', async () => {
      upstream.respondWith({ destroy: true }, { status: 200, body: 'second time lucky', headers: { 'content-type': 'text/plain' } });
      const res = await run('api');
      expect(res.body).toMatchObject({ status: 'succeeded', attempts: 2, result: { body: 'second time lucky' } });
      const [a1] = await attempts(res.body.id as string);
      expect(a1).toMatchObject({ outcome: 'failed', error: { code: 'upstream_unreachable', retryable: true } });
    });

    it('retries an answer that is not HTTP at all', async () => {
      upstream.respondWith({ raw: 'garbage\r\n\r\n' }, { status: 200, body: 'proper', headers: { 'content-type': 'text/plain' } });
      const res = await run('api');
      expect(res.body).toMatchObject({ status: 'succeeded', attempts: 2, result: { body: 'proper' } });
      const [a1] = await attempts(res.body.id as string);
      expect(a1).toMatchObject({ outcome: 'failed', error: { code: 'upstream_unreachable', retryable: true } });
      expect(a1!.error!.message).toMatch(/^HPE_/);
    });
  });
});
