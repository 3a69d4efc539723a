import type { RedisClient } from './redis.js';
import type { Keys } from './keys.js';

/** A remembered answer: what a retried request gets back. */
export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type IdempotencyRecord =
  | { state: 'pending'; fingerprint: string }
  | { state: 'done'; fingerprint: string; response: StoredResponse };

/**
 * Idempotency-Key records, scoped per tenant. A key is first claimed `pending` for a
 * short lease (so a crashed gateway does not block retries for a whole window), then
 * holds the first answer for the tenant's window.
 */
export class IdempotencyStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly pendingLeaseMs = 60_000,
  ) {}

  /** True when this request now owns the key. */
  async claim(tenant: string, keyHash: string, fingerprint: string): Promise<boolean> {
    const record: IdempotencyRecord = { state: 'pending', fingerprint };
    const ok = await this.redis.set(this.keys.idempotency(tenant, keyHash), JSON.stringify(record), 'PX', this.pendingLeaseMs, 'NX');
    return ok === 'OK';
  }

  async get(tenant: string, keyHash: string): Promise<IdempotencyRecord | null> {
    const raw = await this.redis.get(this.keys.idempotency(tenant, keyHash));
    return raw ? (JSON.parse(raw) as IdempotencyRecord) : null;
  }

  async complete(tenant: string, keyHash: string, fingerprint: string, response: StoredResponse, windowSeconds: number): Promise<void> {
    const record: IdempotencyRecord = { state: 'done', fingerprint, response };
    await this.redis.set(this.keys.idempotency(tenant, keyHash), JSON.stringify(record), 'EX', windowSeconds);
  }

  /**
   * Gives a pending claim its full lease again (never shortens a longer expiry), while its
   * answer waits to be saved. PEXPIRE needs no memory, so it still works when Redis, full,
   * refuses the save itself.
   */
  async extend(tenant: string, keyHash: string): Promise<void> {
    await this.redis.pexpire(this.keys.idempotency(tenant, keyHash), this.pendingLeaseMs, 'GT');
  }

  /** Forgets a claim whose request failed, so that the client's retry can run. */
  async release(tenant: string, keyHash: string): Promise<void> {
    await this.redis.del(this.keys.idempotency(tenant, keyHash));
  }
}
