import { DelayedError, type Job } from 'bullmq';
import type { Target } from '../../src/config/schema.js';
import type { QueuedJobData } from '../../src/core/job-queues.js';
import type { JobRecord } from '../../src/core/job-record.js';
import type { Attempt, JobError } from '../../src/core/job-schema.js';
import type { JobStore } from '../../src/core/job-store.js';
import type { Logger } from '../../src/core/logger.js';
import { backoffDelayMs } from '../../src/core/retry-policy.js';
import { dueAtMs, JobObserver } from '../../src/observability/job-observer.js';
import { handlers } from '../handlers/index.js';
import { ABORT, classifyFailure, type AbortReason } from './attempt-failure.js';
import { callUpstream } from './call-upstream.js';

/** Thrown to let BullMQ schedule the next attempt after `delayMs` (see the worker's backoff strategy). */
export class RetryLaterError extends Error {
  constructor(
    readonly delayMs: number,
    message: string,
  ) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

export interface ProcessDeps {
  store: JobStore;
  logger: Logger;
  /** Runs once a job reached a terminal state (hands the webhook to the notifier). */
  onJobEnded?: (record: JobRecord, status: 'succeeded' | 'failed' | 'canceled', finishedAtMs: number) => Promise<void>;
  /** Metrics and the dashboard's activity series. */
  observer?: JobObserver;
  random?: () => number;
  now?: () => number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The whole life of one attempt: guard the record (canceled? expired? a lost
 * earlier attempt?), run it under a signal that fires on timeout, cancel and
 * shutdown, and record the outcome. BullMQ only decides *when* the next attempt
 * runs; success and final failure return normally and BullMQ forgets the job,
 * while the job store keeps the outcome.
 */
export function createProcessor(target: Target, deps: ProcessDeps) {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const { store } = deps;
  const observer = deps.observer ?? new JobObserver();

  return async function processJob(job: Job<QueuedJobData>, token?: string, bullSignal?: AbortSignal): Promise<void> {
    const id = job.data.id;
    const record = await store.get(id);
    const log = deps.logger.child({ jobId: id, target: target.name, tenant: record?.tenant, correlationId: record?.correlationId });
    if (!record) {
      log.warn('job record not found; dropping queue entry');
      return;
    }
    if (record.status !== 'queued' && record.status !== 'running') return; // canceled while waiting, or a duplicate
    // Our own count: BullMQ's attemptsStarted also counts hand-backs at shutdown.
    const attempt = record.attempts + 1;
    const startedAt = now();

    if (record.status === 'queued' && record.attempts === 0 && startedAt > record.expiresAtMs) {
      await finish(record, 'failed', {
        error: { code: 'expired', message: `waited past its maximum queue age (${iso(record.expiresAtMs)})`, retryable: false },
        deadLetter: false,
        attempt: null,
      });
      log.info({ event: 'job.expired' }, 'job expired before it ran');
      return;
    }

    // A record still "running" means the worker of the previous attempt died (or lost its lock).
    const lost: Attempt | undefined =
      record.status === 'running'
        ? { attempt: record.attempts, startedAt: null, finishedAt: iso(startedAt), outcome: 'lost', error: workerLost() }
        : undefined;
    if (lost) log.warn({ event: 'job.attempt.lost', attempt: record.attempts }, 'previous attempt was lost with its worker');
    if (record.cancelRequested) {
      await finish(record, 'canceled', { attempt: lost ?? null });
      log.info({ event: 'job.canceled' }, 'job canceled before its attempt started');
      return;
    }
    if (lost && record.attempts >= record.maxAttempts) {
      await finish(record, 'failed', { error: workerLost(), deadLetter: true, attempt: lost });
      log.error({ event: 'job.dead_lettered', reason: 'worker_lost' }, 'job out of attempts after its workers died');
      return;
    }

    const start = await store.transition(id, {
      from: ['queued', 'running'],
      set: { status: 'running', attempts: attempt, ...(record.startedAtMs === null && { startedAtMs: startedAt }), runAtMs: null },
      event: { type: 'status', status: 'running', attempt, at: startedAt },
      ...(lost && { attempt: lost }),
    });
    if (!start.applied) return; // canceled between our read and now
    observer.attemptStarted(target.name, dueAtMs(record), startedAt);
    log.info({ event: 'job.started', attempt, maxAttempts: record.maxAttempts }, 'attempt started');

    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(ABORT.timeout), target.timeoutMs);
    const onBullAbort = () => controller.abort((bullSignal?.reason as AbortReason | undefined) ?? ABORT.cancel);
    if (bullSignal?.aborted) onBullAbort();
    else bullSignal?.addEventListener('abort', onBullAbort, { once: true });

    try {
      const result = await runAttempt(target, record, attempt, controller.signal);
      const resultJson = JSON.stringify(result ?? null);
      // An http target's limit is on the upstream body (call-upstream enforces it while
      // reading); the stored envelope around it (base64, headers) does not count.
      if (target.kind !== 'http' && Buffer.byteLength(resultJson) > target.maxResultBytes) {
        throw Object.assign(new Error(`result exceeds ${target.maxResultBytes} bytes`), { permanent: true });
      }
      const finishedAt = now();
      observer.attemptEnded(target.name, 'succeeded', finishedAt - startedAt);
      await finish(record, 'succeeded', {
        resultJson,
        attempt: { attempt, startedAt: iso(startedAt), finishedAt: iso(finishedAt), outcome: 'succeeded' },
      });
      log.info({ event: 'job.succeeded', attempt, durationMs: finishedAt - startedAt }, 'job succeeded');
    } catch (err) {
      const reason = controller.signal.aborted ? (controller.signal.reason as AbortReason) : undefined;
      await onFailure(job, token, record, attempt, startedAt, err, reason, log);
    } finally {
      clearTimeout(timer);
      bullSignal?.removeEventListener('abort', onBullAbort);
    }
  };

