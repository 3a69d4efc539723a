import type { GatewayConfig, Target } from '../config/schema.js';
import { ApiError, type RateLimitState } from '../core/errors.js';
import { newJobId } from '../core/ids.js';
import type { JobQueues } from '../core/job-queues.js';
import type { JobPayload, JobRecord } from '../core/job-record.js';
import { isTerminal, type JobStatus, type SubmitRequest } from '../core/job-schema.js';
import type { JobStore } from '../core/job-store.js';
import { decodeCursor, type ListFilter, type ListPage, type TenantJobList } from '../core/tenant-job-list.js';
import { finishJob } from '../core/finish-job.js';
import type { JobWatcher } from '../core/job-watcher.js';
import type { TenantAdmission } from '../core/tenant-admission.js';
import type { ReplicaAck } from '../core/replica-ack.js';
import type { Logger } from '../core/logger.js';
import type { HandlerInputs } from './handler-inputs.js';
import { zodToFieldErrors } from './field-errors.js';
import { RetryUntilDone } from './retry-until-done.js';
import { WEBHOOK_EVENTS, type Delivery, type WebhookEvent } from '../core/job-schema.js';
import type { CallbackSpec } from '../core/job-record.js';
import { createAddressPolicy, type AddressPolicy } from '../webhooks/address-policy.js';
import { checkCallbackUrl, systemResolver, type Resolver } from '../webhooks/callback-url.js';
import { laneOf, limitsFor } from '../auth/tenant-limits.js';
import { routeNamed, RouteSwitch } from './route-switch.js';
import type { StepRoute } from '../config/routes.js';
import { isRouteTarget, routeTarget, type RouteSteps } from '../core/route-steps.js';
import { RouteConductor, retentionOf } from './route-conductor.js';
import { ExpressionFailed, refusal } from './route-expressions.js';
import { plannedSteps } from './route-plan.js';
import { UNSTARTED, type RoutePlan } from '../core/job-record.js';
import type { StepStatus } from '../core/job-schema.js';
import { JobObserver } from '../observability/job-observer.js';
import type { TraceContext, Tracing } from '../observability/tracing.js';

/** An admitted job, and its tenant's rate window after it (for the RateLimit-* fields). */
export interface Admitted {
  record: JobRecord;
  rateLimit: RateLimitState;
}

/**
 * A fanOut or chain route's job checked and ready to admit (JobService.prepareRoute), nothing
 * of it stored yet: its record, and the steps that start at once.
 */
export interface PreparedRoute {
  cmd: SubmitCommand;
  record: JobRecord;
  starting: PreparedJob[];
  now: number;
}

/** Either kind of prepared submit: a batch holds both. */
export type PreparedSubmit = PreparedJob | PreparedRoute;

export const isPreparedRoute = (p: PreparedSubmit): p is PreparedRoute => 'starting' in p;

/** A job checked and ready to admit (JobService.prepare), nothing of it stored yet. */
export interface PreparedJob {
  cmd: SubmitCommand;
  target: Target;
  record: JobRecord;
  now: number;
  dueAt: number;
  /** The target's queued depth the check read (JobService.queuedDepth): a batch checks its own jobs on top of it. */
  queuedDepth: number;
}

export interface SubmitCommand {
  tenant: string;
  correlationId: string;
  /** The request's span, when tracing is on: the enqueue's span is its child. */
  trace?: TraceContext | undefined;
  target: string;
  /** The route whose rules chose `target` (RouteSwitch), kept on the record and shown in the document. */
  route?: string;
  payload: JobPayload;
  priority?: number;
  delayMs?: number;
  runAt?: string;
  ttlMs?: number;
  metadata?: Record<string, string>;
  callback?: { url: string; events?: WebhookEvent[] };
  /** Where the callback came from, for the error's JSON pointer. */
  callbackPath?: string;
}

