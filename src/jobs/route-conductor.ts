import type { StepRoute } from '../config/routes.js';
import type { GatewayConfig } from '../config/schema.js';
import { ApiError } from '../core/errors.js';
import { finishJob, type EndListeners } from '../core/finish-job.js';
import type { JobQueues } from '../core/job-queues.js';
import type { JobRecord, RoutePlan } from '../core/job-record.js';
import { isTerminal, type JobError, type StepStatus } from '../core/job-schema.js';
import type { JobStore } from '../core/job-store.js';
import type { Logger } from '../core/logger.js';
import type { JobObserver } from '../observability/job-observer.js';
import type { RouteSteps } from '../core/route-steps.js';
import { laneOf } from '../auth/tenant-limits.js';
import { ExpressionFailed } from './route-expressions.js';
import { nextInput, routeOutput, stepValue } from './route-plan.js';
import type { PreparedJob, SubmitCommand } from './job-service.js';

/** A step whose target is no longer configured is kept this long once canceled (a target's own default). */
const DEFAULT_RETENTION_MS = 86_400_000;

const ENDED: ReadonlySet<StepStatus> = new Set(['succeeded', 'failed', 'canceled']);
/** A step that has not ended, and so is canceled when its route's job ends first. */
const UNFINISHED: ReadonlySet<StepStatus> = new Set(['pending', 'queued', 'running']);

export interface RouteConductorDeps {
  config: GatewayConfig;
  store: JobStore;
  queues: JobQueues;
  steps: RouteSteps;
  logger: Logger;
  /** JobService.prepare: a chain step's checks against its target's policy, as any submit's. */
  prepare: (cmd: SubmitCommand) => Promise<PreparedJob>;
  listeners: EndListeners;
  /** Counts the ends per route (asyncgw_route_jobs_ended_total). */
  observer?: Pick<JobObserver, 'routeEnded'>;
}

/**
 * Moves a fanOut or chain route's job on when one of its steps changes: running once a step
 * has started, the next chain step created from the previous one's result, the end
 * (`succeeded` with `output`'s value, `failed` with step_failed or transform_failed) and, on
 * a failed or canceled end, the cancel of the steps still unfinished.
 *
 * Called by a gateway's OutboxRelay for each `advance` entry of a route's outbox, which
 * step-changed.lua wrote in the same script as the step's new status: the entry is deleted
 * only once this returns, so a gateway that dies in the middle leaves it to another (or to
 * itself after a restart), and every move here is guarded or idempotent (the route's end is
 * a guarded transition, a chain step is created only if absent, a status only moves
 * forward), so carrying one out twice changes nothing. It reads the route's record afresh
 * each time: the statuses, not the entry, say what to do.
 */
export class RouteConductor {
  constructor(private readonly deps: RouteConductorDeps) {}

  async advance(id: string): Promise<void> {
    const { store } = this.deps;
    const record = await store.get(id);
    if (!record?.plan || !record.stepStatuses) return;
    if (isTerminal(record.status)) {
      if (repairedByReplay(record)) await this.reopen(record);
      else if (record.status !== 'succeeded') await this.cancelUnfinished(record);
      return;
    }
    const route = this.deps.config.routes.get(record.route ?? '');
    if (!route || route.kind === 'switch') {
      await this.end(record, 'failed', { error: { code: 'transform_failed', message: `route "${record.route}" is no longer configured as a fanOut or chain route`, retryable: false } });
      return;
    }
    const statuses = record.stepStatuses;
    if (record.status === 'queued' && statuses.some((s) => s === 'running' || ENDED.has(s))) {
      await store.transition(id, { from: ['queued'], set: { status: 'running', startedAtMs: Date.now() }, event: { type: 'status', status: 'running', at: Date.now(), attempt: 0 } });
    }
    const failed = record.plan.steps.findIndex((s, i) => !s.optional && (statuses[i] === 'failed' || statuses[i] === 'canceled'));
    if (failed >= 0) {
      await this.stepFailed(record, failed);
      return;
    }
    if (route.kind === 'chain') {
      const next = statuses.findIndex((s) => s !== 'succeeded');
      if (next === -1) await this.succeed(record, route);
      else if (statuses[next] === 'pending') await this.startChainStep(record, route, next);
      return;
    }
    if (statuses.every((s) => s === 'skipped' || ENDED.has(s))) await this.succeed(record, route);
  }

  /**
   * Back to running, for a route's job whose failed step was replayed: first the steps its
   * failure canceled run again (rerunCanceled), then a guarded transition from failed (one
   * gateway wins), its keys kept again and its tenant's in-flight slot taken again (the route
   * outbox's `reopened` entry). It ends again when its steps do. In that order, so that a
   * move dying in between leaves a failed route with queued steps, which the next move
   * re-opens, never a running one with a canceled required step, which it would fail again.
   */
  private async reopen(record: JobRecord): Promise<void> {
    await this.rerunCanceled(record);
    const now = Date.now();
    const reopened = await this.deps.store.transition(record.id, {
      from: ['failed'],
      set: { status: 'running', finishedAtMs: null, error: null },
      event: { type: 'status', status: 'running', at: now, attempt: 0 },
      expire: 'persist',
      effects: { target: record.target, outbox: { kind: 'reopened', id: record.id, tenant: record.tenant, at: now } },
    });
    if (!reopened.applied) return;
    this.deps.listeners.outboxWritten?.(record.target);
    this.deps.logger.info({ event: 'route.reopened', jobId: record.id, route: record.route, tenant: record.tenant, correlationId: record.correlationId }, "route's job re-opened by a step's replay");
  }

