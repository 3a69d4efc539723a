import { Queue, Worker } from 'bullmq';
import type { RedisClient } from '../../src/core/redis.js';
import type { GatewayConfig, Target } from '../../src/config/schema.js';
import type { QueuedJobData } from '../../src/core/job-queues.js';
import type { JobStore } from '../../src/core/job-store.js';
import type { Keys } from '../../src/core/keys.js';
import type { Logger } from '../../src/core/logger.js';
import { finishJob } from '../../src/core/finish-job.js';
import { backoffDelayMs } from '../../src/core/retry-policy.js';
import { ABORT } from './attempt-failure.js';
import { JobObserver } from '../../src/observability/job-observer.js';
import type { Tracing } from '../../src/observability/tracing.js';
import { retryLaterBackoff } from '../retry-later.js';
import { createProcessor, type ProcessDeps } from './process-job.js';
import { CircuitBreakers, hasBreaker } from '../../src/core/circuit-breaker.js';
import { CircuitGate } from './circuit-gate.js';
import { ConcurrencyGate } from './concurrency-gate.js';
import { ConcurrencyLimits } from '../../src/core/concurrency-limit.js';
import { adaptiveConcurrencyOf } from '../../src/config/schema.js';
import { randomUUID } from 'node:crypto';
import { JobQueues } from '../../src/core/job-queues.js';
import { isFair } from '../../src/core/fair-queue.js';
import { FairDispatcher, LaneDrain } from './fair-dispatcher.js';

/**
 * The worker limiter of a target with a breaker but no rate limit of its own: BullMQ honours
 * a queue hold (Queue.rateLimit, how an open breaker stops every executor) only on a worker
 * that has a limiter, so it gets one that never limits (a count per minute it cannot reach).
 */
const HOLD_ONLY_LIMITER = { max: 1_000_000_000_000, duration: 60_000 };

export interface ExecutorDeps {
  config: GatewayConfig;
  /** Told when a job's end wrote its target's outbox (the OutboxRelay's kick). */
  outboxWritten?: ProcessDeps['outboxWritten'];
  keys: Keys;
  store: JobStore;
  /** BullMQ worker connection (maxRetriesPerRequest: null); workers duplicate it for blocking reads. */
  connection: RedisClient;
  /** Dedicated connection for the cancel channel. */
  subscriber: RedisClient;
  logger: Logger;
  /** Metrics and the dashboard's activity series, shared by every target's processor. */
  observer?: JobObserver;
  /** Targets to serve; all of them when empty. */
  targets?: readonly string[];
  /** Present when tracing is on. */
  tracing?: Tracing;
  /** This process's id among the executors (its heartbeat id), for the shared concurrency limits. */
  executorId?: string;
}

/** The targets an executor asked for `requested` serves (all when none are named); throws on an unknown one. */
export function targetsToServe(config: GatewayConfig, requested?: readonly string[]): readonly string[] {
  const names = requested?.length ? requested : [...config.targets.keys()];
  const unknown = names.filter((name) => !config.targets.has(name));
  if (unknown.length) throw new Error(`executor asked to serve unknown target(s): ${unknown.join(', ')}`);
  return names;
}

/**
 * Consumes the queue of each served target. Cancel requests arrive on a pub/sub
 * channel, so a job is aborted wherever it runs; close() drains: running jobs
 * get `shutdownTimeoutMs` to finish, then are handed back to the queue.
 */
export class Executor {
  private readonly workers = new Map<string, Worker<QueuedJobData>>();
  /** Queue handles of the targets with a breaker, through which an open breaker holds the queue. */
  private readonly holds: Queue[] = [];
  private closing: Promise<void> | null = null;
  /** One for every target's processor and gates, so their counts land in one registry. */
  private readonly observer: JobObserver;

  constructor(private readonly deps: ExecutorDeps) {
    this.observer = deps.observer ?? new JobObserver();
  }

  get servedTargets(): string[] {
    return [...this.workers.keys()];
  }

