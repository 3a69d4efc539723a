import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/load-config.js';
import type { Target } from '../../src/config/schema.js';
import type { Attempt, JobRecord } from '../../src/core/job-record.js';
import { decideEnd, decideStart, type AttemptOutcome, type EndDecision, type StartDecision } from '../../workers/executor/attempt-decision.js';
import { ABORT, AttemptFailedError, classifyFailure, resultTooLarge } from '../../workers/executor/attempt-failure.js';
import { handlerNames, PermanentError, RetryableError } from '../../workers/handlers/index.js';
import { queuedRecord } from '../support/job-record.js';

/** The clock the decisions see, and a record due well before it. */
const NOW = 1_700_000_000_000;
const iso = (ms: number) => new Date(ms).toISOString();

const target = buildConfig(
  {
    targets: { t: { kind: 'handler', handler: 'echo', attempts: 3, backoff: { initialDelayMs: 1_000, multiplier: 2, maxDelayMs: 10_000, jitter: 0.5 } } },
  },
  handlerNames,
  'unit',
).targets.get('t') as Target;

// A fixed id: the decisions never look at it, and the table's expectations stay literal.
const record = (over: Partial<JobRecord> = {}): JobRecord => queuedRecord(NOW, { id: 'job_AAAAAAAAAAAAAAAAAAAAAAAAAA', target: 't', createdAtMs: NOW - 10_000, ...over });

const lost = (attempt: number): Attempt => ({
  attempt,
  startedAt: null,
  finishedAt: iso(NOW),
  outcome: 'lost',
  error: { code: 'worker_lost', message: 'the worker running this attempt stopped before it finished', retryable: true },
});

describe('decideStart: what a worker does with the job it took', () => {
  it.each<[string, Partial<JobRecord>, StartDecision]>([
    ['queued, first attempt', {}, { kind: 'run', attempt: 1, lost: null }],
    ['queued retry', { attempts: 2 }, { kind: 'run', attempt: 3, lost: null }],
    ['queued past its queue age, never run', { expiresAtMs: NOW - 1 }, { kind: 'expire', error: { code: 'expired', message: `waited past its maximum queue age (${iso(NOW - 1)})`, retryable: false } }],
    ['queued exactly at its expiry: still runs', { expiresAtMs: NOW }, { kind: 'run', attempt: 1, lost: null }],
    ['a retry past the queue age: runs (expiry is before the first attempt only)', { attempts: 1, expiresAtMs: NOW - 1 }, { kind: 'run', attempt: 2, lost: null }],
    ['cancel requested while it waited', { cancelRequested: true }, { kind: 'cancel', lost: null }],
    ['still running: the previous worker died', { status: 'running', attempts: 1 }, { kind: 'run', attempt: 2, lost: lost(1) }],
    ['still running after its last attempt: worker_lost', { status: 'running', attempts: 3 }, { kind: 'give_up', error: lost(3).error!, lost: lost(3) }],
    ['still running, cancel requested', { status: 'running', attempts: 2, cancelRequested: true }, { kind: 'cancel', lost: lost(2) }],
    ['succeeded already (a duplicate entry)', { status: 'succeeded', attempts: 1 }, { kind: 'skip' }],
    ['failed already', { status: 'failed', attempts: 3 }, { kind: 'skip' }],
    ['canceled while it waited', { status: 'canceled' }, { kind: 'skip' }],
  ])('%s', (_name, over, expected) => {
    expect(decideStart(record(over), NOW)).toEqual(expected);
  });
});