  /**
   * Queues again each step of a re-opening route's job that stands canceled (the cancel of
   * what was left when it failed): the step's own guarded transition from canceled, with a
   * fresh set of attempts, its keys kept and (its target outbox's `reopened` entry) its
   * tenant's in-flight slot; then the route's record hears it is queued, before the route
   * runs again. A step whose canceled run BullMQ has not let go of yet would not be added
   * again: the move throws, and its entry is carried out again later.
   */
  private async rerunCanceled(record: JobRecord): Promise<void> {
    const { store, queues, steps: routeSteps } = this.deps;
    const plan = record.plan!;
    const canceled = plan.steps.flatMap((s, index) => (s.jobId !== null && record.stepStatuses![index] === 'canceled' ? [{ index, id: s.jobId }] : []));
    if (canceled.length === 0) return;
    const found = await store.getMany(canceled.map((c) => c.id));
    for (const [i, { index }] of canceled.entries()) {
      const step = found[i];
      if (!step || (step.status !== 'canceled' && step.status !== 'queued')) continue;
      const target = this.deps.config.targets.get(step.target);
      if (!target) continue;
      if (await queues.holds(step.target, step.id)) throw new Error(`step ${step.id}'s canceled run is still in its queue; re-running it later`);
      const now = Date.now();
      const parent = { id: record.id, route: record.route ?? '', step: index };
      if (step.status === 'canceled') {
        const reset = await store.transition(step.id, {
          from: ['canceled'],
          set: { status: 'queued', attempts: 0, error: null, finishedAtMs: null, cancelRequested: false, runAtMs: null },
          event: { type: 'status', status: 'queued', attempt: 0, at: now },
          expire: 'persist',
          effects: { target: step.target, outbox: { kind: 'reopened', id: step.id, tenant: step.tenant, at: now, parent } },
        });
        if (reset.applied) this.deps.listeners.outboxWritten?.(step.target);
      }
      // Queued but never tried: this move or an earlier one that died before the add.
      const current = await store.get(step.id);
      if (current?.status === 'queued' && current.attempts === 0) await this.enqueue(current, 0);
      await routeSteps.reopened(parent, now);
    }
  }

  /** Cancels the steps of a route's job that has ended failed or canceled: queued ones at once, running ones by request. */
  async cancelUnfinished(record: JobRecord): Promise<void> {
    const { store, queues } = this.deps;
    const plan = record.plan!;
    const ids = plan.steps.map((s, i) => (s.jobId !== null && UNFINISHED.has(record.stepStatuses?.[i] ?? 'pending') ? s.jobId : null)).filter((s): s is string => s !== null);
    const steps = await store.getMany(ids);
    await Promise.all(
      steps.map(async (step) => {
        if (!step || isTerminal(step.status)) return;
        if (step.status === 'running') {
          await store.requestCancel(step.id);
          return;
        }
        const retentionMs = this.deps.config.targets.get(step.target)?.retentionMs ?? DEFAULT_RETENTION_MS;
        const canceled = await finishJob(store, step, { status: 'canceled', from: ['queued'], at: Date.now(), retentionMs }, this.deps.listeners);
        if (canceled.ended) await queues.removeWaiting(step.target, step.id, step).catch(() => undefined);
        else if (canceled.previous === 'running') await store.requestCancel(step.id);
      }),
    );
  }

  /** Creates chain step `index` from the previous step's result (unless a move before this one did), enqueues it, and tells the route. */
  private async startChainStep(record: JobRecord, route: StepRoute, index: number): Promise<void> {
    const { store } = this.deps;
    const plan = record.plan!;
    const planned = plan.steps[index]!;
    const parent = { id: record.id, route: route.name, step: index };
    let step = await store.get(planned.jobId!);
    if (!step) {
      const [previous] = await store.getMany([plan.steps[index - 1]!.jobId!]);
      const routeInput = record.payload.kind === 'input' ? record.payload.input : undefined;
      let prepared: PreparedJob;
      try {
        const input = await nextInput(route, index, stepValue(previous?.resultJson ?? null), routeInput);
        prepared = await this.deps.prepare({
          tenant: record.tenant,
          correlationId: record.correlationId,
          target: planned.target,
          route: route.name,
          payload: { kind: 'input', input },
          metadata: record.metadata,
        });
      } catch (err) {
        // A full queue is the target's backpressure, not the route's fault: the entry stays and is tried again.
        if (err instanceof ApiError && err.code === 'queue_full') throw err;
        const why = err instanceof ExpressionFailed ? err.message : err instanceof ApiError ? `step "${planned.name}" cannot take its input: ${err.detail ?? err.code}` : null;
        if (why === null) throw err;
        await this.end(record, 'failed', { error: { code: 'transform_failed', message: why, retryable: false } });
        return;
      }
      step = { ...prepared.record, id: planned.jobId!, parent };
      if (await store.createIfAbsent(step)) {
        await this.enqueue(step, prepared.dueAt - prepared.now);
      } else {
        step = await store.get(planned.jobId!);
      }
    }
    // Found queued and never tried: a move that died between storing and enqueueing it (a second enqueue of the same id is a no-op).
    if (step && step.status === 'queued' && step.attempts === 0) await this.enqueue(step, 0);
    await this.deps.steps.changed(parent, 'queued', Date.now());
  }

