import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks signing: `webhook-signature` is `v1,<base64 HMAC-SHA256 of
 * "<id>.<timestamp>.<body>">`, one per active secret (space-separated) during rotation.
 * Secrets are `whsec_<base64 key>`.
 */
const PREFIX = 'whsec_';

export function secretKey(secret: string): Buffer {
  if (!secret.startsWith(PREFIX)) throw new Error('webhook secrets start with whsec_');
  const key = Buffer.from(secret.slice(PREFIX.length), 'base64');
  if (key.length < 24) throw new Error('webhook secrets carry at least 24 random bytes');
  return key;
}

export function sign(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secretKey(secret)).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The `webhook-signature` header value: one signature per secret. */
export function signatureHeader(secrets: readonly string[], id: string, timestampSeconds: number, body: string): string {
  return secrets.map((s) => sign(s, id, timestampSeconds, body)).join(' ');
}

export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

/**
 * For receivers: checks a delivery's headers and raw body against your secret(s),
 * with a timestamp tolerance against replays. Throws WebhookVerificationError.
 *
 * @example
 * app.post('/hooks', express.raw({ type: '*\/*' }), (req, res) => {
 *   const event = verifyWebhook(['whsec_…'], req.headers, req.body.toString('utf8'));
 *   res.sendStatus(204);
 * });
 */
export function verifyWebhook(
  secrets: readonly string[],
  headers: Record<string, string | string[] | undefined>,
  body: string,
  toleranceSeconds = 300,
  nowSeconds = Math.floor(Date.now() / 1_000),
): unknown {
  const one = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const id = one('webhook-id');
  const timestamp = Number(one('webhook-timestamp'));
  const signatures = (one('webhook-signature') ?? '').split(' ');
  if (!id || !Number.isInteger(timestamp)) throw new WebhookVerificationError('missing webhook-id or webhook-timestamp');
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) throw new WebhookVerificationError('timestamp outside the tolerance');
  for (const secret of secrets) {
    const expected = Buffer.from(sign(secret, id, timestamp, body));
    if (signatures.some((s) => s.length === expected.length && timingSafeEqual(Buffer.from(s), expected))) return JSON.parse(body) as unknown;
  }
  throw new WebhookVerificationError('no signature matches');
}
