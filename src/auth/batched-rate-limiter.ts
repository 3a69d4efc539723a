import type { TenantsSettings } from '../config/schema.js';
import { sendAcrossSlots, type KeyedCommand, type RedisClient } from '../core/redis.js';
import type { RateLimitState } from '../core/errors.js';
import type { Keys } from '../core/keys.js';
import { RATE_KEY_MARGIN_MS, windowStart } from '../core/tenant-admission.js';
import { limitsFor } from './tenant-limits.js';

export interface RateVerdict {
  allowed: boolean;
  state: RateLimitState;
  windowSeconds: number;
}

/** One tenant's current window as this process knows it. */
interface TenantWindow {
  start: number;
  windowMs: number;
  limit: number;
  /** The window's count in Redis as of the last sync (every process's requests, submits included). */
  seen: number;
  /** Requests let through here since, not yet added in Redis. */
  pending: number;
  /** Requests on their way to Redis in the sync under way. */
  sending: number;
}

/**
 * The tenant request rate for everything but submits (reads, lists, cancels, admin calls),
 * without a Redis round trip per request: each gateway counts locally and adds its counts to
 * the tenant's window counter in Redis every `syncMs`, in one pipelined batch for all
 * tenants, learning the window's total (every gateway's requests and every submit) from the
 * reply. Submits are counted exactly, in the admission script, against the same counter.
 *
 * What stays approximate: between two syncs a gateway does not see what the others let
 * through, so a tenant spread over N gateways may exceed its limit by what the other N - 1
 * admitted in the last `syncMs`. With `syncMs` 0 every request is counted in Redis before
 * it is answered (exact, one round trip each).
 */
export class BatchedRateLimiter {
  private readonly windows = new Map<string, TenantWindow>();
  private timer: NodeJS.Timeout | null = null;
  private syncing: Promise<void> | null = null;
  /** Whether the last sync failed: an outage is reported once, not every interval. */
  private failing = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly tenants: TenantsSettings,
    private readonly syncMs: number,
    /** Called when syncs start failing (once per outage, not every interval). */
    private readonly onSyncError: (err: unknown) => void = () => undefined,
  ) {}

  start(): void {
    if (this.syncMs > 0 && !this.timer) {
      this.timer = setInterval(() => void this.sync(), this.syncMs);
      this.timer.unref();
    }
  }

  /** Stops the timer and adds what is still counted locally. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.sync();
  }

  /** Counts one request of `tenant`, or refuses it when its window is spent. */
  async take(tenant: string, nowMs = Date.now()): Promise<RateVerdict> {
    const w = this.windowOf(tenant, nowMs);
    const resetSeconds = Math.ceil((w.start + w.windowMs - nowMs) / 1_000);
    if (this.syncMs === 0) {
      // Exact: the request is counted in Redis before it is answered.
      const count = await this.redis.incr(this.keys.tenantRate(tenant, w.start));
      if (count === 1) await this.redis.pexpire(this.keys.tenantRate(tenant, w.start), w.windowMs + RATE_KEY_MARGIN_MS);
      w.seen = count;
      return { allowed: count <= w.limit, state: { limit: w.limit, remaining: w.limit - count, resetSeconds }, windowSeconds: w.windowMs / 1_000 };
    }
    const used = w.seen + w.pending + w.sending;
    if (used >= w.limit) return { allowed: false, state: { limit: w.limit, remaining: 0, resetSeconds }, windowSeconds: w.windowMs / 1_000 };
    w.pending++;
    return { allowed: true, state: { limit: w.limit, remaining: w.limit - used - 1, resetSeconds }, windowSeconds: w.windowMs / 1_000 };
  }

  /**
   * Adds every tenant's local count to Redis and reads the total of every window in use here,
   * in one round trip: a gateway that let nothing through since learns what the others did.
   */
  sync(): Promise<void> {
    this.syncing ??= this.flush().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  private async flush(): Promise<void> {
    const now = Date.now();
    const batch: [string, TenantWindow][] = [];
    for (const [tenant, w] of this.windows) {
      if (w.start + w.windowMs <= now) this.windows.delete(tenant);
      else batch.push([tenant, w]);
    }
    if (batch.length === 0) return;
    // Per window: add what was let through here (and keep the key alive), or read the total.
    const commands: KeyedCommand[] = [];
    const totalAt: number[] = [];
    for (const [tenant, w] of batch) {
      const key = this.keys.tenantRate(tenant, w.start);
      w.sending = w.pending;
      w.pending = 0;
      totalAt.push(commands.length);
      if (w.sending > 0) commands.push(['incrby', key, w.sending], ['pexpire', key, w.windowMs + RATE_KEY_MARGIN_MS]);
      else commands.push(['get', key]);
    }
    let replies: [Error | null, unknown][] = [];
    try {
      replies = await sendAcrossSlots(this.redis, commands);
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.onSyncError(err);
      this.failing = true;
    }
    batch.forEach(([, w], i) => {
      const [err, total] = replies[totalAt[i]!] ?? [new Error('no reply')];
      if (err) w.pending += w.sending;
      else w.seen = Math.max(w.seen, Number(total ?? 0));
      w.sending = 0;
    });
  }

  private windowOf(tenant: string, nowMs: number): TenantWindow {
    const { requestsPerWindow, windowSeconds } = limitsFor(this.tenants, tenant);
    const windowMs = windowSeconds * 1_000;
    const start = windowStart(nowMs, windowMs);
    let w = this.windows.get(tenant);
    if (!w || w.start !== start || w.windowMs !== windowMs) {
      // A new window: what the old one still had pending is dropped with it (it has ended).
      w = { start, windowMs, limit: requestsPerWindow, seen: 0, pending: 0, sending: 0 };
      this.windows.set(tenant, w);
    }
    return w;
  }
}