  private async enqueue(step: JobRecord, delayMs: number): Promise<void> {
    const target = this.deps.config.targets.get(step.target)!;
    await this.deps.queues.enqueue(target, { id: step.id, priority: step.priority, delayMs, ...laneOf(this.deps.config, target, step.tenant) });
  }

  private async stepFailed(record: JobRecord, index: number): Promise<void> {
    const planned = record.plan!.steps[index]!;
    const [step] = await this.deps.store.getMany([planned.jobId!]);
    const cause = step?.error ? `${step.error.code}: ${step.error.message}` : record.stepStatuses![index] === 'canceled' ? 'it was canceled' : 'its record has expired';
    await this.end(record, 'failed', { error: { code: 'step_failed', message: `step "${planned.name}" failed: ${cause}`, retryable: false } }, planned.name);
  }

  private async succeed(record: JobRecord, route: StepRoute): Promise<void> {
    const plan = record.plan!;
    const ran = plan.steps.map((s, i) => ({ ...s, status: record.stepStatuses![i]! })).filter((s) => s.status !== 'skipped');
    const steps = await this.deps.store.getMany(ran.map((s) => s.jobId!));
    const values: Record<string, unknown> = {};
    ran.forEach((s, i) => (values[s.name] = s.status === 'succeeded' ? stepValue(steps[i]?.resultJson ?? null) : null));
    const routeInput = record.payload.kind === 'input' ? record.payload.input : undefined;
    try {
      const resultJson = await routeOutput(route, values, routeInput, maxBytesOf(this.deps.config, plan));
      await this.end(record, 'succeeded', { resultJson });
    } catch (err) {
      if (!(err instanceof ExpressionFailed)) throw err;
      await this.end(record, 'failed', { error: { code: 'transform_failed', message: err.message, retryable: false } });
    }
  }

  /** The route's job's end (a guarded transition: a second move finds it ended and changes nothing), then the cancel of what is left of it. */
  /** `failedStep`: the required step whose failure ends it (step_failed). */
  private async end(record: JobRecord, status: 'succeeded' | 'failed', outcome: { resultJson?: string; error?: JobError }, failedStep: string | null = null): Promise<void> {
    const plan = record.plan!;
    const ended = await finishJob(
      this.deps.store,
      record,
      { status, at: Date.now(), retentionMs: retentionOf(this.deps.config, plan), ...outcome },
      this.deps.listeners,
    );
    if (ended.ended) {
      const code = outcome.error?.code === 'step_failed' || outcome.error?.code === 'transform_failed' ? outcome.error.code : null;
      this.deps.observer?.routeEnded(record.route ?? '', status, code, failedStep);
      this.deps.logger.info({ event: `route.${status}`, jobId: record.id, route: record.route, tenant: record.tenant, correlationId: record.correlationId, ...(outcome.error && { code: outcome.error.code }) }, `route's job ${status}`);
    }
    if (status === 'failed') await this.cancelUnfinished({ ...record, status });
  }
}

/**
 * Whether a failed route's job runs again: it failed for a step (not a transform, not a
 * cancel of the route), no required step stands failed any more, and one is queued or
 * running (the replayed one). Steps that stand canceled (a fan-out's branches its failure
 * canceled) run again with it (rerunCanceled).
 */
function repairedByReplay(record: JobRecord): boolean {
  if (record.status !== 'failed' || record.error?.code !== 'step_failed') return false;
  const statuses = record.stepStatuses!;
  const broken = record.plan!.steps.some((s, i) => !s.optional && statuses[i] === 'failed');
  return !broken && statuses.some((s) => s === 'queued' || s === 'running');
}

/** A route's result may be as large as its largest step's target takes. */
export function maxBytesOf(config: Pick<GatewayConfig, 'targets'>, plan: RoutePlan): number {
  return Math.max(...plan.steps.map((s) => config.targets.get(s.target)?.maxBodyBytes ?? 0));
}

/** A route's job stays as long as its longest-kept step: its document links to them. */
export function retentionOf(config: Pick<GatewayConfig, 'targets'>, plan: RoutePlan): number {
  return Math.max(...plan.steps.map((s) => config.targets.get(s.target)?.retentionMs ?? 0));
}
