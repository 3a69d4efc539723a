import type { GatewayConfig, Target } from '../config/schema.js';
import { ApiError } from '../core/errors.js';
import { jobEnding } from '../core/finish-job.js';
import type { JobQueues, QueueCounts } from '../core/job-queues.js';
import type { Attempt, JobRecord } from '../core/job-record.js';
import type { JobStore } from '../core/job-store.js';
import type { Logger } from '../core/logger.js';
import type { Delivery } from '../core/job-schema.js';
import type { ConcurrencyView, FleetStatus, TargetStatus } from '../observability/fleet-status.js';
import type { JobActivity, MinuteCounts } from '../observability/job-activity.js';
import type { DeadLetterIndex } from '../core/dead-letter-index.js';
import type { CallbackTrigger } from '../webhooks/callback-trigger.js';
import { RetryUntilDone } from './retry-until-done.js';
import { hasBreaker, type CircuitBreakers, type CircuitView } from '../core/circuit-breaker.js';
import { laneOf } from '../auth/tenant-limits.js';
import type { FairnessView } from '../core/fair-queue.js';

/** How often a refused compensation of a failed replay is tried again, and how many are kept. */
const RESTORE_RETRY_MS = 1_000;
const MAX_PENDING_RESTORES = 10_000;

export interface TargetView {
  name: string;
  kind: Target['kind'];
  counts: QueueCounts;
  /** Executors seen (heartbeat) within the last 15 s. */
  workers: number;
  /** Seconds the job ready the longest has waited; 0 when none waits. */
  oldestWaitingSeconds: number;
  policy: { attempts: number; timeoutMs: number; concurrency: number; maxQueueAgeMs: number; priority: Target['priority'] };
  /** Present when the target has a circuit breaker. */
  circuit?: CircuitView;
  /** Present when the target adapts its concurrency. */
  concurrency?: ConcurrencyView;
  /** Present when the target has `fairness: tenant`. */
  fairness?: FairnessView;
}

export interface JobTimeline {
  record: JobRecord;
  attempts: Attempt[];
  deliveries: Delivery[];
}

export interface AdminDeps {
  config: GatewayConfig;
  store: JobStore;
  queues: JobQueues;
  logger: Logger;
  fleet: FleetStatus;
  activity: JobActivity;
  deadLetters: DeadLetterIndex;
  trigger?: CallbackTrigger | null;
  /** Relays the target's outbox now, after a replay (or its undo) wrote it. */
  outboxWritten?: (target: string) => Promise<void>;
  /** For an operator's override of a target's circuit breaker. */
  breakers: CircuitBreakers;
}

export interface DeadLetter {
  record: JobRecord;
  attempts: Attempt[];
}

/** Operator actions: targets (pause, resume, depths) and dead letters (list, inspect, replay, purge). */
export class AdminService {
  private readonly config: GatewayConfig;
  private readonly store: JobStore;
  private readonly queues: JobQueues;
  private readonly logger: Logger;
  private readonly fleet: FleetStatus;
  private readonly activity: JobActivity;
  private readonly deadLetters: DeadLetterIndex;
  private readonly trigger: CallbackTrigger | null;
  private readonly outboxWritten: (target: string) => Promise<void>;
  private readonly breakers: CircuitBreakers;

  /** Replays that failed half-way and could not be put back at once (as JobService's undos). */
  private readonly restores: RetryUntilDone;

  constructor(deps: AdminDeps) {
    ({ config: this.config, store: this.store, queues: this.queues, logger: this.logger, fleet: this.fleet, activity: this.activity, deadLetters: this.deadLetters } = deps);
    this.trigger = deps.trigger ?? null;
    this.breakers = deps.breakers;
    this.outboxWritten = deps.outboxWritten ?? (() => Promise.resolve());
    const logger = this.logger;
    this.restores = new RetryUntilDone(RESTORE_RETRY_MS, MAX_PENDING_RESTORES, (event, id, err) => {
      if (event === 'done') logger.info({ event: 'dead_letter.replay_undone', jobId: id }, 'failed replay undone on retry: the dead letter is back');
      else if (event === 'dropped') logger.error({ event: 'dead_letter.replay_undo_dropped', jobId: id }, 'too many undos pending; this failed replay stays half-done');
      else logger.warn({ event: 'dead_letter.replay_undo_failed', jobId: id, err }, 'could not put the dead letter back yet; retrying');
    });
  }