  async start(): Promise<void> {
    const { config, logger } = this.deps;
    // All names checked before any worker exists: a worker created for a good name would
    // start taking jobs, only to die with them when a later name turns out unknown.
    const names = targetsToServe(config, this.deps.targets);
    for (const name of names) this.workers.set(name, this.createWorker(config.targets.get(name)!));
    await this.subscribeToCancels();
    await Promise.all([...this.gates.values()].map((g) => g.start()));
    for (const d of this.dispatchers.values()) d.start();
    await Promise.all([...this.workers.values()].map((w) => w.waitUntilReady()));
    logger.info({ event: 'executor.started', targets: this.servedTargets }, 'executor started');
  }

  private breakers: CircuitBreakers | null = null;
  private limits: ConcurrencyLimits | null = null;
  private readonly gates = new Map<string, ConcurrencyGate>();
  private readonly dispatchers = new Map<string, FairDispatcher | LaneDrain>();
  private fairQueues: JobQueues | null = null;

  /** The dispatcher of a served target with `fairness: tenant`, which moves its tenants' jobs into BullMQ. */
  private fairDispatcher(target: Target): FairDispatcher | undefined {
    const { keys, connection, config, logger } = this.deps;
    this.fairQueues ??= new JobQueues(connection, keys, config.targets);
    if (!isFair(target)) {
      // Not fair (now): still move what its lanes may hold from when it was.
      this.dispatchers.set(target.name, new LaneDrain(target, this.fairQueues, logger));
      return undefined;
    }
    const { defaults, overrides } = config.tenants;
    const capped = defaults.maxRunningPerTarget !== undefined || Object.values(overrides).some((o) => o.maxRunningPerTarget !== undefined);
    const dispatcher = new FairDispatcher(target, this.fairQueues, logger, capped);
    this.dispatchers.set(target.name, dispatcher);
    return dispatcher;
  }

  /** The adaptive concurrency of each served target that has it, as this executor sees it. */
  get concurrencyGates(): ReadonlyMap<string, ConcurrencyGate> {
    return this.gates;
  }

  private concurrencyGate(target: Target): ConcurrencyGate | undefined {
    const bounds = adaptiveConcurrencyOf(target);
    if (!bounds) return undefined;
    const { keys, connection, logger } = this.deps;
    this.limits ??= new ConcurrencyLimits(connection, keys);
    const gate = new ConcurrencyGate(target, bounds, { limits: this.limits, executorId: this.deps.executorId ?? `executor-${randomUUID()}`, logger });
    this.gates.set(target.name, gate);
    return gate;
  }

  private circuitGate(target: Target): CircuitGate | undefined {
    if (!hasBreaker(target)) return undefined;
    const { keys, connection, logger } = this.deps;
    this.breakers ??= new CircuitBreakers(connection, keys);
    const queue = new Queue(keys.queueName(target.name), { connection, prefix: keys.bullPrefix() });
    this.holds.push(queue);
    return new CircuitGate(target, {
      breakers: this.breakers,
      logger,
      observer: this.observer,
      holdQueue: (ms) => queue.rateLimit(ms),
    });
  }

