import { Queue } from 'bullmq';
import type { RedisClient } from './redis.js';
import type { Target } from '../config/schema.js';
import type { Keys } from './keys.js';
import { FairQueues, isFair, TAKEN_LEASE_MS, type FairStats, type TakenJob, type TenantShare } from './fair-queue.js';

/** Name of the backoff strategy executors register; the delay itself is decided by the processor. */
export const BACKOFF_STRATEGY = 'gateway';

/** What a BullMQ job carries: only the id. The record in the job store holds the rest. */
export interface QueuedJobData {
  id: string;
}

export interface EnqueueOptions {
  id: string;
  priority: number;
  delayMs: number;
  /** The job's tenant and its share: a due job of a `fairness: tenant` target waits in the tenant's lane. */
  tenant?: string;
  share?: TenantShare;
}

/** Jobs one round of draining a no-longer-fair target's lanes moves (one script call, one addBulk). */
const LANE_DRAIN_BATCH = 500;

/** Who a job of a fair target belongs to, to find it in its lane. */
export interface LaneEntry {
  tenant: string;
  priority: number;
}

export interface QueueCounts {
  waiting: number;
  delayed: number;
  active: number;
  paused: boolean;
}

/**
 * The one door to BullMQ on the producer side: one Queue per target, created
 * lazily on a shared fail-fast connection.
 */
/** How stale a queue depth used for load shedding may be: one count per target per half second. */
const DEPTH_CACHE_MS = 500;

export class JobQueues {
  private readonly queues = new Map<string, Queue<QueuedJobData>>();
  private readonly depths = new Map<string, { atMs: number; depth: Promise<number> }>();
  private webhookView: Queue | undefined;
  private readonly fair: FairQueues;

  constructor(
    private readonly connection: RedisClient,
    private readonly keys: Keys,
    private readonly targets: ReadonlyMap<string, Target>,
  ) {
    this.fair = new FairQueues(connection, keys);
  }

  queue(targetName: string): Queue<QueuedJobData> {
    let q = this.queues.get(targetName);
    if (!q) {
      if (!this.targets.has(targetName)) throw new Error(`unknown target ${targetName}`);
      q = new Queue<QueuedJobData>(this.keys.queueName(targetName), {
        connection: this.connection,
        prefix: this.keys.bullPrefix(),
      });
      // Errors surface on the awaited calls; the emitter must not crash the process.
      q.on('error', () => undefined);
      this.queues.set(targetName, q);
    }
    return q;
  }

  /** The notifier's queue, for the dashboard's raw view (the gateway itself enqueues through WebhookQueue). */
  webhookQueue(): Queue {
    if (!this.webhookView) {
      this.webhookView = new Queue(this.keys.webhookQueueName(), { connection: this.connection, prefix: this.keys.bullPrefix() });
      // Once, when created (as for the target queues): a listener per call would pile up.
      this.webhookView.on('error', () => undefined);
    }
    return this.webhookView;
  }

  /**
   * Puts a job in its target's queue; a job of a fair target goes to its tenant's lane
   * instead (a delayed one to the lanes' schedule, which moves it into its lane when due), and
   * whatever the window then has room for moves on to BullMQ (dispatch).
   */
  async enqueue(target: Target, opts: EnqueueOptions): Promise<void> {
    const bullPriority = toBullPriority(target, opts.priority);
    if (isFair(target) && opts.tenant !== undefined) {
      const job = { id: opts.id, tenant: opts.tenant, bullPriority, delayMs: opts.delayMs };
      const taken = await this.fair.push(target, this.prioritizedKey(target.name), job, opts.share ?? { weight: 1 });
      // Stored in its lane: from here the job is the lanes'. A failed add is recovered from
      // the taken set after TAKEN_LEASE_MS by any dispatching process, so it fails no submit.
      await this.addTaken(target, taken).catch(() => undefined);
      return;
    }
    await this.queue(target.name).add('run', { id: opts.id }, { jobId: opts.id, ...this.jobOptions(target, bullPriority, opts.delayMs) });
  }

  private jobOptions(target: Target, bullPriority: number, delayMs: number) {
    return {
      priority: bullPriority,
      delay: delayMs,
      attempts: target.attempts,
      backoff: { type: BACKOFF_STRATEGY },
      // The job store keeps the outcome; BullMQ only carries live work.
      removeOnComplete: true,
      removeOnFail: true,
    };
  }

  private prioritizedKey(targetName: string): string {
    return this.queue(targetName).keys.prioritized!;
  }

  /** Adds jobs taken from a fair target's lanes to BullMQ, then says so (until then they are recoverable). */
  private async addTaken(target: Target, taken: readonly TakenJob[]): Promise<number> {
    if (taken.length === 0) return 0;
    await this.queue(target.name).addBulk(taken.map((t) => ({ name: 'run', data: { id: t.id }, opts: { jobId: t.id, ...this.jobOptions(target, t.bullPriority, 0) } })));
    await this.fair.added(target.name, this.prioritizedKey(target.name), taken.map((t) => t.id));
    return taken.length;
  }