/** How often a failed undo of a half-stored submit is tried again, and how many are kept. */
const UNDO_RETRY_MS = 1_000;
const MAX_PENDING_UNDOS = 10_000;

/**
 * The gateway's job operations, in terms of jobs rather than Redis keys:
 * admission, reads scoped to a tenant, waiting, cancel.
 */
export class JobService {
  private readonly callbackPolicy: AddressPolicy;
  /** Fires when the gateway shuts down: held requests answer at once with what they have. */
  private readonly draining = new AbortController();

  constructor(
    private readonly config: GatewayConfig,
    private readonly store: JobStore,
    private readonly queues: JobQueues,
    private readonly watcher: JobWatcher,
    private readonly logger: Logger,
    opts: {
      handlers: HandlerInputs;
      admission: TenantAdmission;
      list: TenantJobList;
      outboxWritten?: (target: string) => Promise<void>;
      resolve?: Resolver;
      observer?: JobObserver;
      tracing?: Tracing;
      /** REDIS_WAIT_REPLICAS: a submit is acknowledged only once the replicas hold the job. */
      replicaAck?: ReplicaAck;
      /** Tells a route's job of its steps (fanOut and chain routes need it). */
      routeSteps?: RouteSteps;
    },
  ) {
    this.handlers = opts.handlers;
    this.admission = opts.admission;
    this.jobList = opts.list;
    this.callbackPolicy = createAddressPolicy(config.webhooks.allowlist);
    this.outboxWritten = opts.outboxWritten ?? null;
    this.resolve = opts.resolve ?? systemResolver;
    this.observer = opts.observer ?? new JobObserver();
    this.tracing = opts.tracing ?? null;
    this.replicaAck = opts.replicaAck ?? null;
    this.routes = new RouteSwitch(this.observer);
    this.conductor = opts.routeSteps
      ? new RouteConductor({
          config,
          store,
          queues,
          steps: opts.routeSteps,
          logger,
          prepare: (cmd) => this.prepare(cmd),
          // Not awaited: the conductor runs inside the relay, whose own next round carries the new entry out.
          listeners: { observer: this.observer, outboxWritten: (target) => void this.outboxWritten?.(target) },
          observer: this.observer,
        })
      : null;
    this.undos = new RetryUntilDone(UNDO_RETRY_MS, MAX_PENDING_UNDOS, (event, id, err) => {
      if (event === 'done') logger.info({ event: 'job.admission_undone', jobId: id }, 'half-stored job removed on retry');
      else if (event === 'dropped') logger.error({ event: 'job.admission_undo_dropped', jobId: id }, 'too many undos pending; this half-stored job stays');
      else logger.warn({ event: 'job.admission_undo_failed', jobId: id, err }, 'could not remove a half-stored job yet; retrying');
    });
  }

  private readonly admission: TenantAdmission;
  private readonly jobList: TenantJobList;
  private readonly routes: RouteSwitch;
  /** Moves fanOut and chain routes' jobs on; null where no RouteSteps was given (then such a route is refused). */
  private readonly conductor: RouteConductor | null;
  /** Undos of half-stored submits that Redis refused at the time. */
  private readonly undos: RetryUntilDone;
  /** Relays the target's outbox now (bounded), after a cancel wrote it: the answer follows the freed slot. */
  private readonly outboxWritten: ((target: string) => Promise<void>) | null;
  private readonly resolve: Resolver;
  private readonly observer: JobObserver;
  private readonly tracing: Tracing | null;
  private readonly replicaAck: ReplicaAck | null;
  /** Input schemas of the in-code handlers, injected by the runtime: src/jobs never imports workers. */
  private readonly handlers: HandlerInputs;

  target(name: string): Target | undefined {
    return this.config.targets.get(name);
  }

