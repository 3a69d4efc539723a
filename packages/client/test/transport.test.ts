import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayClient, GatewayError } from '../src/index.js';
import { linkSignals, parseRetryAfter, sleep } from '../src/timing.js';

describe('timing helpers', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('7')).toBe(7);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
  });

  it('sleep ends early with the reason when its signal aborts', async () => {
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(new Error('stop')), 20);
    await expect(sleep(5_000, ac.signal)).rejects.toThrow('stop');
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(sleep(10, AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
  });

  it('linkSignals follows any of its signals, and an already aborted one at once', () => {
    const a = new AbortController();
    const link = linkSignals(undefined, a.signal);
    expect(link.signal.aborted).toBe(false);
    a.abort('x');
    expect(link.signal.reason).toBe('x');
    expect(linkSignals(AbortSignal.abort('y')).signal.reason).toBe('y');
  });
});

describe('answers that are not problem documents', () => {
  let proxy: Server;
  let url: string;
  let answers = 0;
  beforeAll(async () => {
    // What a proxy in front of the gateway may say: HTML, a date in Retry-After.
    proxy = createServer((_req, res) => {
      answers++;
      res.writeHead(503, { 'content-type': 'text/html', 'retry-after': new Date(Date.now() + 60_000).toUTCString(), 'x-request-id': 'edge-1' });
      res.end('<h1>Service Unavailable</h1>');
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => proxy.close(r));
  });

  it('are GatewayErrors with code http_<status>, the Retry-After date as seconds, the request id from the header', async () => {
    const err = (await new GatewayClient({ baseUrl: `${url}/`, maxRetryDelayMs: 5_000 }).job('job_x').refresh().catch((e: unknown) => e)) as GatewayError;
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 503, code: 'http_503', title: 'Service Unavailable', requestId: 'edge-1', problem: null, errors: [] });
    expect(err.retryAfterSeconds).toBeGreaterThan(55);
    // A minute is beyond the 5 s cap: not waited for.
    expect(answers).toBe(1);
  });
});
