import type { Target } from '../../src/config/schema.js';
import { dispatchWindow } from '../../src/core/fair-queue.js';
import type { JobQueues } from '../../src/core/job-queues.js';
import type { Logger } from '../../src/core/logger.js';

/** A dispatch round at least this often, so a job whose submit's own dispatch failed waits at most this long. */
const TICK_MS = 100;
/** Every this many ticks the round also recovers jobs taken by a process that died before adding them. */
const RECOVER_EVERY_TICKS = 10;
/** Between the rounds that drain a no-longer-fair target's lanes (a round moves up to 500 jobs). */
const DRAIN_PAUSE_MS = 200;

/**
 * Moves a fair target's jobs from its tenants' lanes into BullMQ (JobQueues.dispatchFair)
 * when room has opened: once this executor's worker has taken a quarter of the window out of
 * the queue (so a round moves a batch, not a job: each round is three Redis calls), when a
 * job ends if some tenant has a running cap (an end frees its place), and on a timer. Rounds
 * never overlap; kicks during a round make one more round after it.
 */
export class FairDispatcher {
  private round: Promise<void> | null = null;
  private again = false;
  private ticks = 0;
  /** Jobs this executor's worker took out of BullMQ since the last round began. */
  private takenSinceRound = 0;
  private readonly batch: number;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Set while rounds fail, so an outage is logged once, not ten times a second. */
  private failing = false;

  constructor(
    private readonly target: Target,
    private readonly queues: JobQueues,
    private readonly logger: Logger,
    /** Whether any tenant has maxRunningPerTarget: only then does an end make room in the lanes. */
    private readonly endsFreeRoom: boolean,
  ) {
    this.batch = Math.max(1, Math.floor(dispatchWindow(target) / 4));
  }

  /** The worker took a job out of BullMQ (its `active` event): the window has that much more room. */
  jobTaken(): void {
    if (++this.takenSinceRound >= this.batch) this.kick();
  }

  /** A job ended (`completed` or `failed`): with running caps, a capped tenant may now go. */
  jobEnded(): void {
    if (this.endsFreeRoom) this.kick();
  }

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
    this.takenSinceRound = 0;
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

/**
 * A target whose `fairness: tenant` was turned off while its lanes held jobs: nothing else
 * would ever move them, so its executors move them into BullMQ (a batch a round) until none
 * is left, then stop. A target that never was fair costs one read at start-up.
 */
export class LaneDrain {
  private closed = false;
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly target: Target,
    private readonly queues: JobQueues,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.done = this.run();
  }

  private async run(): Promise<void> {
    let moved = 0;
    let warned = false;
    while (!this.closed) {
      try {
        const left = await this.queues.lanesLeftOver(this.target.name);
        if (left === 0) break;
        if (!warned) {
          this.logger.warn({ event: 'fairness.lanes_left_over', target: this.target.name, jobs: left }, 'the target is no longer fair but its tenant lanes hold jobs; moving them into its queue');
          warned = true;
        }
        // Jobs a dead process took wait out their lease: a round may move none of them yet.
        moved += await this.queues.drainLanes(this.target);
      } catch (err) {
        this.logger.warn({ err, event: 'fairness.drain_failed', target: this.target.name }, 'could not drain the lanes yet; retrying');
      }
      await new Promise((r) => setTimeout(r, DRAIN_PAUSE_MS).unref());
    }
    if (warned) this.logger.info({ event: 'fairness.lanes_drained', target: this.target.name, moved }, 'lanes drained into the queue');
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.done;
  }
}
