import type { JobRecord } from '../core/job-record.js';
import type { JobActivity } from './job-activity.js';
import { createMetrics, type FinishOutcome, type Metrics } from './metrics.js';

/**
 * The points of a job's life that operators count: called by the gateway (accepted,
 * canceled while queued) and the executors (attempts, outcomes). Metrics are updated
 * synchronously; the dashboard's activity series is written best-effort and never
 * fails the caller.
 */
export class JobObserver {
  constructor(
    readonly metrics: Metrics = createMetrics(),
    private readonly activity: JobActivity | null = null,
  ) {}

  accepted(target: string): void {
    this.metrics.jobsAccepted.inc({ target });
  }

  /** A submit to a route was given a target by its rules (`none`: no rule matched, `error`: an expression failed). */
  routed(route: string, target: string): void {
    this.metrics.jobsRouted.inc({ route, target });
  }

  /** A fanOut or chain route's job ended by its steps (counted once: by the move whose guarded end applied). */
  routeEnded(route: string, outcome: 'succeeded' | 'failed', code: 'step_failed' | 'transform_failed' | null, step: string | null): void {
    this.metrics.routeJobsEnded.inc({ route, outcome, code: code ?? '', step: step ?? '' });
  }

  /** `dueAtMs`: when the attempt became runnable (accepted, delayed until, or retry time). */
  attemptStarted(target: string, dueAtMs: number, startedAtMs: number): void {
    this.metrics.attemptsStarted.inc({ target });
    this.metrics.queueWait.observe({ target }, Math.max(0, startedAtMs - dueAtMs) / 1_000);
  }

  /** One attempt ended: `code` is the error code of a failed one. */
  attemptEnded(target: string, outcome: 'succeeded' | 'failed' | 'canceled' | 'handed_back', durationMs: number, code?: string): void {
    this.metrics.runDuration.observe({ target, outcome }, durationMs / 1_000);
    if (code !== undefined) this.metrics.attemptsFailed.inc({ target, code });
  }

  /** This process moved a target's circuit breaker into `to`. */
  circuitChanged(target: string, to: 'open' | 'half_open' | 'closed'): void {
    this.metrics.circuitTransitions.inc({ target, to });
  }

  /** A job was put back in its queue without an attempt (its target's breaker is open). */
  attemptDeferred(target: string): void {
    this.metrics.attemptsDeferred.inc({ target, reason: 'circuit_open' });
  }

  finished(record: Pick<JobRecord, 'id' | 'target'>, outcome: FinishOutcome, atMs: number, deadLettered: boolean): void {
    this.metrics.jobsFinished.inc({ target: record.target, outcome });
    if (deadLettered) this.metrics.jobsDeadLettered.inc({ target: record.target });
    this.activity?.recordFinished(record.target, record.id, outcome, atMs);
  }
}

/** When a job became runnable: its retry or delayed-start time if it has one, else its creation. */
export function dueAtMs(record: Pick<JobRecord, 'runAtMs' | 'createdAtMs'>): number {
  return record.runAtMs ?? record.createdAtMs;
}
