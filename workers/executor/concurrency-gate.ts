import type { AdaptiveConcurrency } from '../../src/config/schema.js';
import type { ConcurrencyLimits, ReportedState } from '../../src/core/concurrency-limit.js';
import type { Logger } from '../../src/core/logger.js';
import { ABORT, UpstreamStatusError } from './attempt-failure.js';
import type { AttemptOutcome } from './attempt-decision.js';
import { eventLoopLag } from './event-loop-lag.js';

/** How often an executor tells the shared limit what it saw, while answers come. */
const REPORT_EVERY_MS = 50;
/** And at least this often when idle: it keeps its place in the count of executors. */
const IDLE_REPORT_MS = 1_000;

/** What an attempt's end says about the upstream's load. */
export type LoadSignal = 'answered' | 'overloaded' | 'neutral';

/** 429 and 503 (the upstream says it is overloaded) and timeouts are overload; a 2xx is an answer whose latency counts; the rest says nothing. */
export function loadSignal(outcome: AttemptOutcome): LoadSignal {
  if (outcome.kind === 'returned') return 'answered';
  if (outcome.abort === ABORT.timeout) return 'overloaded';
  if (outcome.err instanceof UpstreamStatusError && (outcome.err.status === 429 || outcome.err.status === 503)) return 'overloaded';
  return 'neutral';
}

export interface ConcurrencyGateDeps {
  limits: ConcurrencyLimits;
  /** This process's id among the target's executors (its heartbeat id). */
  executorId: string;
  logger: Logger;
  now?: () => number;
}

/**
 * One executor's part of a target's adaptive concurrency: a local semaphore whose size is
 * this executor's share of the limit shared in Redis (src/core/scripts/concurrency.lua
 * splits it over the executors that report), so that the attempts in flight across all of
 * them follow the limit. Attempts wait for a place here before they start (their job
 * taken, its record still queued); answers are counted and reported in batches (every
 * 50 ms while they come), with the fastest of them: a busy executor handles some answers
 * late (its event loop was busy), which inflates their measured time but seldom all of
 * them, while an upstream past its knee slows every answer. Each report brings back this
 * executor's share as every executor's reports moved the limit.
 */
export class ConcurrencyGate {
  private inFlight = 0;
  private share: number;
  private state: ReportedState | null = null;
  private readonly waiting: { grant: () => void; fail: (err: Error) => void }[] = [];
  private pending = { latencies: [] as number[], overloads: 0 };
  private lastReportMs = 0;
  private reporting: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly now: () => number;
  private readonly log: Logger;

  constructor(
    private readonly target: { name: string; concurrency: number },
    private readonly bounds: AdaptiveConcurrency,
    private readonly deps: ConcurrencyGateDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.share = bounds.min;
    this.log = deps.logger.child({ target: target.name });
  }

  /** The shared limit as this executor last heard it, and its own attempts in flight. */
  get snapshot(): { limit: number | null; share: number; inFlight: number } {
    return { limit: this.state?.limit ?? null, share: this.share, inFlight: this.inFlight };
  }

  /** Reads its first share, then reports on a timer. */
  async start(): Promise<void> {
    eventLoopLag.acquire();
    await this.report();
    this.timer = setInterval(() => {
      const due = this.pending.latencies.length + this.pending.overloads > 0 || this.now() - this.lastReportMs >= IDLE_REPORT_MS;
      if (due && !this.reporting) void this.report();
    }, REPORT_EVERY_MS);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) {
      clearInterval(this.timer);
      eventLoopLag.release();
    }
    this.timer = null;
    await this.reporting;
    for (const w of this.waiting.splice(0)) w.fail(new Error('executor closing'));
  }

  /**
   * Resolves, with the time the place was granted (release() wants it back), once the attempt
   * may start; rejects when `signal` fires first (cancel, shutdown).
   */
  acquire(signal?: AbortSignal): Promise<number> {
    if (this.inFlight < this.share && this.waiting.length === 0) {
      this.inFlight += 1;
      return Promise.resolve(this.now());
    }
    return new Promise<number>((resolve, reject) => {
      const entry = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          this.inFlight += 1;
          resolve(this.now());
        },
        fail: (err: Error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new Error(`aborted while waiting for a place: ${String(signal?.reason)}`));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  /**
   * An attempt that had a place (granted at `grantedAtMs`) ended; `latencyMs` is its answer
   * time. One that started before the limit's last cut says nothing new: not reported.
   */
  release(grantedAtMs: number, signal: LoadSignal, latencyMs: number): void {
    this.inFlight -= 1;
    if (grantedAtMs < (this.state?.cutAtMs ?? 0)) signal = 'neutral';
    if (signal === 'overloaded') this.pending.overloads += 1;
    // Less this process's own recent lag: an answer handled late was not slow upstream.
    else if (signal === 'answered') this.pending.latencies.push(Math.max(0, latencyMs - eventLoopLag.recentMs));
    this.wake();
  }

  private wake(): void {
    while (this.waiting.length > 0 && this.inFlight < this.share) this.waiting.shift()!.grant();
  }

  private report(): Promise<void> {
    const { latencies, overloads } = this.pending;
    this.pending = { latencies: [], overloads: 0 };
    this.lastReportMs = this.now();
    const report = { executorId: this.deps.executorId, inFlight: this.inFlight, answers: latencies.length, fastestLatencyMs: latencies.length ? Math.min(...latencies) : 0, overloads };
    this.reporting = this.deps.limits
      .report(this.target.name, this.bounds, report, this.lastReportMs)
      .then((state) => this.apply(state))
      .catch((err: unknown) => {
        // Redis blipped: keep the share it had; the counts of this batch are dropped.
        this.log.warn({ event: 'concurrency.report_failed', err }, 'could not report to the adaptive concurrency limit');
      })
      .finally(() => (this.reporting = null));
    return this.reporting;
  }

  private apply(state: ReportedState): void {
    this.state = state;
    const share = Math.min(this.target.concurrency, state.share);
    if (share !== this.share) {
      this.log.debug({ event: 'concurrency.share_changed', limit: state.limit, executors: state.executors, share, was: this.share }, 'adaptive concurrency: share changed');
      this.share = share;
    }
    this.wake();
  }
}
