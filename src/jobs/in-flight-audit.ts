import type { Result } from 'ioredis';
import { masters, type RedisClient } from '../core/redis.js';
import { luaScript } from '../core/scripts.js';
import type { Keys } from '../core/keys.js';
import type { Logger } from '../core/logger.js';
import { isTerminal, type JobStatus } from '../core/job-schema.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    agFreeStaleInFlight(inFlight: string, cutoffMs: string, ...ids: string[]): Result<number, Context>;
  }
}

/** src/core/scripts/free-stale-in-flight.lua */
const FREE_STALE_LUA = luaScript('free-stale-in-flight');

/** Entries looked at per tenant per round. */
const BATCH = 500;

export interface InFlightAuditOptions {
  /** How often a round runs. */
  everyMs?: number;
  /** An in-flight entry younger than this is never touched: its submit may still be writing the record. */
  graceMs?: number;
}

/**
 * Frees the in-flight slots nothing else will free. Admission (the tenant's slot) and the
 * record (the target's slot) are two round trips; a gateway that dies between them leaves
 * the slot taken for a job that does not exist (its client got no 202). And a job's end
 * frees its slot through its target's outbox: an effect that keeps failing (or an entry
 * lost with a Redis that lost writes) leaves it taken for a finished job. Every unfinished
 * job has a record that does not expire, so an entry older than `graceMs` whose record is
 * gone or finished is such a leftover: it is removed, and counted in the log.
 *
 * Tenants are found by SCAN of their in-flight keys (once a minute, a few commands per
 * tenant). On Redis Cluster, SCAN runs per master; that is the scale-out issue's.
 */
export class InFlightAudit {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private readonly everyMs: number;
  private readonly graceMs: number;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly logger: Logger,
    opts: InFlightAuditOptions = {},
  ) {
    redis.defineCommand('agFreeStaleInFlight', { numberOfKeys: 1, lua: FREE_STALE_LUA });
    this.everyMs = opts.everyMs ?? 60_000;
    this.graceMs = opts.graceMs ?? 60_000;
  }

  start(): void {
    this.timer = setInterval(() => {
      this.runOnce().catch((err: unknown) => this.logger.warn({ event: 'in_flight.audit_failed', err }, 'could not audit the in-flight sets yet; retrying'));
    }, this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One round; resolves with how many leftover slots it freed. */
  runOnce(nowMs = Date.now()): Promise<number> {
    this.running ??= this.round(nowMs).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async round(nowMs: number): Promise<number> {
    const pattern = this.keys.tenantInFlight('*');
    let freed = 0;
    // SCAN walks one node's keys: on a cluster, every master's (the sets are spread over them).
    for (const node of masters(this.redis)) {
      let cursor = '0';
      do {
        const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 200);
        cursor = next;
        for (const key of found) freed += await this.auditSet(key, nowMs);
      } while (cursor !== '0');
    }
    return freed;
  }

  private async auditSet(key: string, nowMs: number): Promise<number> {
    const cutoff = nowMs - this.graceMs;
    const ids = await this.redis.zrangebyscore(key, '-inf', cutoff, 'LIMIT', 0, BATCH);
    if (ids.length === 0) return 0;
    // One HGET per record: the records live on their targets' slots.
    const statuses = await Promise.all(ids.map((id) => this.redis.hget(this.keys.job(id), 'status')));
    const gone = ids.filter((_, i) => statuses[i] === null || isTerminal(statuses[i] as JobStatus));
    if (gone.length === 0) return 0;
    // Only while still that old: a replay that took the slot again meanwhile keeps it.
    const removed = await this.redis.agFreeStaleInFlight(key, String(cutoff), ...gone);
    this.logger.warn({ event: 'in_flight.leftovers_freed', key, count: removed, jobIds: gone.slice(0, 20) }, 'freed in-flight slots of jobs that were never stored, or have ended');
    return removed;
  }
}
