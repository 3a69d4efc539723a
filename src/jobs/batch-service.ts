import type { GatewayConfig, Target } from '../config/schema.js';
import type { BatchStore } from '../core/batch-store.js';
import { ApiError, type FieldError } from '../core/errors.js';
import { isTerminal, type BatchRequest, type SubmitRequest } from '../core/job-schema.js';
import type { BatchView } from '../core/batch-view.js';
import { newBatchId } from '../core/ids.js';
import type { JobRecord } from '../core/job-record.js';
import type { Logger } from '../core/logger.js';
import { isPreparedRoute, queueFull, type Admitted, type JobService, type PreparedJob, type PreparedSubmit, type SubmitCommand } from './job-service.js';

type TraceContext = SubmitCommand['trace'];

/** Who submits a batch: the request's tenant, correlation id and span. */
export interface BatchCaller {
  tenant: string;
  correlationId: string;
  trace?: TraceContext;
}


/** One item's problems, pointed at its place in the batch (`/jobs/3/priority`). */
function itemErrors(err: ApiError, index: number): FieldError[] {
  const at = `/jobs/${index}`;
  const errors = err.extra.errors ?? [];
  return errors.length ? errors.map((e) => ({ path: `${at}${e.path}`, message: e.message })) : [{ path: at, message: err.message }];
}

/** The jobs a batch's items put in queues now: each job, and each route's first steps. */
const queuedNow = (prepared: readonly PreparedSubmit[]): PreparedJob[] => prepared.flatMap((p) => (isPreparedRoute(p) ? p.starting : [p]));

/** How long one job's record can still exist, from `now`: its wait, every attempt and backoff, then its retention. */
function lifetimeMs(target: Target, record: Pick<JobRecord, 'expiresAtMs'>, now: number): number {
  return record.expiresAtMs - now + target.attempts * (target.timeoutMs + target.backoff.maxDelayMs) + target.retentionMs;
}

/**
 * How long a batch keeps its list: past the latest any of its jobs' records can still exist.
 * A route's job lasts until its last step has run: for a chain, every step one after the
 * other (each waiting, running and retried as long as its target allows).
 */
function batchTtlMs(config: GatewayConfig, prepared: readonly PreparedSubmit[]): number {
  let ttl = 0;
  for (const p of prepared) {
    if (!isPreparedRoute(p)) {
      ttl = Math.max(ttl, lifetimeMs(p.target, p.record, p.now));
      continue;
    }
    let route = 0;
    for (const step of p.record.plan!.steps) {
      const target = config.targets.get(step.target)!;
      route += lifetimeMs(target, { expiresAtMs: p.record.expiresAtMs }, p.now);
    }
    ttl = Math.max(ttl, route);
  }
  return ttl;
}

/**
 * Refuses a batch that would take a target's queue past `maxQueuedJobs`: each item's own
 * check saw the queue without the batch's other jobs, so a batch of 500 into a queue with
 * room for 10 would pass them all.
 */
function checkQueueRoom(prepared: readonly PreparedJob[]): void {
  const byTarget = new Map<string, { p: PreparedJob; count: number; depth: number }>();
  for (const p of prepared) {
    const seen = byTarget.get(p.target.name);
    if (seen) {
      seen.count++;
      seen.depth = Math.max(seen.depth, p.queuedDepth);
    } else byTarget.set(p.target.name, { p, count: 1, depth: p.queuedDepth });
  }
  for (const { p, count, depth } of byTarget.values()) {
    const room = p.target.maxQueuedJobs - depth;
    if (count > room) throw queueFull(p.target, `has room for ${room} more jobs (at most ${p.target.maxQueuedJobs} wait), and this batch has ${count} for it`);
  }
}

/**
 * Batches of submits: every item is checked first (one bad item refuses the batch, each
 * error pointing at its index), then all are admitted at once, so their admission scripts,
 * records and queue entries share round trips; if any is refused, the admitted ones are
 * taken back out and the batch is not kept. Each job is an ordinary job of its tenant.
 */
export class BatchService {
  constructor(
    private readonly config: GatewayConfig,
    private readonly jobs: JobService,
    private readonly batches: BatchStore,
    private readonly logger: Logger,
  ) {}