  /** Shutdown: a last try of the pending restores (before the Redis connection closes). */
  async close(): Promise<void> {
    await this.restores.close();
  }

  private target(name: string): Target {
    const t = this.config.targets.get(name);
    if (!t) throw new ApiError('target_not_found', `no target named "${name}"`);
    return t;
  }

  async targets(): Promise<TargetView[]> {
    const snapshot = await this.fleet.snapshot();
    return snapshot.targets.map((status) => this.view(this.target(status.name), status));
  }

  async targetView(name: string): Promise<TargetView> {
    const t = this.target(name);
    // Fresh, not the shared snapshot: an operator who just paused a target expects to see it.
    const [counts, seen, circuit, concurrency, fairness] = await Promise.all([
      this.queues.counts(t.name),
      this.fleet.workersSeen(),
      this.fleet.circuit(t.name),
      this.fleet.concurrency(t.name),
      this.queues.fairness(t.name),
    ]);
    const shared = (await this.fleet.snapshot()).targets.find((s) => s.name === t.name);
    return this.view(t, {
      name: t.name, counts, workers: seen.targets[t.name] ?? 0, oldestWaitingMs: shared?.oldestWaitingMs ?? 0, outboxEntries: shared?.outboxEntries ?? 0,
      circuit, concurrency, fairness: fairness?.view ?? null,
    });
  }

  private view(t: Target, status: TargetStatus): TargetView {
    return {
      name: t.name,
      kind: t.kind,
      counts: status.counts,
      workers: status.workers,
      oldestWaitingSeconds: Math.round(status.oldestWaitingMs) / 1_000,
      policy: { attempts: t.attempts, timeoutMs: t.timeoutMs, concurrency: t.concurrency, maxQueueAgeMs: t.maxQueueAgeMs, priority: t.priority },
      ...(status.circuit && { circuit: status.circuit }),
      ...(status.concurrency && { concurrency: status.concurrency }),
      ...(status.fairness && { fairness: status.fairness }),
    };
  }

  /**
   * An operator's override of a target's breaker: `open` holds it open, with no probes, until
   * someone closes it; `closed` closes it with a fresh window and lifts the hold on the queue,
   * so that the waiting jobs run at once (it may open again on new failures).
   */
  async setCircuit(name: string, state: 'open' | 'closed'): Promise<TargetView> {
    const t = this.target(name);
    if (!hasBreaker(t)) throw new ApiError('no_circuit_breaker', `target "${name}" has no circuitBreaker in the config`);
    const before = await this.breakers.force(name, state, Date.now());
    if (state === 'closed') await this.queues.releaseHold(name);
    this.logger.warn({ event: 'circuit.forced', target: name, state, before }, `circuit ${state === 'open' ? 'held open' : 'closed'} by an operator`);
    return this.targetView(name);
  }

  /** Everything known about one job, whichever tenant owns it: the operator's view of its timeline. */
  async job(id: string): Promise<JobTimeline> {
    const record = await this.store.get(id);
    if (!record) throw new ApiError('job_not_found', `no job ${id}`);
    const [attempts, deliveries] = await Promise.all([this.store.attempts(id), this.store.deliveries(id)]);
    return { record, attempts, deliveries };
  }

