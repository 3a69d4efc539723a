import { DelayedError, Worker, type Job } from 'bullmq';
import type { Target } from '../../src/config/schema.js';
import { finishJob, type JobEnd } from '../../src/core/finish-job.js';
import type { QueuedJobData } from '../../src/core/job-queues.js';
import type { JobRecord } from '../../src/core/job-record.js';
import type { Attempt } from '../../src/core/job-schema.js';
import type { JobStore } from '../../src/core/job-store.js';
import type { Logger } from '../../src/core/logger.js';
import { dueAtMs, JobObserver } from '../../src/observability/job-observer.js';
import type { AttemptTrace, Tracing } from '../../src/observability/tracing.js';
import { handlers as installedHandlers, type Handler } from '../handlers/index.js';
import { RetryLaterError } from '../retry-later.js';
import { decideEnd, decideStart, type AttemptOutcome, type EndDecision } from './attempt-decision.js';
import { ABORT, resultTooLarge, type AbortReason } from './attempt-failure.js';
import { callUpstream } from './call-upstream.js';
import { countedOutcome, type CircuitGate } from './circuit-gate.js';
import { loadSignal, type ConcurrencyGate } from './concurrency-gate.js';

export { RetryLaterError };

export interface ProcessDeps {
  store: JobStore;
  logger: Logger;
  /** Told once a job's end wrote its target's outbox (the OutboxRelay's kick: the webhook and the in-flight release follow). */
  outboxWritten?: (target: string) => void;
  /** Metrics and the dashboard's activity series. */
  observer?: JobObserver;
  random?: () => number;
  now?: () => number;
  /** The handlers a `handler` target may name; the installed ones by default. */
  handlers?: ReadonlyMap<string, Handler>;
  /** Present when tracing is on: a CONSUMER span per attempt. */
  tracing?: Tracing;
  /** Present when the target has a circuit breaker: asked before each attempt, told its outcome. */
  circuit?: CircuitGate;
  /** Present when the target adapts its concurrency: a place is taken before each attempt starts. */
  concurrency?: ConcurrencyGate;
}

