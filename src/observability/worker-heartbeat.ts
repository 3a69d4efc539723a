import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { sendAcrossSlots, type KeyedCommand, type RedisClient } from '../core/redis.js';

/** How often a worker process says it is alive, per target it serves. */
export const HEARTBEAT_INTERVAL_MS = 5_000;
/**
 * A worker counts as present when seen within this window: three missed beats. A worker
 * that was SIGKILLed therefore stops counting after at most 15 s; one that shut down
 * cleanly removes itself at once.
 */
export const WORKER_SEEN_WINDOW_MS = 15_000;
/** Entries older than this are pruned by the beating workers themselves. */
const FORGET_AFTER_MS = 10 * 60_000;

/** A name that tells an operator which process it is: host, pid and a random suffix. */
export function newWorkerId(role: string): string {
  return `${role}@${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/**
 * Each executor (per target it serves) and each notifier keeps its id in a sorted set
 * scored by the time it was last seen. The gateway's /readyz, the dashboard and the
 * `asyncgw_workers_seen` gauge count the recent members. Heartbeats are best-effort:
 * a failed beat during a Redis outage is simply the next one's job.
 */
export class WorkerHeartbeat {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly setKeys: readonly string[],
    readonly workerId: string,
    private readonly intervalMs = HEARTBEAT_INTERVAL_MS,
  ) {}

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat().catch(() => undefined), this.intervalMs);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    const now = Date.now();
    // Not MULTI: each target's set has its own hash slot, and nothing here needs the sets
    // changed together (a reader counts each set on its own).
    const replies = await sendAcrossSlots(
      this.redis,
      this.setKeys.flatMap((key): KeyedCommand[] => [
        ['zadd', key, now, this.workerId],
        ['zremrangebyscore', key, '-inf', now - FORGET_AFTER_MS],
      ]),
    );
    const failed = replies.find(([err]) => err);
    if (failed) throw failed[0];
  }

  /** Stops beating and removes this worker at once, so readiness reflects a clean shutdown immediately. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await sendAcrossSlots(this.redis, this.setKeys.map((key): KeyedCommand => ['zrem', key, this.workerId])).catch(() => undefined);
  }
}

/** How many distinct workers were seen within the window, per heartbeat set key. */
export async function countWorkersSeen(redis: RedisClient, setKeys: readonly string[], now = Date.now(), windowMs = WORKER_SEEN_WINDOW_MS): Promise<number[]> {
  if (setKeys.length === 0) return [];
  const replies = await sendAcrossSlots(redis, setKeys.map((key): KeyedCommand => ['zcount', key, now - windowMs, '+inf']));
  return replies.map(([err, n]) => {
    if (err) throw err;
    return Number(n);
  });
}
