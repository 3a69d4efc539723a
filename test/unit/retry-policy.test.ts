import { describe, expect, it } from 'vitest';
import { backoffDelayMs, classifyStatus, parseRetryAfterMs } from '../../src/core/retry-policy.js';

describe('classifyStatus', () => {
  it.each([200, 201, 202, 204, 299])('%i is success', (status) => {
    expect(classifyStatus(status)).toEqual({ kind: 'success' });
  });

  it.each([
    [408, false],
    [425, false],
    [429, true],
    [500, false],
    [502, false],
    [503, true],
    [504, false],
    [599, false],
  ])('%i is retried (honour Retry-After: %s)', (status, honourRetryAfter) => {
    expect(classifyStatus(status)).toEqual({ kind: 'retryable', honourRetryAfter });
  });

  // Redirects are not followed, so a 3xx is as final as a 4xx that no retry will fix.
  it.each([100, 300, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404, 405, 409, 410, 413, 415, 422, 451])('%i is permanent', (status) => {
    expect(classifyStatus(status)).toEqual({ kind: 'permanent' });
  });
});

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2026-11-25T10:00:00Z');
  it.each([
    ['delay-seconds', '120', 120_000],
    ['zero seconds', '0', 0],
    ['padded seconds', ' 7 ', 7_000],
    ['an IMF-fixdate ahead', 'Wed, 25 Nov 2026 10:00:30 GMT', 30_000],
    ['an obsolete RFC 850 date ahead', 'Wednesday, 25-Nov-26 10:01:00 GMT', 60_000],
    ['an asctime date ahead', 'Wed Nov 25 10:00:05 2026', 5_000],
    ['a date in the past', 'Wed, 25 Nov 2026 09:00:00 GMT', 0],
    ['a date long past', 'Thu, 01 Jan 1970 00:00:00 GMT', 0],
    ['a word', 'soon', undefined],
    ['a negative number', '-5', undefined],
    ['a fraction', '1.5', undefined],
    ['an ISO date (not an HTTP-date)', '2026-11-25T10:00:30Z', undefined],
    ['a day name with garbage', 'Wed, banana', undefined],
    ['empty', '', undefined],
    ['absent', undefined, undefined],
  ])('%s (%j) → %j', (_name, value, expected) => {
    expect(parseRetryAfterMs(value, now)).toBe(expected);
  });
});

describe('backoffDelayMs', () => {
  const policy = { initialDelayMs: 100, multiplier: 2, maxDelayMs: 1_000, jitter: 0.5 };
  const noJitter = () => 0;
  const fullJitter = () => 1;

  it('grows by the multiplier after each retry and stops at maxDelayMs', () => {
    expect([1, 2, 3, 4, 5, 6, 20].map((r) => backoffDelayMs(policy, r, noJitter))).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000]);
    const triple = { ...policy, multiplier: 3, maxDelayMs: 100_000 };
    expect([1, 2, 3].map((r) => backoffDelayMs(triple, r, noJitter))).toEqual([100, 300, 900]);
  });

  it.each([
    // [retry, random, expected]: jitter takes at most `jitter` of the capped delay off, never adds.
    [1, 0, 100],
    [1, 1, 50],
    [3, 0, 400],
    [3, 0.5, 300],
    [3, 1, 200],
    [9, 0, 1_000],
    [9, 1, 500],
  ])('retry %i with random() = %d waits %i ms', (retry, r, expected) => {
    expect(backoffDelayMs(policy, retry, () => r)).toBe(expected);
  });

  it('stays within [delay × (1 − jitter), delay] for any random draw', () => {
    for (let i = 0; i <= 100; i++) {
      const d = backoffDelayMs(policy, 4, () => i / 101);
      expect(d).toBeGreaterThanOrEqual(400);
      expect(d).toBeLessThanOrEqual(800);
    }
  });

  it('with no jitter configured ignores the random draw', () => {
    expect(backoffDelayMs({ ...policy, jitter: 0 }, 2, fullJitter)).toBe(200);
  });

  it('full jitter may go down to zero', () => {
    expect(backoffDelayMs({ ...policy, jitter: 1 }, 2, fullJitter)).toBe(0);
  });

  it('honours a Retry-After longer than the backoff, capped at maxDelayMs', () => {
    expect(backoffDelayMs(policy, 1, noJitter, 700)).toBe(700);
    expect(backoffDelayMs(policy, 1, fullJitter, 700)).toBe(700);
    expect(backoffDelayMs(policy, 1, noJitter, 60_000)).toBe(1_000);
    expect(backoffDelayMs(policy, 1, noJitter, 86_400_000 * 30)).toBe(1_000);
  });

  it('keeps the backoff when Retry-After asks for less', () => {
    expect(backoffDelayMs(policy, 4, noJitter, 10)).toBe(800);
    expect(backoffDelayMs(policy, 2, noJitter, 0)).toBe(200);
  });

  it('uses Math.random by default and stays in bounds', () => {
    for (let i = 0; i < 50; i++) {
      const d = backoffDelayMs(policy, 2);
      expect(d).toBeGreaterThanOrEqual(100);
      expect(d).toBeLessThanOrEqual(200);
    }
  });
});
