import type { Deferral, JobDocument } from './job-schema.js';
import type { JobRecord, RoutePlan } from './job-record.js';
import type { StepStatus } from './job-schema.js';
import { traceIdOf } from './trace-context.js';

/** Results larger than this are left out of the document; `links.result` serves them. */
export const INLINE_RESULT_BYTES = 16_384;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * The public job document for a stored record; `baseUrl` makes the links absolute. The
 * domain's view of a job, not an HTTP concern: the API answers with it and the notifier
 * sends it as a webhook's body. `deferred`: why a queued job is not being tried now, when
 * its target's breaker is open (src/jobs/job-deferrals.ts).
 */
export function toDocument(r: JobRecord, baseUrl: string, deferred?: Deferral): JobDocument {
  const self = `${baseUrl}/v1/jobs/${r.id}`;
  const doc: JobDocument = {
    id: r.id,
    target: r.target,
    status: r.status,
    createdAt: iso(r.createdAtMs)!,
    runAt: iso(r.runAtMs),
    startedAt: iso(r.startedAtMs),
    finishedAt: iso(r.finishedAtMs),
    attempts: r.attempts,
    maxAttempts: r.maxAttempts,
    priority: r.priority,
    progress: (r.progress ?? null) as JobDocument['progress'],
    error: r.error,
    deadLettered: r.deadLettered,
    cancelRequested: r.cancelRequested,
    correlationId: r.correlationId,
    ...(r.route !== undefined && { route: r.route }),
    ...(r.plan && { steps: stepsOf(r.plan, r.stepStatuses ?? []) }),
    ...(r.parent && { routeJobId: r.parent.id }),
    traceId: traceIdOf(r),
    metadata: r.metadata,
    ...(deferred && r.status === 'queued' && { deferred }),
    callback: r.callback ? { url: r.callback.url, events: r.callback.events, state: r.callbackState ?? 'pending' } : null,
    links: { self, result: `${self}/result`, events: `${self}/events`, cancel: `${self}/cancel` },
  };
  if (r.status === 'succeeded' && r.resultJson !== null && r.resultJson.length <= INLINE_RESULT_BYTES) {
    doc.result = JSON.parse(r.resultJson) as JobDocument['result'];
  }
  return doc;
}

function stepsOf(plan: RoutePlan, statuses: readonly StepStatus[]): NonNullable<JobDocument['steps']> {
  return plan.steps.map((s, i) => {
    const status = statuses[i] ?? 'pending';
    return { name: s.name, target: s.target, status, jobId: status === 'pending' || status === 'skipped' ? null : s.jobId };
  });
}