/** How an attempt ended, as the gates need it: the decision, what happened, and how long the call itself took. */
interface AttemptEnd {
  decision: EndDecision;
  outcome: AttemptOutcome;
  /** The upstream call (or handler) alone, without our own writes around it: the latency adaptive concurrency reads. */
  callMs: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The whole life of one attempt: guard the record (canceled? expired? a lost
 * earlier attempt?), run it under a signal that fires on timeout, cancel and
 * shutdown, and record the outcome. BullMQ only decides *when* the next attempt
 * runs; success and final failure return normally and BullMQ forgets the job,
 * while the job store keeps the outcome. The decisions are attempt-decision.ts's;
 * this writes them.
 */
export function createProcessor(target: Target, deps: ProcessDeps) {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const { store } = deps;
  const handlers = deps.handlers ?? installedHandlers;
  const observer = deps.observer ?? new JobObserver();
  const tracing = deps.tracing;
  const listeners = { observer, ...(deps.outboxWritten && { outboxWritten: deps.outboxWritten }) };
  /** The one way this processor ends a job (src/core/finish-job.ts). */
  const finish = (record: JobRecord, end: Omit<JobEnd, 'at' | 'retentionMs'>) => finishJob(store, record, { ...end, at: now(), retentionMs: target.retentionMs }, listeners);

  const circuit = deps.circuit;
  const gate = deps.concurrency;

  return async function processJob(job: Job<QueuedJobData>, token?: string, bullSignal?: AbortSignal): Promise<void> {
    const verdict = circuit ? await circuit.admit(job.data.id) : null;
    if (verdict?.kind === 'wait') {
      // Back to the queue untouched (no attempt spent, the record still queued), and the
      // queue held for every executor until the breaker may let work through again.
      await circuit!.defer(job.data.id, verdict.waitMs);
      throw Worker.RateLimitError();
    }
    let ended: AttemptEnd | undefined;
    let placedAt: number | null = null;
    try {
      if (gate) {
        try {
          placedAt = await gate.acquire(bullSignal);
        } catch {
          // Canceled or shut down while it waited for a place: no attempt began. The job goes
          // back as it is (a cancel finds its record canceled when it is next taken).
          if (token) await job.moveToDelayed(now(), token);
          throw new DelayedError();
        }
      }
      await processAdmitted(job, token, bullSignal, (e) => (ended = e));
    } finally {
      if (placedAt !== null) gate!.release(placedAt, ended ? loadSignal(ended.outcome) : 'neutral', ended?.callMs ?? 0);
      if (circuit && verdict) await (ended ? circuit.record(verdict, countedOutcome(ended.decision)) : circuit.release(verdict));
    }
  };

  /** `decided` hears how the attempt ended, before it is written; it is not called when no attempt ran. */
  async function processAdmitted(job: Job<QueuedJobData>, token: string | undefined, bullSignal: AbortSignal | undefined, decided: (e: AttemptEnd) => void): Promise<void> {
    const id = job.data.id;
    const startedAt = now();
    // The common case in one round trip: a plainly queued job starts its next attempt, and
    // the script hands back the record as it was. Anything else needs reading and deciding.
    const fast = await store.startIfQueued(id, target.name, startedAt);
    const record = fast ?? (await store.get(id));
    const log = deps.logger.child({ jobId: id, target: target.name, tenant: record?.tenant, correlationId: record?.correlationId });
    if (!record) {
      log.warn('job record not found; dropping queue entry');
      return;
    }
    let attempt: number;
    if (fast) {
      attempt = fast.attempts + 1;
    } else {
      const start = decideStart(record, startedAt);
      if (start.kind === 'skip') return;
      if (start.kind === 'expire') {
        tracing?.recordEndWithoutAttempt(record, 'expired', start.error);
        await finish(record, { status: 'failed', error: start.error, deadLetter: false });
        log.info({ event: 'job.expired' }, 'job expired before it ran');
        return;
      }
      if (start.lost) log.warn({ event: 'job.attempt.lost', attempt: record.attempts }, 'previous attempt was lost with its worker');
      if (start.kind === 'cancel') {
        tracing?.recordEndWithoutAttempt(record, 'canceled');
        await finish(record, { status: 'canceled', attempt: start.lost });
        log.info({ event: 'job.canceled' }, 'job canceled before its attempt started');
        return;
      }
      if (start.kind === 'give_up') {
        tracing?.recordEndWithoutAttempt(record, 'dead_lettered', start.error);
        await finish(record, { status: 'failed', error: start.error, deadLetter: true, attempt: start.lost });
        log.error({ event: 'job.dead_lettered', reason: 'worker_lost' }, 'job out of attempts after its workers died');
        return;
      }
      attempt = start.attempt;
      const lost: Attempt | null = start.lost;
      const started = await store.transition(id, {
        from: ['queued', 'running'],
        set: { status: 'running', attempts: attempt, ...(record.startedAtMs === null && { startedAtMs: startedAt }), runAtMs: null },
        event: { type: 'status', status: 'running', attempt, at: startedAt },
        ...(lost && { attempt: lost }),
      });
      if (!started.applied) return; // canceled between our read and now
    }
    observer.attemptStarted(target.name, dueAtMs(record), startedAt);
    // Ended as soon as the outcome is decided, before it is written: a write that fails must not leave the span open.
    const span = tracing?.startAttempt(record, attempt, record.maxAttempts, startedAt - dueAtMs(record));
    log.info({ event: 'job.started', attempt, maxAttempts: record.maxAttempts }, 'attempt started');

    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(ABORT.timeout), target.timeoutMs);
    const onBullAbort = () => controller.abort((bullSignal?.reason as AbortReason | undefined) ?? ABORT.cancel);
    if (bullSignal?.aborted) onBullAbort();
    else bullSignal?.addEventListener('abort', onBullAbort, { once: true });

    let outcome: AttemptOutcome;
    const callStartedAt = performance.now();
    let callMs: number;
    try {
      const returned = await runAttempt(target, record, attempt, controller.signal, span);
      callMs = performance.now() - callStartedAt;
      const resultJson = JSON.stringify(returned ?? null);
      // An http target's limit is on the upstream body (call-upstream enforces it while
      // reading); the stored envelope around it (base64, headers) does not count.
      if (target.kind !== 'http' && Buffer.byteLength(resultJson) > target.maxResultBytes) throw resultTooLarge(`result exceeds ${target.maxResultBytes} bytes`);
      outcome = { kind: 'returned', resultJson };
    } catch (err) {
      callMs = performance.now() - callStartedAt;
      outcome = { kind: 'threw', err, abort: controller.signal.aborted ? (controller.signal.reason as AbortReason) : undefined };
    } finally {
      clearTimeout(timer);
      bullSignal?.removeEventListener('abort', onBullAbort);
    }

    const finishedAt = now();
    const durationMs = finishedAt - startedAt;
    const base = { attempt, startedAt: iso(startedAt), finishedAt: iso(finishedAt) };
    const decision = decideEnd(target, attempt, record.maxAttempts, outcome, random);
    decided({ decision, outcome, callMs });
    switch (decision.kind) {
      case 'succeed':
        observer.attemptEnded(target.name, 'succeeded', durationMs);
        span?.succeeded();
        await finish(record, { status: 'succeeded', resultJson: decision.resultJson, attempt: { ...base, outcome: 'succeeded' } });
        log.info({ event: 'job.succeeded', attempt, durationMs }, 'job succeeded');
        return;
      case 'cancel':
        observer.attemptEnded(target.name, 'canceled', durationMs);
        span?.canceled();
        await finish(record, { status: 'canceled', attempt: { ...base, outcome: 'canceled' } });
        log.info({ event: 'job.canceled', attempt }, 'running job canceled');
        return;
      case 'leave':
        span?.lockLost();
        log.warn({ event: 'job.lock_lost', attempt }, 'lock lost; leaving the job to the stalled-job check');
        throw outcome.kind === 'threw' ? outcome.err : new Error('lock lost');
      case 'hand_back':
        observer.attemptEnded(target.name, 'handed_back', durationMs);
        span?.handedBack();
        await store.transition(record.id, {
          from: ['running'],
          set: { status: 'queued', attempts: attempt - 1 },
          event: { type: 'status', status: 'queued', attempt: attempt - 1, at: finishedAt },
          attempt: { ...base, outcome: 'lost', error: { code: 'worker_shutdown', message: 'worker shut down', retryable: true } },
        });
        log.info({ event: 'job.handed_back', attempt }, 'worker shutting down; job handed back to the queue');
        if (token) await job.moveToDelayed(finishedAt, token);
        throw new DelayedError();
      case 'retry': {
        const { error, delayMs } = decision;
        observer.attemptEnded(target.name, 'failed', durationMs, error.code);
        span?.retrying(error, delayMs);
        await store.transition(record.id, {
          from: ['running'],
          set: { status: 'queued', error, runAtMs: finishedAt + delayMs },
          event: { type: 'status', status: 'queued', attempt, at: finishedAt, error, retryDelayMs: delayMs },
          attempt: { ...base, outcome: 'failed', error, retryDelayMs: delayMs },
        });
        log.warn({ event: 'job.attempt.failed', attempt, error, retryDelayMs: delayMs }, 'attempt failed; will retry');
        throw new RetryLaterError(delayMs, error.message);
      }
      case 'dead_letter': {
        const { error } = decision;
        observer.attemptEnded(target.name, 'failed', durationMs, error.code);
        span?.deadLettered(error);
        await finish(record, { status: 'failed', error, deadLetter: true, attempt: { ...base, outcome: 'failed', error } });
        log.error({ event: 'job.dead_lettered', attempt, error }, 'job failed and was dead-lettered');
        return;
      }
    }
  }

  async function runAttempt(t: Target, record: JobRecord, attempt: number, signal: AbortSignal, span: AttemptTrace | undefined): Promise<unknown> {
    if (t.kind === 'http') return callUpstream(t, record, signal, span);
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
    const raced = Promise.race([run, abortPromise(signal)]);
    const handlerSpan = span?.startHandler(t.handler);
    if (!handlerSpan) return raced;
    return raced.then(
      (value) => {
        handlerSpan.end();
        return value;
      },
      (err: unknown) => {
        handlerSpan.end(err);
        throw err;
      },
    );
  }
}

function abortPromise(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(new Error(`aborted: ${String(signal.reason)}`));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}
