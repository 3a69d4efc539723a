import type { Keys } from '../core/keys.js';
import { BatchStore } from '../core/batch-store.js';
import type { Logger } from '../core/logger.js';
import { OutboxEntrySchema, type OutboxEntry } from '../core/outbox.js';
import { issueTogether, type RedisClient } from '../core/redis.js';
import { RouteSteps } from '../core/route-steps.js';
import type { CallbackTrigger } from '../webhooks/callback-trigger.js';

/** The consumer group every relay of every process reads the outboxes in. */
export const RELAY_GROUP = 'relay';

/** Entries read per call. */
const BATCH = 200;

export interface OutboxRelayOptions {
  /** This process's name in the consumer group; unique per process. */
  consumer: string;
  /** How often the outboxes are read when nothing kicked the relay (entries other processes wrote). */
  pollMs?: number;
  /** Entries another consumer read but did not finish for this long are taken over (it died). */
  claimIdleMs?: number;
  /**
   * Moves a route's job on (RouteConductor.advance), for the `advance` entries of the route
   * outboxes among `targets`: only a gateway relays those, and only it is given this.
   */
  advanceRoute?: (routeJobId: string) => Promise<void>;
}

/**
 * Carries out the effects a job's state change wrote into its target's outbox, on other
 * hash slots: the tenant's in-flight slot freed (or taken again by a replay), the webhook
 * queued, the batch told, and a route's step's start or end told to its route's job (whose
 * own outbox then asks a gateway to move the route on). At least once: an entry is deleted only after its effects went through,
 * so a process killed in between leaves it for the next read, by itself after a restart or
 * by another process once it has been idle `claimIdleMs` (XAUTOCLAIM). Every effect is
 * idempotent (ZREM, ZADD, and the webhook's stable message id). Within a target the entries
 * are carried out in their order (a replay's "reopened" before the following "ended").
 *
 * Every gateway relays every target's outbox, and every executor those of its targets; the
 * consumer group hands each entry to one of them. The process that wrote an entry kicks its
 * own relay, so the effects follow within the same tick under load, batched.
 */
