import { got } from 'got';
import ipaddr from 'ipaddr.js';
import type { WebhookSettings } from '../../src/config/schema.js';
import { classifyAddress, type AddressPolicy } from '../../src/webhooks/address-policy.js';
import { parseRetryAfterMs } from '../../src/core/retry-policy.js';
import { nextDeliveryDelayMs } from '../../src/webhooks/delivery-schedule.js';
import { guardedLookup, RefusedAddressError } from './guarded-lookup.js';

export interface PostOutcome {
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  retryAfterMs?: number;
}

/** What one delivery attempt comes to; `outcome` is also what the metrics count it as. */
export type DeliveryDecision =
  | { outcome: 'delivered' }
  /** 410: the receiver asks for no more; the callback ends `failed`, not a dead letter. */
  | { outcome: 'gone' }
  | { outcome: 'retrying'; delayMs: number }
  /** The schedule is exhausted: a webhook dead letter. */
  | { outcome: 'failed' };

/**
 * The notifier's decision after attempt `attempt` (1-based) of a delivery, a pure function
 * of the answer, the schedule and the jitter draw: 2xx delivers, 410 stops, anything else
 * (no answer, another status) is retried after the schedule's next delay (or a longer
 * Retry-After), until the schedule runs out.
 */
export function decideDelivery(
  post: Pick<PostOutcome, 'statusCode' | 'retryAfterMs'>,
  schedule: readonly number[],
  attempt: number,
  jitter: number,
  random: () => number = Math.random,
): DeliveryDecision {
  const status = post.statusCode;
  if (status !== null && status >= 200 && status < 300) return { outcome: 'delivered' };
  if (status === 410) return { outcome: 'gone' };
  const delayMs = nextDeliveryDelayMs(schedule, attempt, jitter, random, post.retryAfterMs);
  return delayMs === null ? { outcome: 'failed' } : { outcome: 'retrying', delayMs };
}

/**
 * One delivery attempt: POST the signed body, follow no redirect, give up after
 * `timeoutMs`, read at most `maxResponseBytes` of the answer and drop it. Never throws.
 */
export async function postWebhook(
  url: string,
  body: string,
  headers: Record<string, string>,
  settings: Pick<WebhookSettings, 'timeoutMs' | 'maxResponseBytes'>,
  policy: AddressPolicy,
): Promise<PostOutcome> {
  const started = Date.now();
  const done = (o: Omit<PostOutcome, 'durationMs'>): PostOutcome => ({ ...o, durationMs: Date.now() - started });
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  // An IP literal never goes through lookup: judge it here, before any socket opens.
  if (ipaddr.isValid(host) && !policy.allowedHosts.has(host)) {
    const v = classifyAddress(host, policy);
    if (!v.allowed) return done({ statusCode: null, error: `refused: ${v.reason}` });
  }
  return new Promise<PostOutcome>((resolve) => {
    let statusCode: number | null = null;
    let retryAfterMs: number | undefined;
    let read = 0;
    const stream = got.stream.post(url, {
      body,
      headers,
      followRedirect: false,
      throwHttpErrors: false,
      retry: { limit: 0 },
      timeout: { request: settings.timeoutMs },
      dnsLookup: guardedLookup(policy) as never,
    });
    const finish = (error: string | null) => {
      resolve(done({ statusCode, error, ...(retryAfterMs !== undefined && { retryAfterMs }) }));
    };
    stream.on('response', (res: { statusCode: number; headers: Record<string, string | string[] | undefined> }) => {
      statusCode = res.statusCode;
      const ra = res.headers['retry-after'];
      retryAfterMs = parseRetryAfterMs(Array.isArray(ra) ? ra[0] : ra, Date.now());
    });
    stream.on('data', (chunk: Buffer) => {
      read += chunk.length;
      // The answer is not needed: past the cap, stop reading and keep the status.
      if (read > settings.maxResponseBytes) {
        stream.destroy();
        finish(null);
      }
    });
    stream.on('end', () => finish(null));
    stream.on('error', (err: Error & { code?: string }) => {
      const cause = (err as { cause?: unknown }).cause;
      if (err instanceof RefusedAddressError || cause instanceof RefusedAddressError) return finish(`refused: ${err.message}`);
      if (err.name === 'TimeoutError') return finish(`timeout after ${settings.timeoutMs} ms`);
      finish(`${err.code ?? err.name}: ${err.message}`);
    });
  });
}