  /**
   * The submit command of a `POST /v1/jobs` envelope, or of a batch's item at `at`
   * (`/jobs/3`, for its errors' pointers). With `route`, the route's rules pick the target
   * for the input here, refusing (422) before anything is stored.
   */
  async commandFor(caller: Pick<SubmitCommand, 'tenant' | 'correlationId' | 'trace'>, body: SubmitRequest, at = ''): Promise<SubmitCommand> {
    // The schema lets exactly one of target and route through.
    const route = body.route !== undefined ? routeNamed(this.config, body.route) : null;
    const target = route === null ? body.target! : route.kind === 'switch' ? await this.routes.choose(route, body.input) : routeTarget(route.name);
    return {
      tenant: caller.tenant,
      correlationId: caller.correlationId,
      trace: caller.trace,
      target,
      ...(body.route !== undefined && { route: body.route }),
      payload: { kind: 'input', input: body.input },
      ...(body.priority !== undefined && { priority: body.priority }),
      ...(body.delay !== undefined && { delayMs: body.delay }),
      ...(body.runAt !== undefined && { runAt: body.runAt }),
      ...(body.ttl !== undefined && { ttlMs: body.ttl }),
      ...(body.metadata !== undefined && { metadata: body.metadata }),
      ...(body.callback !== undefined && { callback: body.callback, ...(at && { callbackPath: `${at}/callback/url` }) }),
    };
  }

  /**
   * Validates against the target's policy, admits the job for its tenant (rate, quota,
   * index: one script), then stores and enqueues it; resolves only once all are in Redis,
   * with the tenant's rate window as it stands.
   */
  async submit(cmd: SubmitCommand): Promise<Admitted> {
    return this.acceptAny(await this.prepareAny(cmd));
  }

  /** A submit's first half, for a target or any route (a fanOut or chain route's job and its first steps). */
  prepareAny(cmd: SubmitCommand): Promise<PreparedSubmit> {
    return isRouteTarget(cmd.target) ? this.prepareRoute(cmd) : this.prepare(cmd);
  }

  acceptAny(p: PreparedSubmit): Promise<Admitted> {
    return isPreparedRoute(p) ? this.acceptRoute(p) : this.accept(p);
  }

  /** Takes an accepted submit back out (a batch whose other jobs were refused); a route's job with its steps. */
  withdrawAny(p: PreparedSubmit): Promise<unknown> {
    return isPreparedRoute(p) ? Promise.all([...p.starting.map((s) => this.undo(s.record, true)), this.undo(p.record, false)]) : this.withdraw(p.record);
  }

  /**
   * A fanOut or chain route's submit, first half: its expressions over the input (a failure
   * is a 422 naming the branch), and every step that starts now checked as its own submit
   * would be. Nothing is stored.
   */
  private async prepareRoute(cmd: SubmitCommand): Promise<PreparedRoute> {
    const route = this.config.routes.get(cmd.route!) as StepRoute;
    if (!this.conductor) throw new Error('a fanOut or chain route needs JobService to be given routeSteps');
    const input = cmd.payload.kind === 'input' ? cmd.payload.input : undefined;
    const planned = await plannedSteps(route, input).catch((err: unknown) => {
      throw err instanceof ExpressionFailed ? refusal(err) : err;
    });
    if (planned.every((p) => p.kind === 'skipped')) {
      throw new ApiError('no_route_match', `no branch of route "${route.name}" runs for this input: every branch's when is false`);
    }
    const id = newJobId(routeTarget(route.name));
    const starting: PreparedJob[] = [];
    for (const [i, p] of planned.entries()) {
      if (p.kind !== 'start') continue;
      const step = route.steps[i]!;
      const prepared = await this.prepare({ ...cmd, target: step.target, payload: { kind: 'input', input: p.input }, callback: undefined, callbackPath: undefined }).catch((err: unknown) => {
        throw err instanceof ApiError ? new ApiError(err.code, `step "${step.name}": ${err.detail ?? err.title}`, err.extra) : err;
      });
      prepared.record.parent = { id, route: route.name, step: i };
      starting.push(prepared);
    }
    const now = Date.now();
    const plan: RoutePlan = {
      kind: route.kind,
      steps: route.steps.map((s, i) => ({
        name: s.name,
        target: s.target,
        optional: s.optional,
        jobId: planned[i]!.kind === 'skipped' ? null : (starting.find((p) => p.record.parent!.step === i)?.record.id ?? newJobId(s.target)),
      })),
    };
    const stepStatuses = planned.map((p): StepStatus => (p.kind === 'start' ? 'queued' : p.kind === 'skipped' ? 'skipped' : 'pending'));
    const callback = cmd.callback ? await this.checkCallback(cmd.callback, cmd.callbackPath ?? '/callback/url') : null;
    const record: JobRecord = {
      id,
      tenant: cmd.tenant,
      target: routeTarget(route.name),
      status: 'queued',
      createdAtMs: now,
      runAtMs: null,
      // Never in a queue itself: its steps expire, each by its own target's policy.
      expiresAtMs: Math.max(...starting.map((p) => p.record.expiresAtMs)),
      ...UNSTARTED,
      maxAttempts: 1,
      priority: cmd.priority ?? 0,
      correlationId: cmd.correlationId,
      route: route.name,
      plan,
      stepStatuses,
      metadata: cmd.metadata ?? {},
      payload: cmd.payload,
      callback,
      callbackState: callback ? 'pending' : null,
    };
    return { cmd, record, starting, now };
  }

