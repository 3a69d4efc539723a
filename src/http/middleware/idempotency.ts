import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { parseItem, Token } from 'structured-headers';
import { limitsFor } from '../../auth/tenant-limits.js';
import type { TenantsSettings } from '../../config/schema.js';
import { ApiError } from '../../core/errors.js';
import type { IdempotencyStore, StoredResponse } from '../../core/idempotency-store.js';
import type { Logger } from '../../core/logger.js';
import { RetryUntilDone } from '../../jobs/retry-until-done.js';

/** How often a refused save of a first answer is tried again, and how many are kept. */
const SAVE_RETRY_MS = 1_000;
const MAX_PENDING_SAVES = 10_000;

/** Headers of the first answer that a replay repeats. */
const REPLAYED_HEADERS = ['content-type', 'location', 'operation-location', 'retry-after', 'preference-applied', 'vary'];

/**
 * `Idempotency-Key` (IETF httpapi draft; a structured-field string, so `"abc"` and a
 * bare token `abc` are both accepted): the same key with the same request returns the
 * first answer (status, headers, body) without a second job; with a different request
 * it is 422; while the first is still being admitted, 409. Keys are scoped per tenant
 * and kept for the tenant's window. Only 2xx answers are remembered: a refused request
 * leaves the key free for a corrected retry.
 *
 * The first answer is saved after it is sent. A save that Redis refuses is logged and
 * tried again every second until it goes through, and each failed try renews the
 * pending claim's lease: meanwhile a retry gets 409 `idempotency_key_in_use`, never a
 * second job. (In memory, as the submit's undos: a gateway that dies with saves pending
 * leaves their claims to lapse with their lease.)
 */
export function idempotency(store: IdempotencyStore, tenants: TenantsSettings): RequestHandler {
  /** The logger of each request whose save is being retried, by retry key. */
  const waiting = new Map<string, Logger>();
  const retries = new RetryUntilDone(SAVE_RETRY_MS, MAX_PENDING_SAVES, (event, key, err) => {
    const log = waiting.get(key);
    if (event !== 'failed') waiting.delete(key);
    if (event === 'done') log?.info({ event: 'idempotency.saved' }, 'first answer of an Idempotency-Key saved on retry');
    else if (event === 'dropped') log?.error({ event: 'idempotency.save_dropped' }, 'too many answers waiting to be saved; this key lapses with its lease');
    else log?.warn({ event: 'idempotency.save_failed', err }, 'could not save the first answer of an Idempotency-Key yet; retrying');
  });
  /** Runs `save` now; when Redis refuses it, logs that and hands it to the retries. */
  const seeThrough = (log: Logger, retryKey: string, save: () => Promise<void>) => {
    save().catch((err: unknown) => {
      log.warn({ event: 'idempotency.save_failed', err }, 'could not save the first answer of an Idempotency-Key yet; retrying');
      waiting.set(retryKey, log);
      retries.add(retryKey, save);
    });
  };
  return async (req, res, next) => {
    const header = req.get('idempotency-key');
    if (header === undefined) return next();
    const key = parseKey(header);
    const tenant = req.ctx.tenant;
    const keyHash = createHash('sha256').update(key).digest('hex');
    const fingerprint = fingerprintOf(req);
    if (await store.claim(tenant, keyHash, fingerprint)) {
      const log = req.ctx.log.child({ tenant, idempotencyKeyHash: keyHash.slice(0, 16) });
      const retryKey = `${tenant}\n${keyHash}`;
      remember(res, {
        done: (response) => {
          const window = limitsFor(tenants, tenant).idempotencyWindowSeconds;
          seeThrough(log, retryKey, async () => {
            try {
              await store.complete(tenant, keyHash, fingerprint, response, window);
            } catch (err) {
              // The claim must outlive the outage: once it lapsed, a retry would make a second job.
              await store.extend(tenant, keyHash).catch(() => undefined);
              throw err;
            }
          });
        },
        // Not retried: a late release could delete a later request's claim. The claim lapses
        // with its lease instead; until then a retry gets 409, never a second job.
        release: () => {
          store.release(tenant, keyHash).catch((err: unknown) => {
            log.warn({ event: 'idempotency.release_failed', err }, 'could not release the Idempotency-Key claim; it lapses with its lease');
          });
        },
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
function remember(res: Response, actions: { done: (r: StoredResponse) => void; release: () => void }): void {
  const send = res.send.bind(res);
  let settled = false;
  res.send = (body?: unknown) => {
    if (!settled) {
      settled = true;
      if (res.statusCode >= 200 && res.statusCode < 300) {
        const headers: Record<string, string> = {};
        for (const name of REPLAYED_HEADERS) {
          const v = res.getHeader(name);
          if (v !== undefined) headers[name] = String(v);
        }
        headers['content-type'] ??= 'application/json; charset=utf-8';
        actions.done({ status: res.statusCode, headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
      } else {
        actions.release();
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
