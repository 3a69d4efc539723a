import type { TenantsSettings } from '../config/schema.js';
import { limitsFor } from '../auth/tenant-limits.js';
import { ApiError } from '../core/errors.js';
import type { Metrics } from '../observability/metrics.js';

/** What a held request waits for: `?wait=` on a job, `Prefer: wait` on a submit, an event stream. */
export type HeldKind = 'long_poll' | 'prefer_wait' | 'events';

/** A hold on one request; `release` is idempotent. */
export interface Hold {
  release(): void;
}

/**
 * Counts the requests this gateway holds open, per tenant and in all, and refuses a new
 * hold beyond either limit: each held request costs memory (a socket, its buffers, the
 * response) whether or not the job ever changes. The counts are this process's own: with
 * N gateways a tenant may hold N × maxWaiting in the fleet, which is what each process's
 * memory bound needs and costs no Redis round trip.
 */
export class HeldRequests {
  private readonly byTenant = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly tenants: TenantsSettings,
    private readonly maxTotal: number,
    private readonly retryAfterSeconds: number,
    private readonly metrics?: Metrics,
  ) {}

  /** A hold, or the refusal to answer with: 429 too_many_waiting (the tenant's limit) or 503 gateway_busy (this gateway's). */
  acquire(tenant: string, kind: HeldKind): Hold | ApiError {
    const held = this.byTenant.get(tenant) ?? 0;
    const max = limitsFor(this.tenants, tenant).maxWaiting;
    const limit = held >= max ? 'tenant' : this.total >= this.maxTotal ? 'gateway' : null;
    if (limit) {
      this.metrics?.heldRefused.inc({ kind, limit });
      const extra = { retryAfterSeconds: this.retryAfterSeconds };
      return limit === 'tenant'
        ? new ApiError('too_many_waiting', `this tenant already holds ${held} waiting requests (long-polls, Prefer: wait, event streams) on this gateway, its limit; poll without waiting, or retry after Retry-After`, extra)
        : new ApiError('gateway_busy', 'this gateway holds as many waiting requests as it may; retry after Retry-After (another instance may have room)', extra);
    }
    this.byTenant.set(tenant, held + 1);
    this.total++;
    this.metrics?.heldRequests.inc({ kind });
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const left = (this.byTenant.get(tenant) ?? 1) - 1;
        if (left > 0) this.byTenant.set(tenant, left);
        else this.byTenant.delete(tenant);
        this.total--;
        this.metrics?.heldRequests.dec({ kind });
      },
    };
  }

  /** Holds a request while `held` runs, or throws the refusal. */
  async around<T>(tenant: string, kind: HeldKind, held: () => Promise<T>): Promise<T> {
    const hold = this.acquire(tenant, kind);
    if (hold instanceof ApiError) throw hold;
    try {
      return await held();
    } finally {
      hold.release();
    }
  }

  /** Held now: in all, or by one tenant. */
  count(tenant?: string): number {
    return tenant === undefined ? this.total : (this.byTenant.get(tenant) ?? 0);
  }
}
