import type { Target } from '../config/schema.js';
import { hasBreaker, type CircuitView } from '../core/circuit-breaker.js';
import type { JobRecord } from '../core/job-record.js';
import type { Deferral } from '../core/job-schema.js';
import type { FleetStatus } from '../observability/fleet-status.js';

/** How long one read of a target's breaker serves the documents of its queued jobs. */
const CIRCUIT_CACHE_MS = 1_000;

/**
 * Says, for the documents of queued jobs, whether their target's breaker holds them back
 * (`deferred`). The breaker is read at most once a second per target and gateway, and only
 * for targets that have one: a poll of a queued job costs no more than it did.
 */
export class JobDeferrals {
  private readonly cache = new Map<string, { atMs: number; view: Promise<CircuitView | null> }>();

  constructor(
    private readonly fleet: Pick<FleetStatus, 'circuit'>,
    private readonly targets: ReadonlyMap<string, Target>,
    private readonly now: () => number = Date.now,
  ) {}

  async of(record: JobRecord): Promise<Deferral | undefined> {
    const target = this.targets.get(record.target);
    if (record.status !== 'queued' || !target || !hasBreaker(target)) return undefined;
    const view = await this.circuit(target.name);
    if (!view || view.state === 'closed') return undefined;
    return { reason: 'circuit_open', until: view.until };
  }

  /** The deferrals of a page of jobs, in order. */
  many(records: readonly JobRecord[]): Promise<(Deferral | undefined)[]> {
    return Promise.all(records.map((r) => this.of(r)));
  }

  private circuit(name: string): Promise<CircuitView | null> {
    const now = this.now();
    const hit = this.cache.get(name);
    if (hit && now - hit.atMs < CIRCUIT_CACHE_MS) return hit.view;
    // A failed read leaves `deferred` out (the rest of the document is still true) and is not kept.
    const view = this.fleet.circuit(name, now).catch(() => {
      this.cache.delete(name);
      return null;
    });
    this.cache.set(name, { atMs: now, view });
    return view;
  }
}
