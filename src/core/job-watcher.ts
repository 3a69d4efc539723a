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
   * Resolves when job `id` changes, `recheckMs` passes, `timeoutMs` passes, or
   * `signal` aborts — whichever comes first. Callers loop and re-read.
   */
  nextChange(id: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        unwatch();
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, Math.min(timeoutMs, this.recheckMs)));
      const unwatch = this.watch(id, done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  get waiting(): number {
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }
}
