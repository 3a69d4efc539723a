import type { Target } from '../../src/config/schema.js';
import type { JobQueues } from '../../src/core/job-queues.js';
import type { Logger } from '../../src/core/logger.js';

/** A dispatch round at least this often, so a job whose submit's own dispatch failed waits at most this long. */
const TICK_MS = 100;
/** Every this many ticks the round also recovers jobs taken by a process that died before adding them. */
const RECOVER_EVERY_TICKS = 10;

/**
 * Moves a fair target's jobs from its tenants' lanes into BullMQ (JobQueues.dispatchFair)
 * whenever room may have opened: each time this executor's worker takes a job out of the
 * queue or one ends, and on a timer. Rounds never overlap; kicks during a round make one
 * more round after it.
 */
export class FairDispatcher {
  private round: Promise<void> | null = null;
  private again = false;
  private ticks = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Set while rounds fail, so an outage is logged once, not ten times a second. */
  private failing = false;

  constructor(
    private readonly target: Target,
    private readonly queues: JobQueues,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.ticks += 1;
      this.kick(this.ticks % RECOVER_EVERY_TICKS === 0);
    }, TICK_MS);
    this.timer.unref();
    this.kick(true);
  }

  kick(recover = false): void {
    if (this.closed) return;
    if (this.round) {
      this.again = true;
      return;
    }
    this.round = this.run(recover).finally(() => {
      this.round = null;
      if (this.again && !this.closed) {
        this.again = false;
        this.kick();
      }
    });
  }

  private async run(recover: boolean): Promise<void> {
    try {
      await this.queues.dispatchFair(this.target, recover);
      this.failing = false;
    } catch (err) {
      // Redis is away: the lanes keep the jobs; the next tick tries again.
      if (!this.failing) this.logger.warn({ err, event: 'fairness.dispatch_failed', target: this.target.name }, 'fair dispatch failed; retrying every tick');
      this.failing = true;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.round;
  }
}
