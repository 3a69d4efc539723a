import type { GatewayConfig, Target } from '../config/schema.js';
import { ApiError } from '../core/errors.js';
import type { JobQueues, QueueCounts } from '../core/job-queues.js';
import type { Attempt, JobRecord } from '../core/job-record.js';
import type { JobStore } from '../core/job-store.js';
import type { Logger } from '../core/logger.js';
import type { Delivery } from '../core/job-schema.js';
import type { FleetStatus, TargetStatus } from '../observability/fleet-status.js';
import type { JobActivity, MinuteCounts } from '../observability/job-activity.js';
import type { CallbackTrigger } from '../webhooks/callback-trigger.js';

export interface TargetView {
  name: string;
  kind: Target['kind'];
  counts: QueueCounts;
  /** Executors seen (heartbeat) within the last 15 s. */
  workers: number;
  /** Seconds the job ready the longest has waited; 0 when none waits. */
  oldestWaitingSeconds: number;
  policy: { attempts: number; timeoutMs: number; concurrency: number; maxQueueAgeMs: number; priority: Target['priority'] };
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
  trigger?: CallbackTrigger | null;
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
  private readonly trigger: CallbackTrigger | null;

  constructor(deps: AdminDeps) {
    ({ config: this.config, store: this.store, queues: this.queues, logger: this.logger, fleet: this.fleet, activity: this.activity } = deps);
    this.trigger = deps.trigger ?? null;
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
    const [counts, seen] = await Promise.all([this.queues.counts(t.name), this.fleet.workersSeen()]);
    const oldest = (await this.fleet.snapshot()).targets.find((s) => s.name === t.name)?.oldestWaitingMs ?? 0;
    return this.view(t, { name: t.name, counts, workers: seen.targets[t.name] ?? 0, oldestWaitingMs: oldest });
  }

  private view(t: Target, status: TargetStatus): TargetView {
    return {
      name: t.name,
      kind: t.kind,
      counts: status.counts,
      workers: status.workers,
      oldestWaitingSeconds: Math.round(status.oldestWaitingMs) / 1_000,
      policy: { attempts: t.attempts, timeoutMs: t.timeoutMs, concurrency: t.concurrency, maxQueueAgeMs: t.maxQueueAgeMs, priority: t.priority },
    };
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

  async listDeadLetters(offset: number, limit: number, targetName?: string): Promise<{ items: JobRecord[]; total: number }> {
    const { ids, total } = await this.store.deadLetterIds(offset, limit);
    const records = (await this.store.getMany(ids)).filter((r): r is JobRecord => r !== null);
    return { items: targetName ? records.filter((r) => r.target === targetName) : records, total };
  }

  async deadLetter(id: string): Promise<DeadLetter> {
    const record = await this.store.get(id);
    if (!record || !record.deadLettered || !(await this.store.isDeadLetter(id))) {
      throw new ApiError('dead_letter_not_found', `no dead letter ${id}`);
    }
    return { record, attempts: await this.store.attempts(id) };
  }

  /** Puts a dead letter back in its queue with a fresh set of attempts; its id and history stay. */
  async replay(id: string): Promise<JobRecord> {
    const { record } = await this.deadLetter(id);
    const target = this.target(record.target);
    const now = Date.now();
    const reset = await this.store.transition(id, {
      from: ['failed'],
      set: { status: 'queued', attempts: 0, error: null, finishedAtMs: null, deadLettered: false, runAtMs: null },
      event: { type: 'status', status: 'queued', attempt: 0, at: now },
    });
    if (!reset.applied) throw new ApiError('dead_letter_not_found', `job ${id} is no longer a dead letter`);
    await this.store.removeDeadLetter(id);
    try {
      await this.queues.enqueue(target, { id, priority: record.priority, delayMs: 0 });
    } catch (err) {
      // Put it back as it was, so the dead letter is not lost with the failed enqueue.
      await this.store.transition(id, { from: ['queued'], set: { status: 'failed', error: record.error, finishedAtMs: record.finishedAtMs, deadLettered: true }, expire: 'persist' });
      await this.store.addDeadLetter(id, now);
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
    const { ids, total } = await this.store.webhookDeadLetterIds(offset, limit);
    return { items: (await this.store.getMany(ids)).filter((r): r is JobRecord => r !== null), total };
  }

  private async webhookDeadLetter(id: string, orPending = false): Promise<JobRecord> {
    const record = await this.store.get(id);
    const finished = record?.callback && record.finishedAtMs !== null;
    // A finished job whose callback is still pending may have lost its message (a crash
    // between the terminal state and the enqueue): redelivering it is safe, because a
    // message still queued has the same id and BullMQ ignores the duplicate.
    const redeliverable = finished && ((orPending && record.callbackState === 'pending') || (await this.store.isWebhookDeadLetter(id)));
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
    await this.store.removeWebhookDeadLetter(id);
    await this.trigger.jobEnded(record, record.status as 'succeeded' | 'failed' | 'canceled', record.finishedAtMs!);
    this.logger.info({ event: 'webhook.redelivered', jobId: id, target: record.target, tenant: record.tenant, correlationId: record.correlationId }, 'webhook redelivery queued');
    return (await this.store.get(id))!;
  }

  async purgeWebhook(id: string): Promise<void> {
    await this.webhookDeadLetter(id);
    await this.store.removeWebhookDeadLetter(id);
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

  private async allDeadLetterIds(targetName?: string): Promise<string[]> {
    const out: string[] = [];
    for (let offset = 0; ; offset += 500) {
      const { ids } = await this.store.deadLetterIds(offset, 500);
      if (!targetName) out.push(...ids);
      else for (const r of await this.store.getMany(ids)) if (r?.target === targetName) out.push(r.id);
      if (ids.length < 500) return out;
    }
  }
}
