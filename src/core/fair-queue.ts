import type { Result } from 'ioredis';
import { z } from 'zod';
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

/** A tenant with work in a fair target's lanes, as GET /v1/admin/targets shows it. */
export const FairTenantViewSchema = z.object({
  tenant: z.string(),
  /** Its jobs waiting in its lanes (all priorities), not yet in BullMQ. */
  waiting: z.number().int(),
  weight: z.number(),
  /** tenants.*.maxRunningPerTarget; null without a cap. */
  maxRunning: z.number().int().nullable(),
  /** With a cap: its jobs taken from the lanes and not ended (what the cap counts); null without one. */
  running: z.number().int().nullable(),
});

/** A fair target's lanes as an operator sees them (absent for a target without `fairness: tenant`). */
export const FairnessViewSchema = z.object({
  /** Tenants with at least one job waiting in a lane. */
  activeTenants: z.number().int(),
  /** Jobs waiting in the lanes, not yet in BullMQ (counted in `counts.waiting` too). */
  waiting: z.number().int(),
  /** Delayed jobs that join their tenants' lanes when due (counted in `counts.delayed` too). */
  scheduled: z.number().int(),
  /** Jobs taken from the lanes whose add to BullMQ is not confirmed yet (recovered after a lease when a process died). */
  dispatching: z.number().int(),
  /** Jobs BullMQ may hold waiting for the target: max(4, 2 x concurrency). */
  window: z.number().int(),
  /** The tenants with the most jobs waiting, most first (at most FAIR_VIEW_TENANTS). */
  tenants: z.array(FairTenantViewSchema),
});
export type FairnessView = z.infer<typeof FairnessViewSchema>;
export type FairTenantView = z.infer<typeof FairTenantViewSchema>;

/** A fair target's view, with the ids the oldest-waiting gauge reads (null when there is none). */
export interface FairStats {
  view: FairnessView;
  /** The job that has waited longest in the lanes. */
  oldestId: string | null;
  /** The scheduled job due first. */
  firstScheduledId: string | null;
}

/** How many tenants a fairness view details: the heaviest, enough to see who fills the lanes. */
export const FAIR_VIEW_TENANTS = 10;

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

  /**
   * Puts a due job in its tenant's lane, then takes what the window has room for (maybe other
   * tenants' jobs). A job with a delay is scheduled instead: a take after its due time moves it
   * into its lane, so scheduled work is round-robined when it comes due like any other.
   */
  async push(target: Target, prioritized: string, job: { id: string; tenant: string; bullPriority: number; delayMs?: number }, share: TenantShare): Promise<TakenJob[]> {
    const reply = await this.call(
      target.name, prioritized, 'push', String(dispatchWindow(target)), String(levelsOf(target)),
      job.id, job.tenant, String(job.bullPriority), String(share.weight), String(share.maxRunning ?? 0), String(Math.max(0, Math.ceil(job.delayMs ?? 0))),
    );
    return takenJobs(reply);
  }

  /** `window`: what BullMQ may hold waiting (the target's dispatch window unless given). */
  async take(target: Target, prioritized: string, window = dispatchWindow(target)): Promise<TakenJob[]> {
    return takenJobs(await this.call(target.name, prioritized, 'take', String(window), String(levelsOf(target))));
  }

  /** What the target's lanes hold: jobs waiting in them, taken and not yet reported added, and scheduled for later. */
  async sizes(target: string): Promise<{ waiting: number; taken: number; scheduled: number }> {
    const base = this.keys.fairQueue(target);
    const [queued, taken, scheduled] = await Promise.all([this.redis.hget(base, 'queued'), this.redis.zcard(`${base}:taken`), this.redis.zcard(`${base}:scheduled`)]);
    return { waiting: Number(queued ?? 0), taken, scheduled };
  }

  /** Scheduled jobs, first due first: for a target no longer fair, to hand to BullMQ's own delayed set. */
  async scheduledJobs(target: string, limit: number): Promise<{ member: string; id: string; bullPriority: number; dueAtMs: number }[]> {
    const flat = await this.redis.zrange(`${this.keys.fairQueue(target)}:scheduled`, '0', String(limit - 1), 'WITHSCORES');
    const out = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const member = flat[i]!;
      const [level, , id] = member.split(' ');
      if (level && id) out.push({ member, id, bullPriority: Number(level), dueAtMs: Number(flat[i + 1]) });
    }
    return out;
  }

  /** Removes scheduled entries (after their jobs were added to BullMQ). */
  async unschedule(target: string, members: readonly string[]): Promise<void> {
    if (members.length > 0) await this.redis.zrem(`${this.keys.fairQueue(target)}:scheduled`, ...members);
  }

  /** Takes a job out of its lane or the scheduled set (canceled while waiting there, or a submit undone); false when it was in neither. */
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

  /**
   * The target's lanes for an operator, with the job that has waited longest in them and the
   * first scheduled one (for the oldest-waiting gauge: it is due and waiting when no executor
   * has moved it yet). O(active tenants) in Redis.
   */
  async stats(target: Target, top = FAIR_VIEW_TENANTS): Promise<FairStats> {
    // stats reads no BullMQ key: KEYS[3] is any key of the slot (the state hash itself).
    const reply = await this.call(target.name, this.keys.fairQueue(target.name), 'stats', String(levelsOf(target)), String(top));
    const r = Array.isArray(reply) ? reply : [];
    const tenants: FairTenantView[] = [];
    for (let i = 6; i + 4 < r.length; i += 5) {
      const cap = Number(r[i + 3]);
      tenants.push({ tenant: String(r[i]), waiting: Number(r[i + 1]), weight: Number(r[i + 2]), maxRunning: cap > 0 ? cap : null, running: cap > 0 ? Number(r[i + 4]) : null });
    }
    const idOrNull = (v: string | number | undefined) => (v === undefined || v === '' ? null : String(v));
    return {
      view: { activeTenants: Number(r[2] ?? 0), waiting: Number(r[0] ?? 0), scheduled: Number(r[4] ?? 0), dispatching: Number(r[1] ?? 0), window: dispatchWindow(target), tenants },
      oldestId: idOrNull(r[3]),
      firstScheduledId: idOrNull(r[5]),
    };
  }

  /** Up to `limit` job ids in the lanes by arrival, and up to `limit` scheduled ones by due time. */
  async list(target: Target, limit: number): Promise<{ waiting: string[]; scheduled: string[] }> {
    const reply = (await this.call(target.name, this.keys.fairQueue(target.name), 'list', String(levelsOf(target)), String(limit))) as unknown;
    const [waiting, scheduled] = Array.isArray(reply) ? (reply as unknown[]) : [];
    const ids = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
    return { waiting: ids(waiting), scheduled: ids(scheduled) };
  }
}
