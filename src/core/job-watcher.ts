import type { Redis } from 'ioredis';

type Listener = () => void;

/**
 * One subscriber connection per process, fanning "job changed" notifications out
 * to the requests waiting on those jobs (long-poll, Prefer: wait, SSE). Waiters
 * re-read the store when woken, so a notification lost during a reconnect costs
 * at most one `recheckMs` of latency, never a wrong answer.
 */
export class JobWatcher {
  private readonly listeners = new Map<string, Set<Listener>>();
  private started: Promise<void> | null = null;

  constructor(
    private readonly subscriber: Redis,
    private readonly channel: string,
    readonly recheckMs = 1_000,
  ) {}

  start(): Promise<void> {
    if (!this.started) {
      this.subscriber.on('message', (channel: string, id: string) => {
        if (channel !== this.channel) return;
        const set = this.listeners.get(id);
        if (set) for (const fn of [...set]) fn();
      });
      this.started = this.subscriber.subscribe(this.channel).then(() => undefined);
    }
    return this.started;
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
   * Starts listening for a change of job `id` now; `changed` resolves when it changes,
   * `recheckMs` passes, `timeoutMs` passes, or `signal` aborts, whichever comes first.
   * Arm before reading the job and wait after: a change that lands between the read and
   * the wait then resolves it at once, instead of being missed until the next recheck
   * (about 1 % of Prefer: wait round trips took a whole second that way).
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
    const timer = setTimeout(fire, Math.max(0, Math.min(timeoutMs, this.recheckMs)));
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
