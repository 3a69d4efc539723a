import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../src/http/http-server.js';
import { startStack, testConfig, DEMO_TARGETS, type TestStack } from '../support/test-stack.js';

/** Sends raw bytes and returns the raw answer: for requests no HTTP client would send. */
async function raw(port: number, request: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let data = '';
    socket.on('data', (c) => (data += c.toString()));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
    socket.setTimeout(5_000, () => socket.destroy(new Error('no answer')));
  });
}

describe('hostile input', () => {
  let stack: TestStack;
  let port: number;
  let server: ReturnType<typeof createHttpServer>;
  beforeAll(async () => {
    stack = await startStack({ executor: false });
    server = createHttpServer(stack.gateway.app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await stack.close();
    // Nothing anywhere picked up a polluted prototype.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
  const post = (body: string, type = 'application/json') => stack.request.post('/v1/jobs').set('Content-Type', type).send(body);

  it('refuses __proto__ and constructor keys at the top level and in metadata, without pollution', async () => {
    for (const body of [
      '{"target":"echo","__proto__":{"polluted":1}}',
      '{"target":"echo","constructor":{"prototype":{"polluted":1}}}',
      '{"target":"echo","metadata":{"__proto__":"x"}}',
      '{"target":"echo","metadata":{"constructor":"x"}}',
    ]) {
      const res = await post(body);
      expect(res.status, body).toBe(422);
      expect(res.body.code).toBe('validation_failed');
    }
    // Inside the free-form input, such keys are plain data, stored and echoed as sent.
    const ok = await post('{"target":"echo","input":{"__proto__":{"polluted":1}}}');
    expect(ok.status).toBe(202);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses input nested 10,000 deep with 422, not a crash', async () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const res = await post(`{"target":"echo","input":${deep}}`);
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ path: '/input', message: 'at most 64 levels of nesting' }]);
  });

  it('refuses invalid UTF-8 with 400', async () => {
    const body = Buffer.concat([Buffer.from('{"target":"echo","input":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
    const head = `POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
    const reply = await raw(port, Buffer.concat([Buffer.from(head), body]));
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect(reply).toContain('"code":"malformed_json"');
  });

  it('refuses huge strings and arrays past the body limit with 413', async () => {
    const res = await post(JSON.stringify({ target: 'echo', input: { list: Array.from({ length: 400_000 }, (_, i) => i) } }));
    expect(res.status).toBe(413);
  });

  it('answers a header with a bare CR/LF with a 400 problem', async () => {
    const reply = await raw(port, 'GET /v1/jobs HTTP/1.1\r\nHost: x\r\nX-Bad: a\rb\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect(reply).toContain('"code":"malformed_request"');
  });

  it('refuses a duplicated Idempotency-Key header', async () => {
    const reply = await raw(
      port,
      'POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nIdempotency-Key: "a"\r\nIdempotency-Key: "b"\r\nContent-Length: 17\r\nConnection: close\r\n\r\n{"target":"echo"}',
    );
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect(reply).toContain('invalid_idempotency_key');
  });

  it('sends security headers, no CORS by default, and no stack traces or internal names', async () => {
    const res = await stack.request.get('/v1/jobs/job_AAAAAAAAAAAAAAAAAAAAAAAAAA').set('Origin', 'https://evil.example');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBeTruthy();
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(JSON.stringify(res.body)).not.toMatch(/at \w+ \(|node_modules|ioredis|bullmq/i);
  });

  it('allows exactly the configured CORS origins', async () => {
    const withCors = await startStack({ executor: false, config: testConfig({ targets: DEMO_TARGETS, server: { corsOrigins: ['https://app.example'] } }) });
    try {
      const pre = await withCors.request.options('/v1/jobs').set({ Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST' });
      expect(pre.headers['access-control-allow-origin']).toBe('https://app.example');
      expect(pre.headers['access-control-allow-headers']).toContain('Idempotency-Key');
      const denied = await withCors.request.get('/healthz').set('Origin', 'https://evil.example');
      expect(denied.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await withCors.close();
    }
  });
});