  private createWorker(target: Target): Worker<QueuedJobData> {
    const { keys, logger, store, connection } = this.deps;
    const log = logger.child({ target: target.name });
    const circuit = this.circuitGate(target);
    const concurrency = this.concurrencyGate(target);
    const limiter = target.rateLimit ? { max: target.rateLimit.max, duration: target.rateLimit.durationMs } : circuit ? HOLD_ONLY_LIMITER : undefined;
    const worker = new Worker<QueuedJobData>(keys.queueName(target.name), createProcessor(target, {
      store,
      logger,
      ...(this.deps.outboxWritten && { outboxWritten: this.deps.outboxWritten }),
      observer: this.observer,
      ...(this.deps.tracing && { tracing: this.deps.tracing }),
      ...(circuit && { circuit }),
      ...(concurrency && { concurrency }),
    }), {
      connection,
      prefix: keys.bullPrefix(),
      concurrency: target.concurrency,
      lockDuration: target.lockDurationMs,
      stalledInterval: target.stalledIntervalMs,
      // Our processor counts lost attempts itself and dead-letters past maxAttempts;
      // BullMQ must not fail a stalled job behind the job store's back first.
      maxStalledCount: target.attempts + 1,
      ...(limiter && { limiter }),
      settings: {
        // The processor decides the delay (and Retry-After); anything else thrown is an
        // unexpected failure of ours (a Redis blip mid-attempt), retried on the target's backoff.
        backoffStrategy: retryLaterBackoff((attemptsMade) => backoffDelayMs(target.backoff, attemptsMade)),
      },
    });
    worker.on('error', (err) => log.error({ err }, 'worker error'));
    const dispatcher = this.fairDispatcher(target);
    if (dispatcher) {
      // Each job taken out of BullMQ's window leaves room for the next; with running caps, each end too.
      worker.on('active', () => dispatcher.jobTaken());
      worker.on('completed', () => dispatcher.jobEnded());
      worker.on('failed', () => dispatcher.jobEnded());
    }
    worker.on('failed', (job, err) => {
      // BullMQ gave up on a job the processor did not finish (it threw unexpectedly on
      // its last BullMQ attempt): make sure the job store does not show it running forever.
      if (job?.finishedOn) void this.reconcileAbandoned(target, job.data.id, err).catch((e: unknown) => log.error({ err: e }, 'reconcile failed'));
    });
    worker.on('lockRenewalFailed', (ids: string[]) => {
      for (const id of ids) worker.cancelJob(id, ABORT.lockLost);
    });
    worker.on('stalled', (id: string) => log.warn({ event: 'job.stalled', jobId: id }, 'stalled job moved back to wait'));
    return worker;
  }

  private async reconcileAbandoned(target: Target, id: string, err: Error): Promise<void> {
    const { store, logger } = this.deps;
    const record = await store.get(id);
    if (!record) return;
    const error = { code: 'internal_error', message: `the executor could not finish the job: ${err.message}`, retryable: true };
    const ended = await finishJob(
      store,
      record,
      // No event: whatever broke the processor may break an append too; SSE falls back to the record.
      { status: 'failed', at: Date.now(), error, deadLetter: true, event: false, retentionMs: target.retentionMs },
      { observer: this.observer, ...(this.deps.outboxWritten && { outboxWritten: this.deps.outboxWritten }) },
    );
    if (ended.ended) logger.error({ event: 'job.dead_lettered', jobId: id, target: target.name, error }, 'job abandoned by the queue; dead-lettered');
  }

  private async subscribeToCancels(): Promise<void> {
    const { subscriber, keys, logger } = this.deps;
    const channel = keys.cancelChannel();
    subscriber.on('message', (ch: string, id: string) => {
      if (ch !== channel) return;
      for (const w of this.workers.values()) {
        if (w.cancelJob(id, ABORT.cancel)) logger.info({ event: 'job.cancel_signalled', jobId: id }, 'abort signalled');
      }
    });
    await subscriber.subscribe(channel);
  }

  /** Idempotent. Waits up to `timeoutMs` for running jobs, then hands the rest back. */
  close(timeoutMs = 25_000): Promise<void> {
    if (!this.closing) this.closing = this.doClose(timeoutMs);
    return this.closing;
  }

  private async doClose(timeoutMs: number): Promise<void> {
    const { logger, subscriber } = this.deps;
    const workers = [...this.workers.values()];
    const graceful = Promise.allSettled(workers.map((w) => w.close()));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      graceful.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      logger.warn({ event: 'executor.drain_timeout' }, 'jobs still running at shutdown; handing them back');
      for (const w of workers) w.cancelAllJobs(ABORT.shutdown);
      await graceful;
    }
    await Promise.allSettled([...this.dispatchers.values()].map((d) => d.close()));
    await this.fairQueues?.close();
    await Promise.allSettled(this.holds.map((q) => q.close()));
    await Promise.allSettled([...this.gates.values()].map((g) => g.close()));
    try {
      await subscriber.unsubscribe();
    } catch {
      // The connection may already be gone; nothing to release then.
    }
    logger.info({ event: 'executor.stopped' }, 'executor stopped');
  }
}