export class OutboxRelay {
  private readonly pollMs: number;
  private readonly batches: BatchStore;
  private readonly routeSteps: RouteSteps;
  private readonly claimIdleMs: number;
  private timer: NodeJS.Timeout | null = null;
  private scheduled = false;
  private running: Promise<void> | null = null;
  private again = false;
  private closed = false;
  private lastClaimMs = 0;
  /** Targets whose own pending entries must be read again (an effect failed, or some were claimed). */
  private readonly pending = new Set<string>();
  /** How often each entry's effects have failed here, so that one that keeps failing is logged 1, 10, 100... times, not every run. */
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly targets: readonly string[],
    private readonly webhooks: CallbackTrigger,
    private readonly logger: Logger,
    private readonly opts: OutboxRelayOptions,
  ) {
    this.pollMs = opts.pollMs ?? 250;
    this.batches = new BatchStore(redis, keys);
    this.routeSteps = new RouteSteps(redis, keys);
    // Short: a live relay holds an entry for milliseconds (longer only while Redis stalls, and
    // an entry carried out twice changes nothing), while a dead one's wait this long.
    this.claimIdleMs = opts.claimIdleMs ?? 10_000;
  }

  async start(): Promise<void> {
    await Promise.all(this.targets.map((t) => this.createGroup(t)));
    // Entries this consumer name left (a restart reuses no name, but a claim may give some).
    for (const t of this.targets) this.pending.add(t);
    this.timer = setInterval(() => this.kick(), this.pollMs);
    this.timer.unref();
    this.kick();
  }

  /** Runs the relay soon (once per tick however often it is kicked). */
  kick(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.runOnce();
    });
  }

  /** Relays everything there is now; resolves when done (tests and shutdown call it). */
  runOnce(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.claimAbandoned();
          for (const t of this.targets) {
            await this.drain(t).catch((err: unknown) => {
              // Entries read (or carried out but not acknowledged) stay this consumer's: read them again first.
              this.pending.add(t);
              throw err;
            });
          }
        } while (this.again && !this.closed);
      } catch (err) {
        this.logger.warn({ event: 'outbox.relay_failed', err }, 'could not relay outbox entries yet; retrying');
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  /**
   * Relays now, waiting at most `maxWaitMs`: for a caller that answers a client (a cancel
   * frees its slot before the answer) or shuts down, and must not hang on a Redis that does
   * not answer. What is not done by then stays in the outbox for the next run, here or in
   * another process.
   */
  async runWithin(maxWaitMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.runOnce(), new Promise<void>((resolve) => (timer = setTimeout(resolve, maxWaitMs)))]);
    clearTimeout(timer);
  }

  /** Stops polling after a last relay of what is there (for at most `maxWaitMs`). */
  async close(maxWaitMs = 2_000): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.runWithin(maxWaitMs);
    this.closed = true;
  }

  /** From the stream's start ("0"), so entries written before the group existed are not skipped. */
  private async createGroup(target: string): Promise<void> {
    await this.redis.xgroup('CREATE', this.keys.outbox(target), RELAY_GROUP, '0', 'MKSTREAM').catch((err: unknown) => {
      if (!(err instanceof Error && err.message.startsWith('BUSYGROUP'))) throw err;
    });
  }

  /**
   * Runs a read of the group, creating the group first when Redis lost it (a restart without
   * persistence: the next XADD recreates the stream, not the group).
   */
  private async groupRead<T>(target: string, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (err) {
      if (!(err instanceof Error && err.message.startsWith('NOGROUP'))) throw err;
      await this.createGroup(target);
      return read();
    }
  }

  private async claimAbandoned(): Promise<void> {
    const now = Date.now();
    if (now - this.lastClaimMs < Math.min(this.claimIdleMs, 5_000)) return;
    this.lastClaimMs = now;
    for (const t of this.targets) {
      const reply = (await this.groupRead(t, () => this.redis.xautoclaim(this.keys.outbox(t), RELAY_GROUP, this.opts.consumer, this.claimIdleMs, '0', 'COUNT', BATCH, 'JUSTID'))) as [string, string[]];
      if (reply[1].length > 0) this.pending.add(t);
    }
  }

  private async drain(target: string): Promise<void> {
    const key = this.keys.outbox(target);
    for (;;) {
      // "0": this consumer's own unfinished entries, oldest first; ">": entries nobody read yet.
      const own = this.pending.has(target);
      const reply = (await this.groupRead(target, () => this.redis.xreadgroup('GROUP', RELAY_GROUP, this.opts.consumer, 'COUNT', BATCH, 'STREAMS', key, own ? '0' : '>'))) as
        | [string, [string, string[]][]][]
        | null;
      const entries = reply?.[0]?.[1] ?? [];
      if (entries.length === 0) {
        if (!own) return;
        this.pending.delete(target);
        continue;
      }
      const done = await this.carryOut(target, entries);
      if (done.length > 0) {
        await Promise.all(issueTogether(this.redis, () => [this.redis.xack(key, RELAY_GROUP, ...done), this.redis.xdel(key, ...done)]));
      }
      if (done.length < entries.length) {
        // Left pending, in order, for the next run.
        this.pending.add(target);
        return;
      }
      if (entries.length < BATCH && !own) return;
    }
  }

  /**
   * Issues every entry's effects at once, in entry order on one connection (Redis runs them
   * in that order), and returns the ids of the entries before the first that failed: those
   * are done. The rest are carried out again, in order, next time (their effects are
   * idempotent, so the ones that did go through change nothing then).
   */
  private async carryOut(target: string, entries: [string, string[]][]): Promise<string[]> {
    const results = await Promise.allSettled(entries.map(([id, fields]) => this.effects(target, id, fields)));
    const done: string[] = [];
    for (let i = 0; i < entries.length; i++) {
      const r = results[i]!;
      const entryId = entries[i]![0];
      if (r.status === 'rejected') {
        const failures = (this.failures.get(entryId) ?? 0) + 1;
        this.failures.set(entryId, failures);
        if (Number.isInteger(Math.log10(failures))) {
          this.logger.warn({ event: 'outbox.effect_failed', target, entryId, failures, err: r.reason as unknown }, 'an outbox effect failed; it is retried');
        }
        break;
      }
      this.failures.delete(entryId);
      done.push(entryId);
    }
    return done;
  }

  private effects(target: string, entryId: string, fields: string[]): Promise<unknown> {
    const entry = parseEntry(fields);
    if (entry === null) {
      // Nothing this version can carry out: kept out of the way of the others, and said.
      this.logger.error({ event: 'outbox.entry_unreadable', target, entryId, fields }, 'an outbox entry this version cannot read was dropped');
      return Promise.resolve();
    }
    if (entry.kind === 'stepStarted') return this.routeSteps.changed(entry.parent, 'running', entry.at);
    if (entry.kind === 'advance') {
      if (!this.opts.advanceRoute) return Promise.reject(new Error(`route outbox ${target} is relayed by a process that cannot move routes`));
      return this.opts.advanceRoute(entry.id);
    }
    const inFlight = this.keys.tenantInFlight(entry.tenant);
    if (entry.kind === 'reopened') {
      const taken = this.redis.zadd(inFlight, entry.at, entry.id);
      return entry.parent === undefined ? taken : Promise.all([taken, this.routeSteps.reopened(entry.parent, entry.at)]);
    }
    const freed = this.redis.zrem(inFlight, entry.id);
    const batch = entry.batch === undefined ? null : this.batchEnded(entry.batch, entry.id);
    const route = entry.parent === undefined ? null : this.routeSteps.changed(entry.parent, entry.status, entry.at);
    if (!entry.webhook) return Promise.all([freed, batch, route]);
    const job = { id: entry.id, target, tenant: entry.tenant, correlationId: entry.correlationId };
    return Promise.all([freed, batch, route, this.webhooks.send(job, entry.webhook, entry.at)]);
  }

  /**
   * Takes an ended job off its batch's pending set; the last one queues the batch's webhook,
   * then marks it queued. A relay that dies in between leaves the entry to be carried out
   * again, which queues it again under the same message id (BullMQ keeps the first).
   */
  private async batchEnded(batchId: string, jobId: string): Promise<void> {
    if (!(await this.batches.jobEnded(batchId, jobId, Date.now()))) return;
    await this.webhooks.sendBatch(batchId);
    await this.batches.callbackQueued(batchId);
  }
}

/** An entry's JSON (field "e"), or null when it is not one this version wrote. */
function parseEntry(fields: string[]): OutboxEntry | null {
  const raw = fields[0] === 'e' ? fields[1] : undefined;
  if (raw === undefined) return null;
  try {
    const parsed = OutboxEntrySchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
