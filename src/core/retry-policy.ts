import type { BackoffPolicy } from '../config/schema.js';

/**
 * Pure retry decisions: which upstream answers are worth retrying, how long a
 * `Retry-After` asks us to wait, and the backoff before the next attempt.
 */

export type StatusClass =
  | { kind: 'success' }
  | { kind: 'retryable'; honourRetryAfter: boolean }
  | { kind: 'permanent' };

const RETRYABLE_4XX = new Set([408, 425, 429]);

export function classifyStatus(status: number): StatusClass {
  if (status >= 200 && status < 300) return { kind: 'success' };
  if (RETRYABLE_4XX.has(status) || status >= 500) {
    return { kind: 'retryable', honourRetryAfter: status === 429 || status === 503 };
  }
  // 1xx/3xx (redirects are not followed) and the remaining 4xx will not improve on retry.
  return { kind: 'permanent' };
}

/** RFC 9110 Retry-After: delay-seconds or an HTTP-date. Undefined when absent or unparsable. */
export function parseRetryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1_000;
  // Every HTTP-date form starts with a day name; Date.parse alone would take "1.5" or "-5".
  if (!/^[A-Za-z]{3}/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/**
 * Delay before retry number `retry` (1 = the first retry): exponential, capped at
 * `maxDelayMs`, with a random share `jitter` taken off so that a burst of failures
 * does not come back in lock-step. A server's Retry-After wins when it asks for
 * longer, still capped so that a hostile upstream cannot park a job for days.
 */
export function backoffDelayMs(
  policy: BackoffPolicy,
  retry: number,
  random: () => number = Math.random,
  retryAfterMs?: number,
): number {
  const exponential = policy.initialDelayMs * Math.pow(policy.multiplier, Math.max(0, retry - 1));
  const capped = Math.min(policy.maxDelayMs, exponential);
  const jittered = Math.round(capped * (1 - policy.jitter * random()));
  if (retryAfterMs === undefined) return jittered;
  return Math.max(jittered, Math.min(retryAfterMs, policy.maxDelayMs));
}
