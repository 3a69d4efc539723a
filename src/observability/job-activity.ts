import type { Redis } from 'ioredis';
import type { Keys } from '../core/keys.js';
import type { FinishOutcome } from './metrics.js';

const MINUTE_MS = 60_000;
/** The dashboard's chart reaches back a day; older minutes expire on their own. */
const KEEP_MINUTES_MS = 25 * 60 * MINUTE_MS;
/** How many finished jobs per target the dashboard can list. */
export const RECENT_PER_TARGET = 200;

export interface MinuteCounts {
  /** Start of the minute, epoch ms. */
  t: number;
  counts: Partial<Record<FinishOutcome, number>>;
}

/**
 * A small time series of job outcomes kept in Redis, so that every gateway's dashboard
 * shows the same throughput and failure chart, whichever executor did the work (Prometheus
 * holds the real history; this is for an operator without it). Written best-effort after
 * a job's terminal transition, in one pipelined round trip: losing a count loses a dot on a
 * chart, never a job.
 */
export class JobActivity {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async recordFinished(target: string, id: string, outcome: FinishOutcome, atMs: number): Promise<void> {
    const minuteKey = this.keys.statsMinute(Math.floor(atMs / MINUTE_MS) * MINUTE_MS);
    const recentKey = this.keys.targetRecent(target);
    await this.redis
      .pipeline()
      .hincrby(minuteKey, `${target}|${outcome}`, 1)
      .pexpire(minuteKey, KEEP_MINUTES_MS)
      .lpush(recentKey, id)
      .ltrim(recentKey, 0, RECENT_PER_TARGET - 1)
      .exec();
  }

  /** Per-minute outcome counts of each target over the last `minutes` minutes, oldest first, gaps as zeros. */
  async series(targets: readonly string[], minutes: number, nowMs = Date.now()): Promise<Record<string, MinuteCounts[]>> {
    const last = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
    const starts = Array.from({ length: minutes }, (_, i) => last - (minutes - 1 - i) * MINUTE_MS);
    const pipeline = this.redis.pipeline();
    for (const t of starts) pipeline.hgetall(this.keys.statsMinute(t));
    const replies = (await pipeline.exec()) ?? [];
    const out: Record<string, MinuteCounts[]> = Object.fromEntries(targets.map((name) => [name, [] as MinuteCounts[]]));
    replies.forEach(([err, hash], i) => {
      if (err) throw err;
      const fields = hash as Record<string, string>;
      for (const name of targets) out[name]!.push({ t: starts[i]!, counts: {} });
      for (const [field, value] of Object.entries(fields)) {
        const sep = field.lastIndexOf('|');
        const series = out[field.slice(0, sep)];
        if (series) series[series.length - 1]!.counts[field.slice(sep + 1) as FinishOutcome] = Number(value);
      }
    });
    return out;
  }

  /** Ids of the target's most recently finished jobs, newest first. */
  async recentIds(target: string, limit: number): Promise<string[]> {
    return this.redis.lrange(this.keys.targetRecent(target), 0, limit - 1);
  }
}