  async submit(caller: BatchCaller, request: BatchRequest): Promise<{ view: BatchView; last: Admitted }> {
    const items = request.jobs;
    const max = this.config.server.maxBatchJobs;
    if (items.length > max) throw new ApiError('validation_failed', `a batch holds at most ${max} jobs`, { errors: [{ path: '/jobs', message: `at most ${max} items` }] });
    const [checked, callback] = await Promise.all([
      Promise.allSettled(items.map((item, i) => this.prepare(caller, item, i))),
      request.callback ? this.jobs.checkCallback(request.callback, '/callback/url').then((cb) => ({ url: cb.url, state: 'pending' as const })) : null,
    ]);
    const errors: FieldError[] = [];
    const prepared: PreparedSubmit[] = [];
    checked.forEach((c, i) => {
      if (c.status === 'fulfilled') return void prepared.push(c.value);
      // A refusal of the item itself (4xx) is the batch's validation problem; anything else
      // (the queue full, Redis away) is the batch's answer as it would be a submit's.
      if (!(c.reason instanceof ApiError) || c.reason.status >= 500) throw c.reason;
      errors.push(...itemErrors(c.reason, i));
    });
    if (errors.length) throw new ApiError('validation_failed', `${new Set(errors.map((e) => e.path.split('/')[2])).size} of the batch's ${items.length} jobs are invalid`, { errors });
    checkQueueRoom(queuedNow(prepared));

    const id = newBatchId();
    const createdAtMs = Date.now();
    const jobIds = prepared.map((p) => p.record.id);
    for (const p of prepared) p.record.batch = id;
    // Kept before any job exists: a job that ends at once is still found in its batch, and
    // taken off its pending set.
    await this.batches.create({ id, tenant: caller.tenant, correlationId: caller.correlationId, createdAtMs, jobIds, callback }, batchTtlMs(this.config, prepared));
    const accepted = await Promise.allSettled(prepared.map((p) => this.jobs.acceptAny(p)));
    const refused = accepted.find((a): a is PromiseRejectedResult => a.status === 'rejected');
    if (refused) {
      await Promise.all(accepted.flatMap((a, i) => (a.status === 'fulfilled' ? [this.jobs.withdrawAny(prepared[i]!)] : [])));
      // Should this fail too, the list expires with its TTL; it names jobs that do not exist.
      await this.batches.delete(id).catch(() => undefined);
      throw refused.reason;
    }
    const admitted = accepted.map((a) => (a as PromiseFulfilledResult<Admitted>).value);
    this.logger.info({ event: 'batch.accepted', batchId: id, tenant: caller.tenant, jobs: jobIds.length, correlationId: caller.correlationId }, 'batch accepted');
    return { view: { id, createdAtMs, jobIds, callback, statuses: admitted.map((a) => a.record.status) }, last: admitted[admitted.length - 1]! };
  }

  private async prepare(caller: BatchCaller, item: SubmitRequest, index: number): Promise<PreparedSubmit> {
    return this.jobs.prepareAny(await this.jobs.commandFor(caller, item, `/jobs/${index}`));
  }

  /** The batch as its tenant sees it; another tenant's, or one that is gone, is batch_not_found. */
  async get(tenant: string, id: string): Promise<BatchView> {
    const batch = await this.batches.get(id);
    if (!batch || batch.tenant !== tenant) throw new ApiError('batch_not_found', 'no such batch');
    return { ...batch, statuses: await this.batches.statuses(batch.jobIds) };
  }

  /** Waits up to `seconds` for every job of the batch to end: one unfinished job at a time, by its change notifications. */
  async waitForEnd(tenant: string, id: string, seconds: number, signal?: AbortSignal): Promise<BatchView> {
    const deadline = Date.now() + Math.min(seconds, this.config.server.maxWaitSeconds) * 1_000;
    for (;;) {
      const view = await this.get(tenant, id);
      const open = view.statuses.findIndex((s) => s !== null && !isTerminal(s));
      const left = deadline - Date.now();
      if (open < 0 || left <= 0 || signal?.aborted) return view;
      await this.jobs.waitForEnd(tenant, view.jobIds[open]!, left / 1_000, signal);
    }
  }
}
