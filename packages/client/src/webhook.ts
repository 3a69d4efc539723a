import { constantTimeEqual, fromBase64, hmacSha256, toBase64 } from './hmac.js';
import type { WebhookEvent } from './types.js';

/**
 * Webhook verification per Standard Webhooks (https://www.standardwebhooks.com): the
 * `webhook-signature` header holds `v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">`,
 * one per secret the sender signs with (space-separated, during a key rotation).
 */

/** A `whsec_…` secret as the gateway's config holds it, its bare base64, or the raw key bytes. */
export type WebhookSecret = string | Uint8Array;

/** Fetch `Headers`, or Node's `req.headers` (any letter case). */
export type WebhookHeaders = Headers | { get(name: string): string | null } | Record<string, string | string[] | undefined>;

export interface VerifyWebhookOptions {
  /** How far `webhook-timestamp` may be from now, either way, in seconds. Default 300 (five minutes). */
  toleranceSeconds?: number;
  /** The current time (for tests): a Date or milliseconds since the epoch. Default: now. */
  now?: Date | number;
}

export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError';
}

const SECRET_PREFIX = 'whsec_';
const DEFAULT_TOLERANCE_SECONDS = 5 * 60;
const encoder = new TextEncoder();

/**
 * Verifies a delivery and returns its event. Pass the body exactly as it arrived (a string
 * or bytes): a body parsed and re-serialised (`JSON.stringify(req.body)`) no longer matches
 * its signature. Throws `WebhookVerificationError` when a header is missing, the timestamp
 * is outside the tolerance, or no signature matches any of the secrets.
 *
 * @example
 * app.post('/hooks', express.raw({ type: 'application/json' }), (req, res) => {
 *   const event = verifyWebhook(req.body, req.headers, process.env.WEBHOOK_SECRET!);
 *   res.sendStatus(204);
 * });
 */
export function verifyWebhook(
  rawBody: string | Uint8Array | ArrayBuffer,
  headers: WebhookHeaders,
  secret: WebhookSecret | readonly WebhookSecret[],
  options: VerifyWebhookOptions = {},
): WebhookEvent {
  const body = bodyBytes(rawBody);
  const keys = (Array.isArray(secret) ? (secret as readonly WebhookSecret[]) : [secret as WebhookSecret]).map(secretKey);
  if (keys.length === 0) throw new TypeError('verifyWebhook needs at least one secret');

  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) throw new WebhookVerificationError('missing webhook-id, webhook-timestamp or webhook-signature header');
  if (!/^\d{1,15}$/.test(timestamp)) throw new WebhookVerificationError('webhook-timestamp is not a number of seconds');

  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const nowMs = options.now === undefined ? Date.now() : typeof options.now === 'number' ? options.now : options.now.getTime();
  const age = Math.floor(nowMs / 1_000) - Number(timestamp);
  if (age > tolerance) throw new WebhookVerificationError('webhook-timestamp is too old');
  if (age < -tolerance) throw new WebhookVerificationError('webhook-timestamp is too far in the future');

  const prefix = encoder.encode(`${id}.${timestamp}.`);
  const signed = new Uint8Array(prefix.length + body.length);
  signed.set(prefix);
  signed.set(body, prefix.length);
  const offered = signatures
    .split(' ')
    .filter((s) => s.startsWith('v1,'))
    .map((s) => s.slice(3));
  let matched = false;
  // Every key against every signature, without stopping early: the time taken says nothing about which one matched.
  for (const key of keys) {
    const expected = toBase64(hmacSha256(key, signed));
    for (const sig of offered) if (constantTimeEqual(sig, expected)) matched = true;
  }
  if (!matched) throw new WebhookVerificationError('no signature matches');

  try {
    return JSON.parse(new TextDecoder().decode(body)) as WebhookEvent;
  } catch {
    throw new WebhookVerificationError('the signed payload is not JSON');
  }
}

function bodyBytes(raw: unknown): Uint8Array {
  if (typeof raw === 'string') return encoder.encode(raw);
  if (raw instanceof Uint8Array) return raw;
  if (raw instanceof ArrayBuffer) return new Uint8Array(raw);
  throw new TypeError(
    'verifyWebhook needs the raw body as a string or bytes, not a parsed object: a re-serialised body does not match its signature ' +
      "(with Express, mount express.raw({ type: 'application/json' }) on the webhook route instead of express.json())",
  );
}

function secretKey(secret: WebhookSecret): Uint8Array {
  if (secret instanceof Uint8Array) return secret;
  if (typeof secret !== 'string') throw new TypeError('a webhook secret is a string (whsec_…) or bytes');
  const base64 = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  let key: Uint8Array;
  try {
    key = fromBase64(base64);
  } catch {
    throw new TypeError('a webhook secret is whsec_ followed by base64');
  }
  if (key.length === 0) throw new TypeError('the webhook secret is empty');
  return key;
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') return (headers as { get(n: string): string | null }).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  let value = record[name];
  if (value === undefined) {
    const key = Object.keys(record).find((k) => k.toLowerCase() === name);
    value = key === undefined ? undefined : record[key];
  }
  return Array.isArray(value) ? value[0] : value;
}