  /**
   * A fanOut or chain route's submit, second half: the route's job (admitted for its tenant
   * as one job) stored before its steps, so that no step can end unheard; a refusal
   * anywhere takes back everything stored.
   */
  private async acceptRoute({ cmd, record, starting, now }: PreparedRoute): Promise<Admitted> {
    const rateLimit = await this.admitTenant(cmd, record, now);
    try {
      await this.store.create(record);
    } catch (err) {
      await this.undo(record, false);
      throw err;
    }
    const stored = await Promise.allSettled(starting.map((p) => this.storeAndEnqueue(p)));
    const refused = stored.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (refused) {
      await Promise.all([...starting.map((p) => this.undo(p.record, true)), this.undo(record, false)]);
      throw refused.reason;
    }
    this.observer.accepted(record.target);
    this.logger.info({ event: 'job.accepted', jobId: record.id, route: record.route, steps: starting.length, tenant: cmd.tenant, correlationId: cmd.correlationId }, "route's job accepted");
    return { record, rateLimit };
  }

  /** A step's record and its queue entry, together; the route's job counts for admission, so the step takes none. */
  private async storeAndEnqueue(p: PreparedJob): Promise<void> {
    const target = p.target;
    await Promise.all([
      this.store.create(p.record),
      this.queues.enqueue(target, { id: p.record.id, priority: p.record.priority, delayMs: p.dueAt - p.now, ...laneOf(this.config, target, p.record.tenant) }),
    ]);
  }

  /** Moves a fanOut or chain route's job on (the relay's `advance` entries; see RouteConductor). */
  advanceRoute(id: string): Promise<void> {
    if (!this.conductor) return Promise.reject(new Error('this JobService moves no routes (no routeSteps)'));
    return this.conductor.advance(id);
  }