describe('decideEnd: what an attempt comes to', () => {
  const threw = (err: unknown, abort?: (typeof ABORT)[keyof typeof ABORT]): AttemptOutcome => ({ kind: 'threw', err, abort });
  const busy = new RetryableError('busy', undefined, { code: 'busy' });
  const busyError = { code: 'busy', message: 'busy', retryable: true };

  it.each<[string, number, AttemptOutcome, number, EndDecision]>([
    ['returned: success', 1, { kind: 'returned', resultJson: '{"ok":true}' }, 0.5, { kind: 'succeed', resultJson: '{"ok":true}' }],
    // backoff: 1000 ms * 2^(attempt-1), less jitter 0.5 * random.
    ['retryable, attempt 1, random 0.5', 1, threw(busy), 0.5, { kind: 'retry', error: busyError, delayMs: 750 }],
    ['retryable, attempt 2, random 0.5', 2, threw(busy), 0.5, { kind: 'retry', error: busyError, delayMs: 1_500 }],
    ['retryable, attempt 1, random 0: the whole delay', 1, threw(busy), 0, { kind: 'retry', error: busyError, delayMs: 1_000 }],
    ['retryable, attempt 1, random 1: half of it', 1, threw(busy), 1, { kind: 'retry', error: busyError, delayMs: 500 }],
    ['retryable with a longer Retry-After', 1, threw(new RetryableError('later', 4_000, { code: 'busy' })), 0.5, { kind: 'retry', error: { code: 'busy', message: 'later', retryable: true }, delayMs: 4_000 }],
    ['Retry-After capped at maxDelayMs', 1, threw(new RetryableError('later', 60_000, { code: 'busy' })), 0.5, { kind: 'retry', error: { code: 'busy', message: 'later', retryable: true }, delayMs: 10_000 }],
    ['retryable on the last attempt: dead letter', 3, threw(busy), 0.5, { kind: 'dead_letter', error: busyError }],
    ['permanent: dead letter at once', 1, threw(new PermanentError('gone', { code: 'not_found' })), 0.5, { kind: 'dead_letter', error: { code: 'not_found', message: 'gone', retryable: false } }],
    ['result too large: dead letter with its code', 1, threw(resultTooLarge('result exceeds 10 bytes')), 0.5, { kind: 'dead_letter', error: { code: 'result_too_large', message: 'result exceeds 10 bytes', retryable: false } }],
    ['a plain error tagged `permanent`: handler_error, retried', 1, threw(Object.assign(new Error('x'), { permanent: true })), 0.5, { kind: 'retry', error: { code: 'handler_error', message: 'x', retryable: true }, delayMs: 750 }],
    ['timed out', 1, threw(new Error('aborted'), ABORT.timeout), 0.5, { kind: 'retry', error: { code: 'timeout', message: 'attempt timed out', retryable: true }, delayMs: 750 }],
    ['timed out on the last attempt', 3, threw(new Error('aborted'), ABORT.timeout), 0.5, { kind: 'dead_letter', error: { code: 'timeout', message: 'attempt timed out', retryable: true } }],
    ['canceled', 1, threw(new Error('aborted'), ABORT.cancel), 0.5, { kind: 'cancel' }],
    ['shutdown: handed back', 2, threw(new Error('aborted'), ABORT.shutdown), 0.5, { kind: 'hand_back' }],
    ['lock lost: left to the other worker', 1, threw(new Error('aborted'), ABORT.lockLost), 0.5, { kind: 'leave' }],
  ])('%s', (_name, attempt, outcome, random, expected) => {
    expect(decideEnd(target, attempt, 3, outcome, () => random)).toEqual(expected);
  });
});

describe('AttemptFailedError', () => {
  it('is reported with the JobError it carries, Retry-After included', () => {
    const error = { code: 'quota_exceeded', message: 'over quota', retryable: true };
    expect(classifyFailure(new AttemptFailedError(error, 2_000), undefined)).toEqual({ error, retryAfterMs: 2_000 });
    expect(classifyFailure(new AttemptFailedError({ ...error, retryable: false }), undefined)).toEqual({ error: { ...error, retryable: false } });
  });

  it('is the only way to a result_too_large: a `permanent` flag on another error is not read', () => {
    expect(classifyFailure(Object.assign(new Error('no'), { permanent: true }), undefined).error).toEqual({ code: 'handler_error', message: 'no', retryable: true });
    expect(classifyFailure(Object.assign(new Error('down'), { permanent: true, code: 'ECONNRESET' }), undefined).error.code).toBe('upstream_unreachable');
  });
});
