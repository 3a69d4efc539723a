/**
 * `@async-gateway/client/express`: a webhook receiver for Express (4 or 5) or plain
 * `node:http`. It does not import express: it only needs what every Node request and
 * response have, so the package keeps zero dependencies.
 */
import type { WebhookEvent } from './types.js';
import { verifyWebhook, WebhookVerificationError, type WebhookSecret } from './webhook.js';

/** What the helper reads of a request: Express's `req`, or a `node:http` IncomingMessage. */
export interface WebhookRequest {
  headers: Record<string, string | string[] | undefined>;
  /** Set by a body parser: bytes (express.raw) or text (express.text) are verified; a parsed object cannot be. */
  body?: unknown;
  [Symbol.asyncIterator]?(): AsyncIterator<unknown>;
}

/** What the helper writes of a response: Express's `res`, or a `node:http` ServerResponse. */
export interface WebhookResponse {
  statusCode: number;
  readonly headersSent: boolean;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
}

export interface WebhookContext<Req, Res> {
  /** `webhook-id`: the same on every retry of one message. Deduplicate on it (delivery is at least once). */
  webhookId: string;
  req: Req;
  res: Res;
}

export interface WebhookHandlerOptions<Req, Res> {
  /** The `whsec_…` secret, or several while you rotate. */
  secret: WebhookSecret | readonly WebhookSecret[];
  /** Timestamp tolerance in seconds. Default 300. */
  toleranceSeconds?: number;
  /** Handles a verified event. Resolve to answer 204 (unless you answered yourself); throw to answer 500 (through `next`), so that the gateway retries. */
  onEvent(event: WebhookEvent, context: WebhookContext<Req, Res>): void | Promise<void>;
  /** The largest body read when no body parser ran, in bytes. Default 1 MiB. */
  maxBodyBytes?: number;
}

/**
 * An Express handler for the gateway's webhooks: verifies the signature over the raw body,
 * answers 400 to a bad or stale one, else calls `onEvent` and answers 204.
 *
 * Mount it with no body parser on its route (it reads the body itself) or after
 * `express.raw()`; never after `express.json()`, whose parsed object cannot be verified.
 *
 * @example
 * app.post('/hooks', webhookHandler({
 *   secret: process.env.WEBHOOK_SECRET!,
 *   async onEvent(event, { webhookId }) { await handle(webhookId, event.type, event.data); },
 * }));
 */
export function webhookHandler<Req extends WebhookRequest, Res extends WebhookResponse>(
  options: WebhookHandlerOptions<Req, Res>,
): (req: Req, res: Res, next: (err?: unknown) => void) => Promise<void> {
  const maxBytes = options.maxBodyBytes ?? 1024 * 1024;
  return async (req, res, next) => {
    let event: WebhookEvent;
    try {
      const body = await rawBody(req, maxBytes);
      event = verifyWebhook(body, req.headers, options.secret, { ...(options.toleranceSeconds !== undefined && { toleranceSeconds: options.toleranceSeconds }) });
    } catch (err) {
      if (err instanceof WebhookVerificationError || err instanceof BodyTooLargeError) {
        res.statusCode = err instanceof BodyTooLargeError ? 413 : 400;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ error: err.message }));
        return;
      }
      return next(err);
    }
    try {
      const id = req.headers['webhook-id'];
      await options.onEvent(event, { webhookId: String(Array.isArray(id) ? id[0] : id), req, res });
    } catch (err) {
      return next(err);
    }
    if (!res.headersSent) {
      res.statusCode = 204;
      res.end();
    }
  };
}

class BodyTooLargeError extends Error {}

async function rawBody(req: WebhookRequest, maxBytes: number): Promise<string | Uint8Array> {
  const body = req.body;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  // Express 4's body parsers leave `{}` on requests they skip; anything else was parsed.
  const untouched = body === undefined || body === null || (typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0);
  if (!untouched) {
    throw new TypeError(
      'webhookHandler got a parsed body: the signature covers the raw bytes, which a parsed and re-serialised body does not reproduce. ' +
        "Mount the webhook route before express.json(), or give it express.raw({ type: 'application/json' }).",
    );
  }
  if (!req[Symbol.asyncIterator]) throw new TypeError('webhookHandler needs the raw body: a readable request or express.raw()');
  const chunks: Uint8Array[] = [];
  let size = 0;
  const encoder = new TextEncoder();
  for await (const chunk of req as AsyncIterable<unknown>) {
    const bytes = typeof chunk === 'string' ? encoder.encode(chunk) : (chunk as Uint8Array);
    size += bytes.length;
    if (size > maxBytes) throw new BodyTooLargeError(`the webhook body is over ${maxBytes} bytes`);
    chunks.push(bytes);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}