  /**
   * A submit's first half: every check against the target's policy, and the record it would
   * store. Nothing is written; a batch prepares all its jobs before it admits any.
   */
  async prepare(cmd: SubmitCommand): Promise<PreparedJob> {
    // A fanOut or chain route's job has no target to check against: prepareRoute plans it.
    if (isRouteTarget(cmd.target)) throw new Error(`prepare takes a target, not ${cmd.target}: see prepareAny`);
    const target = this.target(cmd.target);
    if (!target) {
      throw new ApiError('unknown_target', `no target named "${cmd.target}"`, {
        errors: [{ path: '/target', message: `known targets: ${[...this.config.targets.keys()].join(', ')}` }],
      });
    }
    this.checkPayload(target, cmd.payload);
    const now = Date.now();
    const priority = cmd.priority ?? target.priority.default;
    if (priority < target.priority.min || priority > target.priority.max) {
      throw new ApiError('validation_failed', 'priority is outside the target\'s range', {
        errors: [{ path: '/priority', message: `must be between ${target.priority.min} and ${target.priority.max}` }],
      });
    }
    const dueAt = cmd.runAt !== undefined ? Math.max(now, Date.parse(cmd.runAt)) : now + (cmd.delayMs ?? 0);
    if (dueAt - now > target.maxDelayMs) {
      throw new ApiError('validation_failed', 'the job would start too far in the future', {
        errors: [{ path: cmd.runAt !== undefined ? '/runAt' : '/delay', message: `at most ${target.maxDelayMs} ms ahead` }],
      });
    }
    const maxWaitMs = Math.min(cmd.ttlMs ?? Number.POSITIVE_INFINITY, target.maxQueueAgeMs);
    const callback = cmd.callback ? await this.checkCallback(cmd.callback, cmd.callbackPath ?? '/callback/url') : null;
    const queuedDepth = await this.queues.queuedDepth(target.name);
    if (queuedDepth >= target.maxQueuedJobs) throw queueFull(target, `has ${target.maxQueuedJobs} jobs waiting`);
    const record: JobRecord = {
      id: newJobId(target.name),
      tenant: cmd.tenant,
      target: target.name,
      status: 'queued',
      createdAtMs: now,
      runAtMs: dueAt > now ? dueAt : null,
      expiresAtMs: dueAt + maxWaitMs,
      ...UNSTARTED,
      maxAttempts: target.attempts,
      priority,
      correlationId: cmd.correlationId,
      ...(cmd.route !== undefined && { route: cmd.route }),
      metadata: cmd.metadata ?? {},
      payload: cmd.payload,
      callback,
      callbackState: callback ? 'pending' : null,
    };
    return { cmd, target, record, now, dueAt, queuedDepth };
  }

  /** A submit's second half: admission, then the record and its queue entry (a refusal leaves nothing). */
  async accept(prepared: PreparedJob): Promise<Admitted> {
    const { cmd, target, record, now, dueAt } = prepared;
    if (!this.tracing) return this.admit(cmd, target, record, now, dueAt);
    // The record keeps the enqueue span's context: the attempts and deliveries, on other
    // processes, are its children.
    const enqueue = this.tracing.startEnqueue(cmd.trace, record, dueAt - now);
    record.traceparent = enqueue.traceparent;
    try {
      const admitted = await this.admit(cmd, target, record, now, dueAt);
      enqueue.end();
      return admitted;
    } catch (err) {
      enqueue.end(err);
      throw err;
    }
  }

  /**
   * Takes an accepted job back out (a batch whose other jobs were refused): its record and
   * its queue entry, now or, when Redis refuses, as soon as it takes it. Its tenant's
   * in-flight slot is freed by the in-flight audit once the record is gone.
   */
  withdraw(record: JobRecord): Promise<void> {
    return this.undo(record, true);
  }

  /** Removes a half- or wholly-stored job (its queue entry too when `queuedToo`), now or, when Redis refuses, as soon as it takes it. */
  private async undo(record: JobRecord, queuedToo: boolean): Promise<void> {
    const run = async () => {
      await this.store.delete(record);
      if (queuedToo) await this.queues.removeWaiting(record.target, record.id, record);
    };
    await run().catch(() => this.undos.add(record.id, run));
  }

