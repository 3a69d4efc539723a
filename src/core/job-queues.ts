import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Target } from '../config/schema.js';
import type { Keys } from './keys.js';

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

  constructor(
    private readonly connection: Redis,
    private readonly keys: Keys,
    private readonly targets: ReadonlyMap<string, Target>,
  ) {}

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

  async enqueue(target: Target, opts: EnqueueOptions): Promise<void> {
    await this.queue(target.name).add(
      'run',
      { id: opts.id },
      {
        jobId: opts.id,
        priority: toBullPriority(target, opts.priority),
        delay: opts.delayMs,
        attempts: target.attempts,
        backoff: { type: BACKOFF_STRATEGY },
        // The job store keeps the outcome; BullMQ only carries live work.
        removeOnComplete: true,
        removeOnFail: true,
      },
    );
  }

  /** True when the job was still waiting or delayed and is now gone from the queue. */
  async removeWaiting(targetName: string, id: string): Promise<boolean> {
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

  /** Jobs waiting or delayed in the target's queue, counted at most every DEPTH_CACHE_MS. */
  queuedDepth(targetName: string): Promise<number> {
    const now = Date.now();
    const cached = this.depths.get(targetName);
    if (cached && now - cached.atMs < DEPTH_CACHE_MS) return cached.depth;
    const depth = this.queue(targetName)
      .getJobCounts('waiting', 'prioritized', 'delayed')
      .then((c) => (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0));
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

  async counts(targetName: string): Promise<QueueCounts> {
    const q = this.queue(targetName);
    const [c, paused] = await Promise.all([q.getJobCounts('waiting', 'prioritized', 'delayed', 'active'), q.isPaused()]);
    return {
      waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
      delayed: c.delayed ?? 0,
      active: c.active ?? 0,
      paused,
    };
  }

  async close(): Promise<void> {
    const all = [...this.queues.values()];
    this.queues.clear();
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