  /**
   * A target's jobs: `live` ones still in its queue (running first, then waiting, then
   * delayed), or the `recent`ly finished ones, newest first.
   */
  async targetJobs(name: string, view: 'live' | 'recent', limit: number): Promise<JobRecord[]> {
    this.target(name);
    const ids = view === 'recent' ? await this.activity.recentIds(name, limit) : await this.queues.liveIds(name, limit);
    return (await this.store.getMany(ids)).filter((r): r is JobRecord => r !== null);
  }

  /** Outcomes per minute and target over the last `minutes` minutes, for the dashboard's chart. */
  async activitySeries(minutes: number): Promise<Record<string, MinuteCounts[]>> {
    return this.activity.series([...this.config.targets.keys()], minutes);
  }

  async setPaused(name: string, paused: boolean): Promise<TargetView> {
    this.target(name);
    if (paused) await this.queues.pause(name);
    else await this.queues.resume(name);
    this.logger.warn({ event: paused ? 'target.paused' : 'target.resumed', target: name }, `target ${paused ? 'paused' : 'resumed'}`);
    return this.targetView(name);
  }

  /** A page of dead letters, newest failure first, of every target or of one (its own index: `total` counts its own). */
  async listDeadLetters(offset: number, limit: number, targetName?: string): Promise<{ items: JobRecord[]; total: number }> {
    const { ids, total } = await this.deadLetters.jobPage(offset, limit, this.indexedTargets(targetName));
    return { items: (await this.store.getMany(ids)).filter((r): r is JobRecord => r !== null), total };
  }

  async deadLetter(id: string): Promise<DeadLetter> {
    const record = await this.store.get(id);
    if (!record || !record.deadLettered || !(await this.deadLetters.isJobDeadLetter(record))) {
      throw new ApiError('dead_letter_not_found', `no dead letter ${id}`);
    }
    return { record, attempts: await this.store.attempts(id) };
  }

  /** Puts a dead letter back in its queue with a fresh set of attempts; its id and history stay. */
  async replay(id: string): Promise<JobRecord> {
    const { record } = await this.deadLetter(id);
    const target = this.target(record.target);
    const now = Date.now();
    // One script: queued again, out of the dead-letter index, and (through the outbox) in
    // its tenant's in-flight set again.
    const reset = await this.store.transition(id, {
      from: ['failed'],
      set: { status: 'queued', attempts: 0, error: null, finishedAtMs: null, deadLettered: false, runAtMs: null },
      event: { type: 'status', status: 'queued', attempt: 0, at: now },
      effects: { target: record.target, deadLetter: 'remove', outbox: { kind: 'reopened', id, tenant: record.tenant, at: now, ...(record.parent && { parent: record.parent }) } },
    });
    if (!reset.applied) throw new ApiError('dead_letter_not_found', `job ${id} is no longer a dead letter`);
    // The replayed job holds an in-flight slot again before the answer (the outbox's effect).
    await this.outboxWritten(record.target).catch(() => undefined);
    try {
      await this.queues.enqueue(target, { id, priority: record.priority, delayMs: 0, ...laneOf(this.config, target, record.tenant) });
    } catch (err) {
      // Put it back as it was (its error, failure time and index entries), so that the dead
      // letter is not lost with the failed replay; when Redis refuses that too (it is what
      // failed), again every second until it goes through. Only while it is still queued:
      // an enqueue that did go through lets a worker take it, and then it is the worker's.
      const restore = jobEnding(this.store, record, {
        status: 'failed',
        from: ['queued'],
        at: record.finishedAtMs ?? now,
        error: record.error,
        deadLetter: true,
        // The end restores an earlier one: no new status event, no webhook, not counted again.
        event: false,
        notify: false,
        retentionMs: target.retentionMs,
      }, { outboxWritten: (t) => void this.outboxWritten(t) });
      await restore().catch((undoErr: unknown) => {
        this.logger.warn({ event: 'dead_letter.replay_undo_failed', jobId: id, err: undoErr }, 'could not put the dead letter back yet; retrying');
        this.restores.add(id, async () => {
          await restore();
        });
      });
      throw err;
    }
    this.logger.info({ event: 'dead_letter.replayed', jobId: id, target: record.target, tenant: record.tenant, correlationId: record.correlationId }, 'dead letter replayed');
    return (await this.store.get(id))!;
  }