  async function onFailure(
    job: Job<QueuedJobData>,
    token: string | undefined,
    record: JobRecord,
    attempt: number,
    startedAt: number,
    err: unknown,
    reason: AbortReason | undefined,
    log: Logger,
  ): Promise<void> {
    const finishedAt = now();
    const base = { attempt, startedAt: iso(startedAt), finishedAt: iso(finishedAt) };
    if (reason === ABORT.cancel) {
      observer.attemptEnded(target.name, 'canceled', finishedAt - startedAt);
      await finish(record, 'canceled', { attempt: { ...base, outcome: 'canceled' } });
      log.info({ event: 'job.canceled', attempt }, 'running job canceled');
      return;
    }
    if (reason === ABORT.lockLost) {
      // Another worker owns the job now; writing anything would race it.
      log.warn({ event: 'job.lock_lost', attempt }, 'lock lost; leaving the job to the stalled-job check');
      throw err;
    }
    if (reason === ABORT.shutdown) {
      observer.attemptEnded(target.name, 'handed_back', finishedAt - startedAt);
      await store.transition(record.id, {
        from: ['running'],
        set: { status: 'queued', attempts: attempt - 1 },
        event: { type: 'status', status: 'queued', attempt: attempt - 1, at: finishedAt },
        attempt: { ...base, outcome: 'lost', error: { code: 'worker_shutdown', message: 'worker shut down', retryable: true } },
      });
      log.info({ event: 'job.handed_back', attempt }, 'worker shutting down; job handed back to the queue');
      if (token) await job.moveToDelayed(finishedAt, token);
      throw new DelayedError();
    }

    const failure = (err as { permanent?: boolean })?.permanent
      ? { error: { code: 'result_too_large', message: (err as Error).message, retryable: false } }
      : classifyFailure(err, reason);
    observer.attemptEnded(target.name, 'failed', finishedAt - startedAt, failure.error.code);
    if (failure.error.retryable && attempt < record.maxAttempts) {
      const delayMs = backoffDelayMs(target.backoff, attempt, random, failure.retryAfterMs);
      await store.transition(record.id, {
        from: ['running'],
        set: { status: 'queued', error: failure.error, runAtMs: finishedAt + delayMs },
        event: { type: 'status', status: 'queued', attempt, at: finishedAt, error: failure.error, retryDelayMs: delayMs },
        attempt: { ...base, outcome: 'failed', error: failure.error, retryDelayMs: delayMs },
      });
      log.warn({ event: 'job.attempt.failed', attempt, error: failure.error, retryDelayMs: delayMs }, 'attempt failed; will retry');
      throw new RetryLaterError(delayMs, failure.error.message);
    }
    await finish(record, 'failed', {
      error: failure.error,
      deadLetter: true,
      attempt: { ...base, outcome: 'failed', error: failure.error },
    });
    log.error({ event: 'job.dead_lettered', attempt, error: failure.error }, 'job failed and was dead-lettered');
  }

  async function finish(
    record: JobRecord,
    status: 'succeeded' | 'failed' | 'canceled',
    opts: { resultJson?: string; error?: JobError; deadLetter?: boolean; attempt: Attempt | null },
  ): Promise<void> {
    const at = now();
    const deadLetter = opts.deadLetter === true;
    const applied = await store.transition(record.id, {
      from: ['queued', 'running'],
      set: {
        status,
        finishedAtMs: at,
        runAtMs: null,
        deadLettered: deadLetter,
        ...(opts.resultJson !== undefined && { resultJson: opts.resultJson }),
        ...(opts.error !== undefined && { error: opts.error }),
        ...(status === 'succeeded' && { error: null }),
      },
      event: { type: 'status', status, at, ...(opts.error && { error: opts.error }) },
      ...(opts.attempt && { attempt: opts.attempt }),
      expire: deadLetter ? 'persist' : target.retentionMs,
      tenant: record.tenant,
    });
    if (!applied.applied) return;
    if (deadLetter) await store.addDeadLetter(record.id, at);
    observer.finished(record, opts.error?.code === 'expired' ? 'expired' : status, at, deadLetter);
    // The job's outcome is stored; a webhook that cannot be queued is logged, not retried as the job.
    await deps.onJobEnded?.(record, status, at).catch(() => undefined);
  }

  async function runAttempt(t: Target, record: JobRecord, attempt: number, signal: AbortSignal): Promise<unknown> {
    if (t.kind === 'http') return callUpstream(t, record, signal);
    const handler = handlers.get(t.handler);
    if (!handler) throw new Error(`handler ${t.handler} is not installed`);
    const input = handler.input.parse(record.payload.kind === 'input' ? record.payload.input : undefined);
    const run = handler.run(input, {
      jobId: record.id,
      attempt,
      maxAttempts: record.maxAttempts,
      signal,
      progress: async (value) => {
        await store.transition(record.id, {
          from: ['running'],
          set: { progress: value },
          event: { type: 'progress', progress: value, at: now(), attempt },
        });
      },
    });
    // A handler that ignores its signal still loses the race against it.
    return Promise.race([run, abortPromise(signal)]);
  }
}

function workerLost(): JobError {
  return { code: 'worker_lost', message: 'the worker running this attempt stopped before it finished', retryable: true };
}

function abortPromise(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(new Error(`aborted: ${String(signal.reason)}`));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}
