import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { parseItem, Token } from 'structured-headers';
import { limitsFor } from '../../auth/tenant-limits.js';
import type { TenantsSettings } from '../../config/schema.js';
import { ApiError } from '../../core/errors.js';
import type { IdempotencyStore, StoredResponse } from '../../core/idempotency-store.js';

/** Headers of the first answer that a replay repeats. */
const REPLAYED_HEADERS = ['content-type', 'location', 'operation-location', 'retry-after', 'preference-applied', 'vary'];

/**
 * `Idempotency-Key` (IETF httpapi draft; a structured-field string, so `"abc"` and a
 * bare token `abc` are both accepted): the same key with the same request returns the
 * first answer (status, headers, body) without a second job; with a different request
 * it is 422; while the first is still being admitted, 409. Keys are scoped per tenant
 * and kept for the tenant's window. Only 2xx answers are remembered: a refused request
 * leaves the key free for a corrected retry.
 */
export function idempotency(store: IdempotencyStore, tenants: TenantsSettings): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('idempotency-key');
    if (header === undefined) return next();
    const key = parseKey(header);
    const tenant = req.ctx.tenant;
    const keyHash = createHash('sha256').update(key).digest('hex');
    const fingerprint = fingerprintOf(req);
    if (await store.claim(tenant, keyHash, fingerprint)) {
      remember(res, () => {
        const window = limitsFor(tenants, tenant).idempotencyWindowSeconds;
        return {
          done: (response) => store.complete(tenant, keyHash, fingerprint, response, window),
          release: () => store.release(tenant, keyHash),
        };
      });
      return next();
    }
    const existing = await store.get(tenant, keyHash);
    if (!existing) throw new ApiError('idempotency_key_in_use', 'the first request with this key just ended; retry', { retryAfterSeconds: 1 });
    if (existing.fingerprint !== fingerprint) {
      throw new ApiError('idempotency_key_reused', 'this Idempotency-Key was used with a different request');
    }
    if (existing.state === 'pending') {
      throw new ApiError('idempotency_key_in_use', 'the first request with this key is still being processed', { retryAfterSeconds: 1 });
    }
    replay(res, existing.response);
  };
}

function parseKey(header: string): string {
  let value: unknown;
  try {
    [value] = parseItem(header);
  } catch {
    throw new ApiError('invalid_idempotency_key', 'Idempotency-Key must be a structured-field string, e.g. "4f1c-…"');
  }
  const key = value instanceof Token ? value.toString() : value;
  if (typeof key !== 'string' || key.length < 1 || key.length > 255) {
    throw new ApiError('invalid_idempotency_key', 'Idempotency-Key must be a string of 1 to 255 characters');
  }
  return key;
}

/** What makes two requests "the same": method, URL, content type and the exact body bytes. */
function fingerprintOf(req: Request): string {
  const body = Buffer.isBuffer(req.body) ? req.body : (req.rawBody ?? Buffer.alloc(0));
  return createHash('sha256')
    .update(`${req.method}\n${req.originalUrl}\n${req.get('content-type') ?? ''}\n`)
    .update(body)
    .digest('hex');
}

/** Wraps `res.send` so that the first answer is remembered (2xx) or the claim released. */
function remember(res: Response, open: () => { done: (r: StoredResponse) => Promise<void>; release: () => Promise<void> }): void {
  const send = res.send.bind(res);
  let settled = false;
  res.send = (body?: unknown) => {
    if (!settled) {
      settled = true;
      const actions = open();
      if (res.statusCode >= 200 && res.statusCode < 300) {
        const headers: Record<string, string> = {};
        for (const name of REPLAYED_HEADERS) {
          const v = res.getHeader(name);
          if (v !== undefined) headers[name] = String(v);
        }
        headers['content-type'] ??= 'application/json; charset=utf-8';
        void actions.done({ status: res.statusCode, headers, body: typeof body === 'string' ? body : JSON.stringify(body) }).catch(() => undefined);
      } else {
        void actions.release().catch(() => undefined);
      }
    }
    return send(body);
  };
}

function replay(res: Response, stored: StoredResponse): void {
  res.status(stored.status);
  for (const [name, value] of Object.entries(stored.headers)) res.setHeader(name, value);
  res.setHeader('Idempotent-Replayed', 'true');
  res.send(stored.body);
}
