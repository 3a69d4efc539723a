import { sendAcrossSlots, type KeyedCommand, type RedisClient } from '../core/redis.js';
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

/** How long finished jobs are counted in memory before one pipelined write. */
const FLUSH_EVERY_MS = 1_000;

/**
 * A small time series of job outcomes kept in Redis, so that every gateway's dashboard
 * shows the same throughput and failure chart, whichever executor did the work (Prometheus
 * holds the real history; this is for an operator without it), and each target's recently
 * finished job ids. Best-effort: outcomes are counted in memory and written once a second
 * in one pipeline, not four commands per job (the executor's throughput depended on it);
 * a crash loses at most that second of dots on a chart, never a job.
 */
export class JobActivity {
  /** Minute start → "target|outcome" → count, not yet written. */
  private readonly counts = new Map<number, Map<string, number>>();
  /** Target → ids finished since the last write, oldest first. */
  private readonly recent = new Map<string, string[]>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly flushEveryMs = FLUSH_EVERY_MS,
  ) {}

  recordFinished(target: string, id: string, outcome: FinishOutcome, atMs: number): void {
    const minute = Math.floor(atMs / MINUTE_MS) * MINUTE_MS;
    let fields = this.counts.get(minute);
    if (!fields) this.counts.set(minute, (fields = new Map()));
    const field = `${target}|${outcome}`;
    fields.set(field, (fields.get(field) ?? 0) + 1);
    const ids = this.recent.get(target);
    if (ids) {
      ids.push(id);
      // Only the newest RECENT_PER_TARGET survive the LTRIM anyway.
      if (ids.length > RECENT_PER_TARGET) ids.shift();
    } else {
      this.recent.set(target, [id]);
    }
    this.timer ??= setTimeout(() => void this.flush(), this.flushEveryMs).unref();
  }

  /** Writes what was counted so far; the returned promise never rejects. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.counts.size === 0 && this.recent.size === 0) return this.flushing;
    const commands: KeyedCommand[] = [];
    for (const [minute, fields] of this.counts) {
      const key = this.keys.statsMinute(minute);
      for (const [field, n] of fields) commands.push(['hincrby', key, field, n]);
      commands.push(['pexpire', key, KEEP_MINUTES_MS]);
    }
    for (const [target, ids] of this.recent) {
      const key = this.keys.targetRecent(target);
      // LPUSH of several ids pushes them one after the other: the newest ends up first.
      commands.push(['lpush', key, ...ids], ['ltrim', key, 0, RECENT_PER_TARGET - 1]);
    }
    this.counts.clear();
    this.recent.clear();
    this.flushing = this.flushing.then(() => sendAcrossSlots(this.redis, commands)).then(
      () => undefined,
      () => undefined,
    );
    return this.flushing;
  }

  /** Writes what is left; call before the connection closes. */
  close(): Promise<void> {
    return this.flush();
  }

  /** Per-minute outcome counts of each target over the last `minutes` minutes, oldest first, gaps as zeros. */
  async series(targets: readonly string[], minutes: number, nowMs = Date.now()): Promise<Record<string, MinuteCounts[]>> {
    const last = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
    const starts = Array.from({ length: minutes }, (_, i) => last - (minutes - 1 - i) * MINUTE_MS);
    const replies = await sendAcrossSlots(this.redis, starts.map((t): KeyedCommand => ['hgetall', this.keys.statsMinute(t)]));
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