  /** Admission, then the record and the queue entry together; never leaves half a job behind. */
  private async admit(cmd: SubmitCommand, target: Target, record: JobRecord, now: number, dueAt: number): Promise<Admitted> {
    const { priority } = record;
    const rateLimit = await this.admitTenant(cmd, record, now);
    // Issued together, so both are on the wire before either answer comes back.
    const [stored, queued] = await Promise.allSettled([
      this.store.create(record),
      this.queues.enqueue(target, { id: record.id, priority, delayMs: dueAt - now, ...laneOf(this.config, target, record.tenant) }),
    ]);
    // Never answer 202 for a job that is not wholly stored; undo what got through, now or,
    // when Redis refuses that too (it is what failed), as soon as it takes it.
    if (stored.status === 'rejected' || queued.status === 'rejected') {
      await this.undo(record, queued.status === 'fulfilled');
      throw stored.status === 'rejected' ? stored.reason : (queued as PromiseRejectedResult).reason;
    }
    if (this.replicaAck && !(await this.replicated(record))) {
      await this.undo(record, true);
      throw new ApiError('replication_timeout', `the job was not confirmed by ${this.replicaAck.replicas} replica(s) in time; nothing was kept, retry later`, {
        retryAfterSeconds: this.config.server.pollAfterSeconds,
      });
    }
    this.observer.accepted(target.name);
    this.logger.info(
      { event: 'job.accepted', jobId: record.id, target: target.name, tenant: cmd.tenant, correlationId: cmd.correlationId },
      'job accepted',
    );
    return { record, rateLimit };
  }

  /** The tenant's admission of one job (rate, quota, index: one script); refuses with rate_limited or quota_exceeded. */
  private async admitTenant(cmd: SubmitCommand, record: JobRecord, now: number): Promise<RateLimitState> {
    const { maxInFlightJobs, requestsPerWindow, windowSeconds } = limitsFor(this.config.tenants, cmd.tenant);
    const verdict = await this.admission.admit(cmd.tenant, record.id, { requestsPerWindow, windowMs: windowSeconds * 1_000, maxInFlightJobs }, now);
    const rateLimit = { limit: requestsPerWindow, remaining: requestsPerWindow - verdict.count, resetSeconds: Math.ceil(verdict.resetMs / 1_000) };
    if (!verdict.admitted && verdict.reason === 'rate_limited') {
      throw new ApiError('rate_limited', `at most ${requestsPerWindow} requests per ${windowSeconds} s for this tenant`, { retryAfterSeconds: Math.max(1, rateLimit.resetSeconds), rateLimit });
    }
    if (!verdict.admitted) {
      throw new ApiError('quota_exceeded', `at most ${maxInFlightJobs} unfinished jobs per tenant`, { retryAfterSeconds: this.config.server.pollAfterSeconds, rateLimit });
    }
    return rateLimit;
  }

  /** Whether the replicas hold the job (REDIS_WAIT_REPLICAS); a failed WAIT (no master known for a slot, Redis down) is a no. */
  private async replicated(record: JobRecord): Promise<boolean> {
    try {
      return await this.replicaAck!.confirmJob(record);
    } catch (err) {
      this.logger.warn({ event: 'job.replication_unconfirmed', jobId: record.id, err }, 'could not confirm the job on the replicas');
      return false;
    }
  }

  /** Refuses a callback that no webhook could be signed for, or whose URL the SSRF guard refuses. */
  async checkCallback(cb: { url: string; events?: WebhookEvent[] }, path: string): Promise<CallbackSpec> {
    if (this.config.webhooks.secrets.length === 0) {
      throw new ApiError('validation_failed', 'callbacks are not enabled on this gateway (no webhook signing secret)', {
        errors: [{ path, message: 'webhooks are not configured' }],
      });
    }
    const verdict = await checkCallbackUrl(cb.url, this.callbackPolicy, this.resolve);
    if (!verdict.ok) throw new ApiError('validation_failed', 'the callback URL is refused', { errors: [{ path, message: verdict.reason }] });
    return { url: verdict.url, events: cb.events ? [...new Set(cb.events)] : [...WEBHOOK_EVENTS] };
  }