  /**
   * One dispatch round of a fair target (executors run it as their jobs end, and on a timer):
   * jobs taken by a process that died before adding them, then what the window has room for.
   * Returns how many jobs it added to BullMQ.
   */
  async dispatchFair(target: Target, recoverTaken = false): Promise<number> {
    const prioritized = this.prioritizedKey(target.name);
    let added = 0;
    if (recoverTaken) {
      const lost = await this.fair.recover(target.name, prioritized, TAKEN_LEASE_MS);
      added += await this.addTaken(target, lost.map((j) => ({ id: j.id, bullPriority: toBullPriority(target, j.priority) })));
    }
    return added + (await this.addTaken(target, await this.fair.take(target, prioritized)));
  }

  /**
   * For a target whose fairness was turned off while its lanes held jobs (only a fair target's
   * dispatch moves them): how many are left there, taken-but-not-added ones included.
   */
  async lanesLeftOver(targetName: string): Promise<number> {
    const { waiting, taken, scheduled } = await this.fair.sizes(targetName);
    return waiting + taken + scheduled;
  }

  /**
   * Moves up to `batch` of what a no-longer-fair target's lanes hold into BullMQ (still in
   * round-robin order; BullMQ then runs them by arrival), after re-adding those a dead process
   * took, and up to `batch` of its scheduled jobs into BullMQ's delayed set. Returns how many
   * it added; the caller repeats while any are left.
   */
  async drainLanes(target: Target, batch = LANE_DRAIN_BATCH): Promise<number> {
    const prioritized = this.prioritizedKey(target.name);
    const lost = await this.fair.recover(target.name, prioritized, TAKEN_LEASE_MS);
    let added = await this.addTaken(target, lost.map((j) => ({ id: j.id, bullPriority: toBullPriority(target, j.priority) })));
    // A window above what BullMQ holds waiting and what is taken: room for one batch.
    const [inBull, { taken }] = await Promise.all([this.connection.zcard(prioritized), this.fair.sizes(target.name)]);
    const room = inBull + taken + batch;
    added += await this.addTaken(target, await this.fair.take(target, prioritized, room));
    // Scheduled jobs not due yet go to BullMQ's delayed set for their remaining delay; their
    // entries go only once BullMQ has them (a crash in between adds them again, harmlessly).
    const scheduled = await this.fair.scheduledJobs(target.name, batch);
    if (scheduled.length > 0) {
      const now = Date.now();
      await this.queue(target.name).addBulk(scheduled.map((j) => ({ name: 'run', data: { id: j.id }, opts: { jobId: j.id, ...this.jobOptions(target, j.bullPriority, Math.max(0, j.dueAtMs - now)) } })));
      await this.fair.unschedule(target.name, scheduled.map((j) => j.member));
      added += scheduled.length;
    }
    return added;
  }

  /** Jobs waiting in a fair target's lanes, not yet in BullMQ, and scheduled there for later (0 and 0 for any other target). */
  laneBacklog(targetName: string): Promise<{ waiting: number; scheduled: number }> {
    const target = this.targets.get(targetName);
    return target && isFair(target) ? this.fair.sizes(targetName) : Promise.resolve({ waiting: 0, scheduled: 0 });
  }

  /** A fair target's lanes for an operator (null for any other target), with the job that has waited in them longest. */
  async fairness(targetName: string): Promise<FairStats | null> {
    const target = this.targets.get(targetName);
    return target && isFair(target) ? this.fair.stats(target) : null;
  }

  /**
   * True when the job was still waiting or delayed and is now gone from the queue (or, for a
   * job of a fair target given its lane entry, from its tenant's lane).
   */
  async removeWaiting(targetName: string, id: string, lane?: LaneEntry): Promise<boolean> {
    const target = this.targets.get(targetName);
    if (lane && target && isFair(target)) {
      const bullPriority = toBullPriority(target, lane.priority);
      if (await this.fair.remove(targetName, this.prioritizedKey(targetName), { id, tenant: lane.tenant, bullPriority })) return true;
    }
    const job = await this.queue(targetName).getJob(id);
    if (!job) return false;
    const state = await job.getState();
    if (state !== 'waiting' && state !== 'delayed' && state !== 'prioritized') return false;
    try {
      await job.remove();
      return true;
    } catch {
      // Locked: a worker took it between our two reads.
      return false;
    }
  }

  /**
   * Whether BullMQ still holds job `id` in any state: a job that ended is removed at once
   * (removeOnComplete, removeOnFail), so true means it is live, or winding down from its end.
   * A second add of an id BullMQ holds is ignored, so a job is run again only once this is false.
   */
  async holds(targetName: string, id: string): Promise<boolean> {
    return (await this.queue(targetName).getJob(id)) !== undefined;
  }