  async purge(id: string): Promise<void> {
    const { record } = await this.deadLetter(id);
    await this.store.delete(record);
    this.logger.info({ event: 'dead_letter.purged', jobId: id, target: record.target, tenant: record.tenant, correlationId: record.correlationId }, 'dead letter purged');
  }

  async listWebhookDeadLetters(offset: number, limit: number): Promise<{ items: JobRecord[]; total: number }> {
    const { ids, total } = await this.deadLetters.webhookPage(offset, limit);
    return { items: (await this.store.getMany(ids)).filter((r): r is JobRecord => r !== null), total };
  }

  private async webhookDeadLetter(id: string, orPending = false): Promise<JobRecord> {
    const record = await this.store.get(id);
    const finished = record?.callback && record.finishedAtMs !== null;
    // A finished job whose callback is still pending has no message yet (its outbox entry
    // not relayed, with every relay down) or lost it (a Redis that lost writes): redelivering
    // it is safe, because a message still queued has the same id and BullMQ ignores the duplicate.
    const redeliverable = finished && ((orPending && record.callbackState === 'pending') || (await this.deadLetters.isWebhookDeadLetter(id)));
    if (!record || !redeliverable) throw new ApiError('dead_letter_not_found', `no webhook dead letter for job ${id}`);
    return record;
  }

  /**
   * Sends a dead-lettered webhook (or a finished job's still-pending one) again, as the
   * same message (same webhook-id), on a fresh schedule.
   */
  async redeliver(id: string): Promise<JobRecord> {
    const record = await this.webhookDeadLetter(id, true);
    if (!this.trigger) throw new Error('no webhook queue configured');
    await this.deadLetters.removeWebhook(id);
    await this.store.transition(id, { from: '*', set: { callbackState: 'pending' } });
    await this.trigger.send(record, `job.${record.status as 'succeeded' | 'failed' | 'canceled'}`, record.finishedAtMs!);
    this.logger.info({ event: 'webhook.redelivered', jobId: id, target: record.target, tenant: record.tenant, correlationId: record.correlationId }, 'webhook redelivery queued');
    return (await this.store.get(id))!;
  }

  async purgeWebhook(id: string): Promise<void> {
    await this.webhookDeadLetter(id);
    await this.deadLetters.removeWebhook(id);
  }

  /** Applies `action` to the given ids, or to every dead letter (of one target) when ids is absent. */
  async bulk(action: 'replay' | 'purge', ids: string[] | undefined, targetName?: string): Promise<{ done: string[]; notFound: string[] }> {
    if (targetName) this.target(targetName);
    const chosen = ids ?? (await this.allDeadLetterIds(targetName));
    const done: string[] = [];
    const notFound: string[] = [];
    for (const id of chosen) {
      try {
        if (action === 'replay') await this.replay(id);
        else await this.purge(id);
        done.push(id);
      } catch (err) {
        if (err instanceof ApiError && err.code === 'dead_letter_not_found') notFound.push(id);
        else throw err;
      }
    }
    return { done, notFound };
  }

  /** The targets whose dead-letter indexes a list reads: the one asked for, or every configured one. */
  private indexedTargets(targetName?: string): string[] {
    return targetName === undefined ? [...this.config.targets.keys()] : [targetName];
  }

  /** Read whole before any is acted on: replay and purge take ids out of the index being paged. */
  private async allDeadLetterIds(targetName?: string): Promise<string[]> {
    const out: string[] = [];
    for (let offset = 0; ; offset += 500) {
      const { ids } = await this.deadLetters.jobPage(offset, 500, this.indexedTargets(targetName));
      out.push(...ids);
      if (ids.length < 500) return out;
    }
  }
}