  private checkPayload(target: Target, payload: JobPayload): void {
    if (payload.kind === 'request') {
      if (target.kind !== 'http') throw new ApiError('wrong_target_kind', `target "${target.name}" is not an http target`);
      if (Buffer.byteLength(payload.request.bodyBase64, 'base64') > target.maxBodyBytes) {
        throw new ApiError('payload_too_large', `body exceeds ${target.maxBodyBytes} bytes for target "${target.name}"`);
      }
      return;
    }
    if (payload.input !== undefined && depthOf(payload.input) > MAX_INPUT_DEPTH) {
      throw new ApiError('validation_failed', `input nests deeper than ${MAX_INPUT_DEPTH} levels`, {
        errors: [{ path: '/input', message: `at most ${MAX_INPUT_DEPTH} levels of nesting` }],
      });
    }
    if (payload.input !== undefined && Buffer.byteLength(JSON.stringify(payload.input)) > target.maxBodyBytes) {
      throw new ApiError('payload_too_large', `input exceeds ${target.maxBodyBytes} bytes for target "${target.name}"`);
    }
    if (target.kind === 'handler') {
      const schema = this.handlers.get(target.handler)?.input;
      if (!schema) throw new Error(`handler "${target.handler}" is missing from the registry JobService was given`);
      const parsed = schema.safeParse(payload.input);
      if (!parsed.success) {
        throw new ApiError('validation_failed', `input does not fit target "${target.name}"`, {
          errors: zodToFieldErrors(parsed.error.issues, '/input'),
        });
      }
    }
  }

  /** The tenant's job, or job_not_found: another tenant's job is indistinguishable from a missing one. */
  async get(tenant: string, id: string): Promise<JobRecord> {
    const record = await this.store.get(id);
    if (!record || record.tenant !== tenant) throw new ApiError('job_not_found', `no job ${id}`);
    return record;
  }

  /** Re-reads the job until it is terminal or `seconds` pass (or the client goes away). */
  async waitForEnd(tenant: string, id: string, seconds: number, signal?: AbortSignal): Promise<JobRecord> {
    const deadline = Date.now() + Math.min(seconds, this.config.server.maxWaitSeconds) * 1_000;
    const stop = this.stopSignal(signal);
    for (;;) {
      // Armed before the read: a change between the read and the wait is not missed.
      const change = this.watcher.arm(id, deadline - Date.now(), stop);
      const record = await this.get(tenant, id).catch((err: unknown) => {
        change.disarm();
        throw err;
      });
      if (isTerminal(record.status) || Date.now() >= deadline || stop.aborted) {
        change.disarm();
        return record;
      }
      await change.changed;
    }
  }

  /** Ends every wait (long-poll, Prefer: wait, event stream) now; for shutdown. Idempotent. */
  stopWaiting(): void {
    this.draining.abort();
  }

  /** Shutdown: a last try of the pending undos (before the Redis connection closes). */
  async close(): Promise<void> {
    await this.undos.close();
  }

  get isDraining(): boolean {
    return this.draining.signal.aborted;
  }

  private stopSignal(signal?: AbortSignal): AbortSignal {
    return signal ? AbortSignal.any([signal, this.draining.signal]) : this.draining.signal;
  }

