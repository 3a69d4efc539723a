import type { RedisClient } from './redis.js';

type Listener = () => void;

/**
 * Reads a cheap "version" of each job (for example its newest event's id) in one batch;
 * `null` for a job that is gone. Any change of the value counts as a change of the job.
 */
export type VersionProbe = (ids: readonly string[]) => Promise<(string | null)[]>;

/**
 * One subscriber connection per process, fanning "job changed" notifications out to the
 * requests waiting on those jobs (long-poll, Prefer: wait, SSE).
 *
 * Pub/sub can drop a notification (a reconnect, a client evicted for its output buffer), so
 * waiters are also woken by a safety sweep, which costs the gateway one batched read per
 * `recheckMs` however many requests wait, instead of one record read per waiter per
 * interval: the sweep reads every watched job's version in one pipelined round trip and
 * wakes the waiters of a job whose version moved, or which it sees for the first time (a
 * change may have landed between a waiter's read and the sweep). A reconnect of the
 * subscriber wakes every waiter once, since anything may have been missed while it was down.
 */
export class JobWatcher {
  private readonly listeners = new Map<string, Set<Listener>>();
  /** The version each watched job had at the last sweep. */
  private readonly seen = new Map<string, string | null>();
  private started: Promise<void> | null = null;
  private sweeper: NodeJS.Timeout | null = null;
  private sweeping = false;
  /** Sweeps run (for tests and metrics: one batched read each). */
  sweeps = 0;

  constructor(
    private readonly subscriber: RedisClient,
    private readonly channel: string,
    private readonly probe: VersionProbe,
    readonly recheckMs = 1_000,
  ) {}

  start(): Promise<void> {
    if (!this.started) {
      this.subscriber.on('message', (channel: string, id: string) => {
        if (channel === this.channel) this.wake(id);
      });
      let connectedOnce = false;
      this.subscriber.on('ready', () => {
        if (connectedOnce) for (const id of [...this.listeners.keys()]) this.wake(id);
        connectedOnce = true;
      });
      if (this.subscriber.status === 'ready') connectedOnce = true;
      this.started = this.subscriber.subscribe(this.channel).then(() => undefined);
      this.sweeper = setInterval(() => void this.sweep(), this.recheckMs);
      this.sweeper.unref();
    }
    return this.started;
  }

  stop(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
  }

  /** One batched version read for every watched job; wakes the waiters of those that moved. */
  async sweep(): Promise<void> {
    if (this.sweeping) return;
    for (const id of this.seen.keys()) if (!this.listeners.has(id)) this.seen.delete(id);
    const ids = [...this.listeners.keys()];
    if (ids.length === 0) return;
    this.sweeping = true;
    try {
      const versions = await this.probe(ids);
      this.sweeps++;
      ids.forEach((id, i) => {
        const version = versions[i] ?? null;
        const moved = !this.seen.has(id) || this.seen.get(id) !== version;
        this.seen.set(id, version);
        if (moved) this.wake(id);
      });
    } catch {
      // Redis is away: waiters keep their own deadlines, and the next sweep tries again.
    } finally {
      this.sweeping = false;
    }
  }

  private wake(id: string): void {
    const set = this.listeners.get(id);
    if (set) for (const fn of [...set]) fn();
  }

  /** Calls `fn` on each change of job `id` until the returned function is called. */
  watch(id: string, fn: Listener): () => void {
    let set = this.listeners.get(id);
    if (!set) {
      set = new Set();
      this.listeners.set(id, set);
    }
    set.add(fn);
    return () => {
      const s = this.listeners.get(id);
      if (!s) return;
      s.delete(fn);
      if (s.size === 0) this.listeners.delete(id);
    };
  }

  /**
   * Starts listening for a change of job `id` now; `changed` resolves when it changes (a
   * notification, or the sweep seeing it move), `timeoutMs` passes, or `signal` aborts,
   * whichever comes first. Arm before reading the job and wait after: a change that lands
   * between the read and the wait then resolves it at once, instead of being missed (about
   * 1 % of Prefer: wait round trips took a whole second that way).
   */
  arm(id: string, timeoutMs: number, signal?: AbortSignal): { changed: Promise<void>; disarm(): void } {
    let fire = () => undefined as void;
    const changed = new Promise<void>((resolve) => {
      fire = () => {
        clearTimeout(timer);
        unwatch();
        signal?.removeEventListener('abort', fire);
        resolve();
      };
    });
    const timer = setTimeout(fire, Math.max(0, timeoutMs));
    const unwatch = this.watch(id, fire);
    signal?.addEventListener('abort', fire, { once: true });
    if (signal?.aborted) fire();
    return { changed, disarm: fire };
  }

  get waiting(): number {
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }
}
