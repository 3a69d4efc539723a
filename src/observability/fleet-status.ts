import type { RedisClient } from '../core/redis.js';
import type { Target } from '../config/schema.js';
import { hasBreaker, type CircuitBreakers, type CircuitView } from '../core/circuit-breaker.js';
import type { ConcurrencyLimits } from '../core/concurrency-limit.js';
import { adaptiveConcurrencyOf } from '../config/schema.js';

/** A target's adaptive concurrency as the operator sees it. */
export interface ConcurrencyView {
  /** Attempts allowed in flight across every executor (rounded down: what they can run). */
  limit: number;
  /** Attempts in flight across the executors, as each last reported (within the last 5 s). */
  inFlight: number;
  min: number;
  max: number;
  /** The reference latency (the fastest mean the limiter has seen, drifting up slowly), ms; null before the first answer. */
  referenceLatencyMs: number | null;
}
import type { JobQueues, QueueCounts } from '../core/job-queues.js';
import type { FairnessView } from '../core/fair-queue.js';
import type { Keys } from '../core/keys.js';
import { dueAtMs } from './job-observer.js';
import { countWorkersSeen, WORKER_SEEN_WINDOW_MS } from './worker-heartbeat.js';

export interface TargetStatus {
  name: string;
  counts: QueueCounts;
  /** Executors that beat for this target within the window. */
  workers: number;
  /** How long the job that has been ready the longest has waited, in ms (0 when none waits). */
  oldestWaitingMs: number;
  /** Entries in the target's outbox: ends (and replays) whose effects on other slots are not relayed yet. */
  outboxEntries: number;
  /** The target's circuit breaker; null when it has none. */
  circuit: CircuitView | null;
  /** Its adaptive concurrency; null when its concurrency is fixed. */
  concurrency: ConcurrencyView | null;
  /** Its tenants' lanes; null unless it has `fairness: tenant`. */
  fairness: FairnessView | null;
}

export interface FleetSnapshot {
  atMs: number;
  targets: TargetStatus[];
  notifiers: number;
  deadLetters: number;
  webhookDeadLetters: number;
}


/**
 * What the gateway knows about the queues and the worker processes behind them, read
 * from Redis in a handful of pipelined round trips, for the Prometheus gauges and
 * the dashboard.
 */
export class FleetStatus {
  private pending: Promise<FleetSnapshot> | null = null;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly queues: JobQueues,
    private readonly targets: ReadonlyMap<string, Target>,
    private readonly breakers: CircuitBreakers | null = null,
    private readonly limits: ConcurrencyLimits | null = null,
    private readonly windowMs = WORKER_SEEN_WINDOW_MS,
  ) {}

  /** A target's adaptive concurrency as it is now (null when its concurrency is fixed). */
  async concurrency(name: string, nowMs = Date.now()): Promise<ConcurrencyView | null> {
    const t = this.targets.get(name);
    const bounds = t ? adaptiveConcurrencyOf(t) : null;
    if (!bounds || !this.limits) return null;
    const s = await this.limits.read(name, bounds, nowMs);
    return { limit: Math.floor(s.limit), inFlight: s.inFlight, min: bounds.min, max: bounds.max, referenceLatencyMs: s.referenceLatencyMs === null ? null : Math.round(s.referenceLatencyMs * 10) / 10 };
  }

  /** A target's breaker as it is now (null when the target has none). */
  async circuit(name: string, nowMs = Date.now()): Promise<CircuitView | null> {
    const t = this.targets.get(name);
    return t && this.breakers && hasBreaker(t) ? this.breakers.read(t, nowMs) : null;
  }

  /**
   * Callers that ask while a read is under way share it (a scrape collects every gauge at
   * once); a caller after it gets a fresh one, so an answer is never older than its request.
   */
  snapshot(): Promise<FleetSnapshot> {
    this.pending ??= this.read(Date.now()).finally(() => (this.pending = null));
    return this.pending;
  }

  /** Workers seen per target and notifiers, without the queue reads (for /readyz). */
  async workersSeen(nowMs = Date.now()): Promise<{ targets: Record<string, number>; notifiers: number }> {
    const names = [...this.targets.keys()];
    const counts = await countWorkersSeen(this.redis, [...names.map((n) => this.keys.workers(n)), this.keys.notifiers()], nowMs, this.windowMs);
    return { targets: Object.fromEntries(names.map((n, i) => [n, counts[i]!])), notifiers: counts[names.length]! };
  }

  private async read(nowMs: number): Promise<FleetSnapshot> {
    const names = [...this.targets.keys()];
    // Each target's dead letters are indexed on its own slot: one ZCARD each (single-key
    // commands, so they batch on any connection and route on a cluster).
    // A fair target's lanes are read once: for its view and for the job waiting longest in them.
    const fairness = Promise.all(names.map((n) => this.queues.fairness(n)));
    const [seen, counts, oldest, outboxes, deadLetters, webhookDeadLetters, circuits, concurrency, fair] = await Promise.all([
      this.workersSeen(nowMs),
      Promise.all(names.map((n) => this.queues.counts(n))),
      fairness.then((f) => Promise.all(names.map((n, i) => this.oldestWaitingMs(n, nowMs, [f[i]?.oldestId, f[i]?.firstScheduledId])))),
      Promise.all(names.map((n) => this.redis.xlen(this.keys.outbox(n)))),
      Promise.all(names.map((n) => this.redis.zcard(this.keys.targetDeadLetters(n)))),
      this.redis.zcard(this.keys.webhookDeadLetters()),
      Promise.all(names.map((n) => this.circuit(n, nowMs))),
      Promise.all(names.map((n) => this.concurrency(n, nowMs))),
      fairness,
    ]);
    return {
      atMs: nowMs,
      targets: names.map((name, i) => ({ name, counts: counts[i]!, workers: seen.targets[name]!, oldestWaitingMs: oldest[i]!, outboxEntries: outboxes[i]!, circuit: circuits[i]!, concurrency: concurrency[i]!, fairness: fair[i]?.view ?? null })),
      notifiers: seen.notifiers,
      deadLetters: deadLetters.reduce((sum, n) => sum + n, 0),
      webhookDeadLetters,
    };
  }

  /**
   * `lanes`: a fair target's job that has waited longest in its lanes and its first scheduled
   * one (due and waiting when no executor has moved it yet): they are not in BullMQ.
   */
  private async oldestWaitingMs(target: string, nowMs: number, lanes: (string | null | undefined)[]): Promise<number> {
    const ids = await this.queues.longestWaitingIds(target);
    for (const id of lanes) if (id) ids.push(id);
    if (ids.length === 0) return 0;
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hmget(this.keys.job(id), 'createdAt', 'runAt');
    const replies = (await pipeline.exec()) ?? [];
    let oldest = 0;
    for (const [err, fields] of replies) {
      if (err) throw err;
      const [created, runAt] = fields as (string | null)[];
      if (!created) continue; // a queue entry whose record is gone: the executor will drop it
      const due = dueAtMs({ createdAtMs: Number(created), runAtMs: runAt ? Number(runAt) : null });
      if (due <= nowMs) oldest = Math.max(oldest, nowMs - due);
    }
    return oldest;
  }
}