  /** Jobs waiting or delayed in the target's queue, counted at most every DEPTH_CACHE_MS. */
  queuedDepth(targetName: string): Promise<number> {
    const now = Date.now();
    const cached = this.depths.get(targetName);
    if (cached && now - cached.atMs < DEPTH_CACHE_MS) return cached.depth;
    const depth = Promise.all([this.queue(targetName).getJobCounts('waiting', 'prioritized', 'delayed'), this.laneBacklog(targetName)])
      .then(([c, lanes]) => (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0) + lanes.waiting + lanes.scheduled);
    depth.catch(() => this.depths.delete(targetName));
    this.depths.set(targetName, { atMs: now, depth });
    return depth;
  }

  async pause(targetName: string): Promise<void> {
    await this.queue(targetName).pause();
  }

  async resume(targetName: string): Promise<void> {
    await this.queue(targetName).resume();
  }

  /**
   * Lifts the hold an open circuit breaker put on the queue (BullMQ's queue rate limit), so
   * executors take jobs again at once. On a target with its own rate limit this also starts
   * a fresh rate window, so the next window may take up to one window's worth more.
   */
  async releaseHold(targetName: string): Promise<void> {
    await this.queue(targetName).removeRateLimitKey();
  }

  async counts(targetName: string): Promise<QueueCounts> {
    const q = this.queue(targetName);
    const [c, paused, lanes] = await Promise.all([q.getJobCounts('waiting', 'prioritized', 'delayed', 'active'), q.isPaused(), this.laneBacklog(targetName)]);
    return {
      // A fair target's jobs waiting in their tenants' lanes are waiting too, its scheduled ones delayed.
      waiting: (c.waiting ?? 0) + (c.prioritized ?? 0) + lanes.waiting,
      delayed: (c.delayed ?? 0) + lanes.scheduled,
      active: c.active ?? 0,
      paused,
    };
  }

  /**
   * Ids of the jobs still in the target's queue: running first, then waiting (in run order),
   * then delayed. A fair target's lanes come after BullMQ's waiting jobs (by arrival), and its
   * scheduled jobs after BullMQ's delayed ones (retries).
   */
  async liveIds(targetName: string, limit: number): Promise<string[]> {
    const target = this.targets.get(targetName);
    const ids = (types: ('active' | 'prioritized' | 'wait' | 'delayed')[], n: number) =>
      this.queue(targetName).getJobs(types, 0, n - 1, true).then((jobs) => jobs.slice(0, n).map((j) => j.id).filter((id): id is string => typeof id === 'string'));
    if (!target || !isFair(target)) return ids(['active', 'prioritized', 'wait', 'delayed'], limit);
    const [queued, lanes, delayed] = await Promise.all([ids(['active', 'prioritized', 'wait'], limit), this.fair.list(target, limit), ids(['delayed'], limit)]);
    // A job moving from a lane into BullMQ meanwhile may be read in both: once is enough.
    return [...new Set([...queued, ...lanes.waiting, ...delayed, ...lanes.scheduled])].slice(0, limit);
  }

  /**
   * Ids of the jobs that have been ready to run the longest: the tail of the wait list,
   * the head of each priority band (within a band BullMQ orders by arrival) and the
   * earliest delayed job (due, and still delayed, when no executor is promoting them).
   * Read at scrape time for the oldest-waiting-job gauge; one pipelined round trip.
   */
  async longestWaitingIds(targetName: string): Promise<string[]> {
    const target = this.targets.get(targetName);
    if (!target) throw new Error(`unknown target ${targetName}`);
    const { keys } = this.queue(targetName);
    const pipeline = this.connection.pipeline();
    pipeline.lindex(keys.wait!, '-1');
    // BullMQ's prioritized score is priority * 2^32 + arrival counter (getPriorityScore.lua).
    const band = 0x100000000;
    for (let p = 1; p <= target.priority.max - target.priority.min + 1; p++) {
      pipeline.zrangebyscore(keys.prioritized!, p * band, (p + 1) * band - 1, 'LIMIT', 0, 1);
    }
    pipeline.zrange(keys.delayed!, '0', '0');
    const replies = (await pipeline.exec()) ?? [];
    const ids = new Set<string>();
    for (const [err, value] of replies) {
      if (err) throw err;
      for (const id of Array.isArray(value) ? value : [value]) if (typeof id === 'string') ids.add(id);
    }
    return [...ids];
  }

  async close(): Promise<void> {
    const all: Queue[] = [...this.queues.values(), ...(this.webhookView ? [this.webhookView] : [])];
    this.queues.clear();
    this.webhookView = undefined;
    await Promise.allSettled(all.map((q) => q.close()));
  }
}

/**
 * Our priorities run higher-first within the target's range; BullMQ's run
 * lower-first from 1. Every job gets a BullMQ priority, so that ordering stays
 * one consistent scale (BullMQ serves unprioritised jobs before prioritised ones).
 */
export function toBullPriority(target: Target, priority: number): number {
  return target.priority.max - priority + 1;
}
