/**
 * Clean-ups that must happen eventually: a submit that stored half a job and could not
 * undo it (Redis went away in between) hands the undo here, and it is tried again every
 * `everyMs` until it goes through. Without this, a refused submit could leave a record
 * "queued" for ever, with no queue entry, holding its tenant's in-flight slot. In memory:
 * a gateway that dies with undos pending leaves them undone (counted by `pending`).
 */
export class RetryUntilDone {
  private readonly tasks = new Map<string, () => Promise<void>>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly everyMs: number,
    private readonly maxPending: number,
    /** Called once per task given up (over `maxPending`) and with each retry's error. */
    private readonly onEvent: (event: 'dropped' | 'failed' | 'done', key: string, err?: unknown) => void,
  ) {}

  get pending(): number {
    return this.tasks.size;
  }

  /** Keeps `task` under `key` (a later task under the same key replaces it) and schedules a try. */
  add(key: string, task: () => Promise<void>): void {
    if (!this.tasks.has(key) && this.tasks.size >= this.maxPending) {
      this.onEvent('dropped', key);
      return;
    }
    this.tasks.set(key, task);
    this.timer ??= setTimeout(() => void this.runOnce(), this.everyMs).unref();
  }

  /** Tries every pending task once; those that fail stay for the next round. */
  async runOnce(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const [key, task] of [...this.tasks]) {
      try {
        await task();
        this.tasks.delete(key);
        this.onEvent('done', key);
      } catch (err) {
        this.onEvent('failed', key, err);
      }
    }
    if (this.tasks.size > 0) this.timer ??= setTimeout(() => void this.runOnce(), this.everyMs).unref();
  }

  /** Stops retrying (shutdown): one last round first. */
  async close(): Promise<void> {
    await this.runOnce();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
