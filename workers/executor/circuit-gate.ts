import { randomBytes } from 'node:crypto';
import type { AttemptVerdict, BreakerTarget, CircuitBreakers, CountedOutcome } from '../../src/core/circuit-breaker.js';
import type { Logger } from '../../src/core/logger.js';
import type { JobObserver } from '../../src/observability/job-observer.js';
import type { EndDecision } from './attempt-decision.js';

/**
 * The longest an executor holds the queue at a time. BullMQ's workers sit out a hold locally,
 * so a breaker closed early (by an operator) or a half-open probe's answer is seen within this.
 */
export const MAX_HOLD_MS = 1_000;

export interface CircuitGateDeps {
  breakers: CircuitBreakers;
  logger: Logger;
  observer: JobObserver;
  /**
   * Stops every executor of the target from taking jobs for `ms` (BullMQ's queue rate limit:
   * the jobs stay in their queue untouched, and no worker anywhere fetches one meanwhile).
   */
  holdQueue: (ms: number) => Promise<void>;
  now?: () => number;
}

/**
 * What one executor does about its target's circuit breaker: asks it before each attempt,
 * tells it each attempt's outcome, logs and counts the transitions it made, and holds the
 * queue while the breaker is open, so that waiting jobs are not even taken from the queue.
 */
export class CircuitGate {
  private readonly now: () => number;
  private readonly log: Logger;

  constructor(
    private readonly target: BreakerTarget,
    private readonly deps: CircuitGateDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.log = deps.logger.child({ target: target.name });
  }

  async admit(jobId: string): Promise<AttemptVerdict> {
    // The token names the attempt's probe lease: unique per admission, so a retried job's probe is a new one.
    const { verdict, transition } = await this.deps.breakers.admit(this.target, `${jobId}:${randomBytes(4).toString('hex')}`, this.now());
    if (transition === 'half_open') {
      this.deps.observer.circuitChanged(this.target.name, 'half_open');
      this.log.info({ event: 'circuit.half_open', probes: this.target.circuitBreaker.probes }, 'circuit half-open: letting probes through');
    }
    return verdict;
  }

  /** Puts the job back without an attempt and holds the queue until the breaker may let work through. */
  async defer(jobId: string, waitMs: number): Promise<void> {
    this.deps.observer.attemptDeferred(this.target.name);
    this.log.debug({ event: 'circuit.deferred', jobId, waitMs }, 'circuit open: job put back without an attempt');
    await this.deps.holdQueue(Math.min(waitMs, MAX_HOLD_MS));
  }

  /**
   * Counts an admitted attempt's outcome. Best-effort: the job's own state is written already,
   * and a breaker that misses one count (Redis blipped) is still a breaker.
   */
  async record(verdict: AttemptVerdict, outcome: CountedOutcome): Promise<void> {
    if (verdict.kind === 'wait') return;
    const probe = verdict.kind === 'probe' ? verdict.token : null;
    try {
      const r = await this.deps.breakers.record(this.target, outcome, probe, this.now());
      if (r.transition === 'opened') {
        const failureRatio = r.counted === 0 ? 0 : Math.round((r.failures / r.counted) * 1_000) / 1_000;
        const untilMs = r.openUntilMs ?? this.now();
        this.deps.observer.circuitChanged(this.target.name, 'open');
        this.log.warn(
          { event: 'circuit.opened', failureRatio, failures: r.failures, attempts: r.counted, probe: probe !== null, until: new Date(untilMs).toISOString() },
          'circuit opened: no attempts on this target until it half-opens',
        );
        await this.deps.holdQueue(Math.min(Math.max(1, untilMs - this.now()), MAX_HOLD_MS));
      } else if (r.transition === 'closed') {
        this.deps.observer.circuitChanged(this.target.name, 'closed');
        this.log.info({ event: 'circuit.closed', failureRatio: 0 }, 'circuit closed: a probe succeeded');
      }
    } catch (err) {
      this.log.warn({ event: 'circuit.record_failed', err }, 'could not count an attempt on the circuit breaker');
    }
  }

  /** An admitted attempt that did not run after all (the job was canceled, expired, or finished): frees its probe. */
  async release(verdict: AttemptVerdict): Promise<void> {
    if (verdict.kind === 'probe') await this.record(verdict, 'neutral');
  }
}

/** How an attempt's end counts on its target's breaker: retryable failures open it, permanent ones say nothing about its health. */
export function countedOutcome(decision: EndDecision): CountedOutcome {
  switch (decision.kind) {
    case 'succeed':
      return 'ok';
    case 'retry':
      return 'fail';
    case 'dead_letter':
      return decision.error.retryable ? 'fail' : 'neutral';
    case 'cancel':
    case 'leave':
    case 'hand_back':
      return 'neutral';
  }
}
