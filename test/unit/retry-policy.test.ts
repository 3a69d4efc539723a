import { describe, expect, it } from 'vitest';
import { backoffDelayMs, classifyStatus, parseRetryAfterMs } from '../../src/core/retry-policy.js';
import { upstreamUrl } from '../../workers/executor/call-upstream.js';

describe('classifyStatus', () => {
  it.each([200, 201, 204, 299])('%i is success', (s) => expect(classifyStatus(s)).toEqual({ kind: 'success' }));
  it.each([408, 425, 500, 502, 504, 599])('%i is retried without Retry-After', (s) =>
    expect(classifyStatus(s)).toEqual({ kind: 'retryable', honourRetryAfter: false }),
  );
  it.each([429, 503])('%i is retried honouring Retry-After', (s) => expect(classifyStatus(s)).toEqual({ kind: 'retryable', honourRetryAfter: true }));
  it.each([100, 301, 302, 304, 307, 400, 401, 403, 404, 409, 410, 413, 422])('%i is permanent', (s) =>
    expect(classifyStatus(s)).toEqual({ kind: 'permanent' }),
  );
});

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2026-11-25T10:00:00Z');
  it.each([
    ['120', 120_000],
    [' 0 ', 0],
    ['Wed, 25 Nov 2026 10:00:30 GMT', 30_000],
    ['Wed, 25 Nov 2026 09:00:00 GMT', 0],
    ['soon', undefined],
    ['-5', undefined],
    ['1.5', undefined],
    [undefined, undefined],
  ])('%s → %s', (value, expected) => expect(parseRetryAfterMs(value, now)).toBe(expected));
});

describe('backoffDelayMs', () => {
  const policy = { initialDelayMs: 100, multiplier: 2, maxDelayMs: 1_000, jitter: 0.5 };
  const noJitter = () => 0;
  it('grows exponentially and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((r) => backoffDelayMs(policy, r, noJitter))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });
  it('takes at most the jitter share off', () => {
    expect(backoffDelayMs(policy, 3, () => 1)).toBe(200);
    expect(backoffDelayMs(policy, 3, () => 0.5)).toBe(300);
  });
  it('honours a longer Retry-After, capped at maxDelayMs', () => {
    expect(backoffDelayMs(policy, 1, noJitter, 700)).toBe(700);
    expect(backoffDelayMs(policy, 1, noJitter, 60_000)).toBe(1_000);
    expect(backoffDelayMs(policy, 4, noJitter, 10)).toBe(800);
  });
});

describe('upstreamUrl', () => {
  it('appends the path suffix to the target path and keeps the query verbatim', () => {
    expect(upstreamUrl('http://127.0.0.1:9/api/', '/orders/7', 'a=1&b=%20x')).toBe('http://127.0.0.1:9/api/orders/7?a=1&b=%20x');
    expect(upstreamUrl('http://127.0.0.1:9/api', '', '')).toBe('http://127.0.0.1:9/api');
  });
  it('refuses a suffix that climbs out of the target path', () => {
    expect(() => upstreamUrl('http://127.0.0.1:9/api', '/../admin', '')).toThrow(/escapes/);
  });
});