  /**
   * Queued: canceled at once. Running: the cancel is flagged and published, every
   * executor aborts the job if it runs it; resolves with the record as it stands
   * after a short wait for the worker to confirm.
   */
  async cancel(tenant: string, id: string): Promise<JobRecord> {
    const record = await this.get(tenant, id);
    if (isTerminal(record.status)) {
      throw new ApiError('job_already_finished', `job ${id} has already ${record.status}`);
    }
    const target = this.target(record.target);
    const now = Date.now();
    if (record.plan) return this.cancelRoute(record);
    if (record.status === 'queued') {
      const canceled = await finishJob(
        this.store,
        record,
        { status: 'canceled', from: ['queued'], at: now, retentionMs: target?.retentionMs ?? 86_400_000 },
        { observer: this.observer },
      );
      if (canceled.ended) {
        // The answer waits for the tenant's in-flight slot to be free (the outbox's effect), so
        // a client that cancels to make room can submit at once.
        await Promise.all([this.queues.removeWaiting(record.target, id, record).catch(() => undefined), this.outboxWritten?.(record.target)]);
        this.logger.info({ event: 'job.canceled', jobId: id, target: record.target, tenant, correlationId: record.correlationId }, 'queued job canceled');
        return this.get(tenant, id);
      }
      // Refused: a worker took it in between (then cancel it as a running job), or it finished.
      if (canceled.previous !== 'running') return this.get(tenant, id);
    }
    await this.store.requestCancel(id);
    this.logger.info({ event: 'job.cancel_requested', jobId: id, target: record.target, tenant, correlationId: record.correlationId }, 'cancel requested for running job');
    return this.waitForEnd(tenant, id, CANCEL_CONFIRM_SECONDS);
  }

  /**
   * A fanOut or chain route's job: canceled at once (it runs nothing itself), then its
   * unfinished steps, each as a cancel of its own would. A gateway that dies in between
   * leaves steps running; the first of them to change moves the route, which finds it
   * canceled and cancels the rest (RouteConductor).
   */
  private async cancelRoute(record: JobRecord): Promise<JobRecord> {
    const canceled = await finishJob(
      this.store,
      record,
      { status: 'canceled', at: Date.now(), retentionMs: retentionOf(this.config, record.plan!) },
      { observer: this.observer },
    );
    if (canceled.ended) {
      await Promise.all([this.conductor?.cancelUnfinished({ ...record, status: 'canceled' }), this.outboxWritten?.(record.target)]);
      this.logger.info({ event: 'job.canceled', jobId: record.id, route: record.route, tenant: record.tenant, correlationId: record.correlationId }, "route's job canceled");
    }
    return this.get(record.tenant, record.id);
  }

  deliveries(id: string): Promise<Delivery[]> {
    return this.store.deliveries(id);
  }

  /** Read access to a job's event stream, for SSE. */
  eventsSource(): Pick<JobStore, 'eventsAfter'> {
    return this.store;
  }

  /** Listens for a change of job `id` from now on (see JobWatcher.arm); also ends at shutdown. */
  armChange(id: string, timeoutMs: number, signal?: AbortSignal): { changed: Promise<void>; disarm(): void } {
    return this.watcher.arm(id, timeoutMs, this.stopSignal(signal));
  }

  async list(tenant: string, limit: number, cursor: string | undefined, filter: ListFilter): Promise<ListPage> {
    const position = cursor === undefined ? null : decodeCursor(cursor);
    if (cursor !== undefined && !position) throw new ApiError('invalid_parameter', 'cursor is not one this API issued');
    return this.jobList.page(tenant, limit, position, filter);
  }
}

/** Deeper input is refused: no real payload needs it, and every later recursive walk would pay for it. */
const MAX_INPUT_DEPTH = 64;

/** Nesting depth of a JSON value, without recursion (so a 10,000-deep body cannot blow the stack). */
function depthOf(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > max) max = d;
    if (max > MAX_INPUT_DEPTH) return max;
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

/** Retry-After for a full queue: long enough for workers to make room. */
const QUEUE_FULL_RETRY_SECONDS = 5;

/** The 503 of a target whose queue has no room (`why`: what it holds, said after its name). */
export function queueFull(target: Pick<Target, 'name'>, why: string): ApiError {
  return new ApiError('queue_full', `target "${target.name}" ${why}; retry later`, { retryAfterSeconds: QUEUE_FULL_RETRY_SECONDS });
}

/** How long a cancel of a running job waits for the worker to confirm before answering 202. */
const CANCEL_CONFIRM_SECONDS = 2;

export type { JobStatus };
