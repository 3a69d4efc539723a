import { describe, expect, it } from 'vitest';
import { decideDelivery, type DeliveryDecision } from '../../workers/notifier/post-webhook.js';
import { RetryLaterError, retryLaterBackoff } from '../../workers/retry-later.js';

describe('decideDelivery: what a webhook attempt comes to', () => {
  const schedule = [0, 1_000, 10_000];
  it.each<[string, { statusCode: number | null; retryAfterMs?: number }, number, number, DeliveryDecision]>([
    ['2xx: delivered', { statusCode: 204 }, 1, 0.5, { outcome: 'delivered' }],
    ['410: the receiver asks for no more', { statusCode: 410 }, 1, 0.5, { outcome: 'gone' }],
    ['500 on attempt 1: the schedule\'s next step, less jitter 0.2 * 0.5', { statusCode: 500 }, 1, 0.5, { outcome: 'retrying', delayMs: 900 }],
    ['no answer on attempt 2', { statusCode: null }, 2, 0, { outcome: 'retrying', delayMs: 10_000 }],
    ['429 with a longer Retry-After', { statusCode: 429, retryAfterMs: 5_000 }, 1, 0.5, { outcome: 'retrying', delayMs: 5_000 }],
    ['Retry-After capped at the longest step', { statusCode: 503, retryAfterMs: 60_000 }, 1, 0.5, { outcome: 'retrying', delayMs: 10_000 }],
    ['a redirect is a failure too', { statusCode: 302 }, 1, 0, { outcome: 'retrying', delayMs: 1_000 }],
    ['schedule exhausted: failed (a webhook dead letter)', { statusCode: 500 }, 3, 0.5, { outcome: 'failed' }],
  ])('%s', (_name, post, attempt, random, expected) => {
    expect(decideDelivery(post, schedule, attempt, 0.2, () => random)).toEqual(expected);
  });
});

describe('retryLaterBackoff: the executor\'s and the notifier\'s backoff strategy', () => {
  const strategy = retryLaterBackoff((attemptsMade) => attemptsMade * 100);
  it('returns the delay a RetryLaterError asked for', () => {
    expect(strategy(3, 'gateway', new RetryLaterError(1_234, 'later'))).toBe(1_234);
  });
  it('falls back for anything else thrown', () => {
    expect(strategy(3, 'gateway', new Error('redis blip'))).toBe(300);
    expect(strategy(2)).toBe(200);
  });
});
