import type { Result } from 'ioredis';
import type { Target } from '../config/schema.js';
import type { Keys } from './keys.js';
import type { RedisClient } from './redis.js';
import { luaScript } from './scripts.js';

/** src/core/scripts/fair-queue.lua: a fair target's lanes and their round-robin (its header has KEYS, ARGV and replies). */
const FAIR_QUEUE_LUA = luaScript('fair-queue');

declare module 'ioredis' {
  interface RedisCommander<Context> {
    agFairQueue(state: string, taken: string, prioritized: string, ...args: string[]): Result<(string | number)[] | number, Context>;
  }
}

/** A tenant's part in a fair target's round-robin (tenants.overrides.<t>.weight and maxRunningPerTarget). */
export interface TenantShare {
  weight: number;
  /** At most this many of its jobs taken and not yet ended; none when absent. */
  maxRunning?: number | undefined;
}

/** A job taken from its lane, to be added to BullMQ at this BullMQ priority (1 runs first). */
export interface TakenJob {
  id: string;
  bullPriority: number;
}

/**
 * How long a job may stay taken but not added to BullMQ before another process adds it: the
 * add takes a round trip, so this is only ever reached by a process that died in between.
 */
export const TAKEN_LEASE_MS = 5_000;

export function isFair(target: Pick<Target, 'fairness'>): boolean {
  return target.fairness === 'tenant';
}

/**
 * Jobs BullMQ may hold waiting for a fair target: enough that no executor idles between two
 * refills (each end refills), few enough that a newcomer waits behind a handful of another
 * tenant's jobs, not its backlog.
 */
export function dispatchWindow(target: Pick<Target, 'concurrency'>): number {
  return Math.max(4, 2 * target.concurrency);
}

const levelsOf = (target: Pick<Target, 'priority'>) => target.priority.max - target.priority.min + 1;

function takenJobs(reply: (string | number)[] | number): TakenJob[] {
  const out: TakenJob[] = [];
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out.push({ id: String(reply[i]), bullPriority: Number(reply[i + 1]) });
  return out;
}

/**
 * The lanes of the targets with `fairness: tenant`: every change one script call on the
 * target's slot. Taking jobs out is the caller's half of a dispatch; it then adds them to
 * BullMQ and reports them added (JobQueues does both).
 */
export class FairQueues {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {
    redis.defineCommand('agFairQueue', { numberOfKeys: 3, lua: FAIR_QUEUE_LUA });
  }

  private call(target: string, prioritized: string, op: string, ...args: string[]) {
    const base = this.keys.fairQueue(target);
    return this.redis.agFairQueue(base, `${base}:taken`, prioritized, op, base, this.keys.targetJobPrefix(target), String(Date.now()), ...args);
  }

  /** Puts a due job in its tenant's lane, then takes what the window has room for (maybe other tenants' jobs). */
  async push(target: Target, prioritized: string, job: { id: string; tenant: string; bullPriority: number }, share: TenantShare): Promise<TakenJob[]> {
    const reply = await this.call(
      target.name, prioritized, 'push', String(dispatchWindow(target)), String(levelsOf(target)),
      job.id, job.tenant, String(job.bullPriority), String(share.weight), String(share.maxRunning ?? 0),
    );
    return takenJobs(reply);
  }

  async take(target: Target, prioritized: string): Promise<TakenJob[]> {
    return takenJobs(await this.call(target.name, prioritized, 'take', String(dispatchWindow(target)), String(levelsOf(target))));
  }

  /** Takes a job out of its lane (canceled while waiting there, or a submit undone); false when it was not there. */
  async remove(target: string, prioritized: string, job: { id: string; tenant: string; bullPriority: number }): Promise<boolean> {
    return (await this.call(target, prioritized, 'remove', job.id, job.tenant, String(job.bullPriority))) === 1;
  }

  async added(target: string, prioritized: string, ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.call(target, prioritized, 'added', ...ids);
  }

  /** Jobs taken more than `leaseMs` ago and never reported added whose records are still queued (with their priorities): the caller adds them. */
  async recover(target: string, prioritized: string, leaseMs: number): Promise<{ id: string; priority: number }[]> {
    const reply = await this.call(target, prioritized, 'recover', String(leaseMs));
    const out: { id: string; priority: number }[] = [];
    if (Array.isArray(reply)) for (let i = 0; i + 1 < reply.length; i += 2) out.push({ id: String(reply[i]), priority: Number(reply[i + 1]) });
    return out;
  }

  /** Jobs waiting in the target's lanes (not yet in BullMQ). */
  async backlog(target: string): Promise<number> {
    return Number((await this.redis.hget(this.keys.fairQueue(target), 'queued')) ?? 0);
  }
}
