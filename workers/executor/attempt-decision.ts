import type { Target } from '../../src/config/schema.js';
import type { JobRecord } from '../../src/core/job-record.js';
import type { Attempt, JobError } from '../../src/core/job-schema.js';
import { backoffDelayMs } from '../../src/core/retry-policy.js';
import { ABORT, classifyFailure, type AbortReason } from './attempt-failure.js';

/**
 * The processor's decisions as pure functions of the record, the attempt's outcome, the
 * clock (`nowMs`) and the jitter draw (`random`): what process-job.ts then writes.
 */

const iso = (ms: number) => new Date(ms).toISOString();

export function workerLost(): JobError {
  return { code: 'worker_lost', message: 'the worker running this attempt stopped before it finished', retryable: true };
}

/** What to do with a job a worker just took, before any attempt runs. */
export type StartDecision =
  /** Finished already (canceled while it waited, or a duplicate queue entry). */
  | { kind: 'skip' }
  /** Waited past its maximum queue age before its first attempt: failed, not a dead letter. */
  | { kind: 'expire'; error: JobError }
  /** Its cancel was requested; `lost` is the previous attempt, if its worker died. */
  | { kind: 'cancel'; lost: Attempt | null }
  /** The previous attempt died with its worker and was the last one: a dead letter. */
  | { kind: 'give_up'; error: JobError; lost: Attempt }
  | { kind: 'run'; attempt: number; lost: Attempt | null };

export function decideStart(record: JobRecord, nowMs: number): StartDecision {
  if (record.status !== 'queued' && record.status !== 'running') return { kind: 'skip' };
  if (record.status === 'queued' && record.attempts === 0 && nowMs > record.expiresAtMs) {
    return { kind: 'expire', error: { code: 'expired', message: `waited past its maximum queue age (${iso(record.expiresAtMs)})`, retryable: false } };
  }
  // A record still "running" means the worker of the previous attempt died (or lost its lock).
  const lost: Attempt | null =
    record.status === 'running' ? { attempt: record.attempts, startedAt: null, finishedAt: iso(nowMs), outcome: 'lost', error: workerLost() } : null;
  if (record.cancelRequested) return { kind: 'cancel', lost };
  if (lost && record.attempts >= record.maxAttempts) return { kind: 'give_up', error: workerLost(), lost };
  // Our own count: BullMQ's attemptsStarted also counts hand-backs at shutdown.
  return { kind: 'run', attempt: record.attempts + 1, lost };
}

/** How an attempt ended, as the processor saw it. */
export type AttemptOutcome =
  | { kind: 'returned'; resultJson: string }
  /** `abort`: why the attempt's signal fired, if it did. */
  | { kind: 'threw'; err: unknown; abort: AbortReason | undefined };

export type EndDecision =
  | { kind: 'succeed'; resultJson: string }
  | { kind: 'cancel' }
  /** The lock was lost: another worker owns the job now, and writing anything would race it. */
  | { kind: 'leave' }
  /** Shutdown: back to the queue without spending the attempt. */
  | { kind: 'hand_back' }
  | { kind: 'retry'; error: JobError; delayMs: number }
  | { kind: 'dead_letter'; error: JobError };

export function decideEnd(target: Target, attempt: number, maxAttempts: number, outcome: AttemptOutcome, random: () => number): EndDecision {
  if (outcome.kind === 'returned') return { kind: 'succeed', resultJson: outcome.resultJson };
  if (outcome.abort === ABORT.cancel) return { kind: 'cancel' };
  if (outcome.abort === ABORT.lockLost) return { kind: 'leave' };
  if (outcome.abort === ABORT.shutdown) return { kind: 'hand_back' };
  const failure = classifyFailure(outcome.err, outcome.abort);
  if (failure.error.retryable && attempt < maxAttempts) {
    return { kind: 'retry', error: failure.error, delayMs: backoffDelayMs(target.backoff, attempt, random, failure.retryAfterMs) };
  }
  return { kind: 'dead_letter', error: failure.error };
}
