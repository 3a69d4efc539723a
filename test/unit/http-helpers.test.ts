import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { isRedisConnectionError } from '../../src/http/problem.js';
import { parsePrefer } from '../../src/http/prefer.js';
import { correlationIdFrom } from '../../src/http/middleware/request-context.js';
import { judgeEvictionPolicy } from '../../src/core/eviction-policy.js';
import { isJobId, newJobId } from '../../src/core/ids.js';
import { decodeCursor, encodeCursor } from '../../src/core/job-store.js';

describe('parsePrefer (RFC 7240)', () => {
  it.each([
    ['respond-async, wait=10', { respondAsync: true, waitSeconds: 10 }],
    ['wait=5', { respondAsync: false, waitSeconds: 5 }],
    ['RESPOND-ASYNC', { respondAsync: true }],
    ['wait="7"', { respondAsync: false, waitSeconds: 7 }],
    ['wait=abc, handling=lenient', { respondAsync: false }],
    ['wait=-1', { respondAsync: false }],
    ['return=minimal; foo=bar, respond-async', { respondAsync: true }],
  ])('%s', (header, expected) => {
    expect(parsePrefer(header)).toEqual(expected);
  });
  it('reads several header lines, first wait wins', () => {
    expect(parsePrefer(['wait=3', 'respond-async, wait=9'])).toEqual({ respondAsync: true, waitSeconds: 3 });
  });
});

describe('correlationIdFrom', () => {
  it('keeps a sane X-Request-Id', () => {
    expect(correlationIdFrom('abc-123', undefined)).toBe('abc-123');
  });
  it('uses the trace id of a valid traceparent', () => {
    expect(correlationIdFrom(undefined, '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });
  it.each([['with CRLF\r\nx: y'], ['x'.repeat(129)], ['spaces are not allowed']])('replaces an unsafe id (%#) with a new UUID', (bad) => {
    expect(correlationIdFrom(bad, undefined)).toMatch(/^[0-9a-f-]{36}$/);
  });
  it('ignores an all-zero trace id', () => {
    expect(correlationIdFrom(undefined, `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`)).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('judgeEvictionPolicy', () => {
  it.each([
    ['noeviction', true, false],
    ['allkeys-lru', false, true],
    ['allkeys-random', false, true],
    ['volatile-lru', false, false],
    [null, false, false],
  ] as const)('%s', (policy, ok, fatal) => {
    const v = judgeEvictionPolicy(policy);
    expect(v.ok).toBe(ok);
    if (!v.ok) expect(v.fatal).toBe(fatal);
  });
});

describe('job ids and cursors', () => {
  it('makes unguessable ids of 128 random bits that pass the id check', () => {
    const ids = new Set(Array.from({ length: 1_000 }, newJobId));
    expect(ids.size).toBe(1_000);
    for (const id of ids) expect(isJobId(id)).toBe(true);
  });
  it.each(['job_../../etc', '*', 'bull:echo:1', `job_${'A'.repeat(23)}`, 'job_AAAAAAAAAAAAAAAAAAAAA{'])('refuses %s', (id) => {
    expect(isJobId(id)).toBe(false);
  });
  it('round-trips a cursor and refuses a forged one', () => {
    const c = { score: 1_795_000_000_000, id: newJobId() };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
    expect(decodeCursor(Buffer.from('1:*').toString('base64url'))).toBeNull();
  });
});

describe('isRedisConnectionError', () => {
  it("recognises the errors ioredis gives for a command lost with the connection, and nothing else", async () => {
    // Never connected (lazyConnect), no offline queue: as the gateway's producer connection when its socket just died.
    const client = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    const notWriteable = await client.get('k').catch((e: unknown) => e);
    client.disconnect();
    const closed = await client.get('k').catch((e: unknown) => e);
    expect(isRedisConnectionError(notWriteable)).toBe(true);
    expect(isRedisConnectionError(closed)).toBe(true);
    expect(isRedisConnectionError(new Error('Command timed out'))).toBe(true);
    expect(isRedisConnectionError(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(false);
    expect(isRedisConnectionError('Command timed out')).toBe(false);
  });
});
