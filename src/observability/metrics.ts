import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every metric name starts with this; docs/alerts/prometheus-rules.yml relies on the names below. */
export const METRIC_PREFIX = 'asyncgw_';

/** Which process exposes the registry, as the `process` label every series carries. */
export type ProcessRole = 'gateway' | 'executor' | 'notifier' | 'all-in-one';

/** Outcomes a job can end with, as the `outcome` label of `asyncgw_jobs_finished_total`. */
export type FinishOutcome = 'succeeded' | 'failed' | 'canceled' | 'expired';

/** Outcomes of one webhook delivery attempt. */
export type DeliveryOutcome = 'delivered' | 'retrying' | 'failed' | 'gone';

// Job runs go from milliseconds (a no-op handler) to minutes (a slow upstream).
const RUN_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The counters and histograms a process updates as things happen. Gauges that read the
 * queues (depths, oldest waiting job, workers seen) are collected at scrape time by
 * queue-collectors.ts. One registry per process (never prom-client's global one), so
 * that tests can build several gateways in one process.
 */
export interface Metrics {
  readonly registry: Registry;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly jobsAccepted: Counter<'target'>;
  readonly jobsRouted: Counter<'route' | 'target'>;
  readonly routeJobsEnded: Counter<'route' | 'outcome' | 'code' | 'step'>;
  readonly attemptsStarted: Counter<'target'>;
  readonly attemptsFailed: Counter<'target' | 'code'>;
  readonly jobsFinished: Counter<'target' | 'outcome'>;
  readonly jobsDeadLettered: Counter<'target'>;
  readonly runDuration: Histogram<'target' | 'outcome'>;
  readonly queueWait: Histogram<'target'>;
  readonly webhookDeliveries: Counter<'outcome'>;
  readonly webhookAttemptDuration: Histogram<'outcome'>;
  readonly webhookLatency: Histogram;
  readonly redisErrors: Counter<'connection'>;
  readonly circuitTransitions: Counter<'target' | 'to'>;
  readonly attemptsDeferred: Counter<'target' | 'reason'>;
  readonly heldRequests: Gauge<'kind'>;
  readonly heldRefused: Counter<'kind' | 'limit'>;
}

export function createMetrics(opts: { process?: ProcessRole; defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ process: opts.process ?? 'gateway' });
  // CPU, memory, event-loop lag and GC of this process: what the soak run and the runbook read.
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  const registers = [registry];
  const n = (name: string) => `${METRIC_PREFIX}${name}`;
  return {
    registry,
    httpDuration: new Histogram({
      name: n('http_request_duration_seconds'),
      help: 'Gateway HTTP requests by route template, method and status code',
      labelNames: ['method', 'route', 'status'],
      buckets: HTTP_BUCKETS,
      registers,
    }),
    jobsAccepted: new Counter({ name: n('jobs_accepted_total'), help: 'Jobs admitted (answered 202 or 200) by target', labelNames: ['target'], registers }),
    jobsRouted: new Counter({
      name: n('jobs_routed_total'),
      help: "Submits to a route by the target its rules chose (target=\"none\": no rule matched; \"error\": an expression failed); counted before admission",
      labelNames: ['route', 'target'],
      registers,
    }),
    routeJobsEnded: new Counter({
      name: n('route_jobs_ended_total'),
      help: "fanOut and chain routes' jobs ended by their steps, by route, outcome (succeeded, failed), code (step_failed, transform_failed; empty on success) and the required step that failed it (empty unless step_failed)",
      labelNames: ['route', 'outcome', 'code', 'step'],
      registers,
    }),
    attemptsStarted: new Counter({ name: n('job_attempts_started_total'), help: 'Attempts started by executors, by target', labelNames: ['target'], registers }),
    attemptsFailed: new Counter({
      name: n('job_attempts_failed_total'),
      help: 'Attempts that failed, by target and error code (retried or final)',
      labelNames: ['target', 'code'],
      registers,
    }),
    jobsFinished: new Counter({
      name: n('jobs_finished_total'),
      help: 'Jobs that reached a terminal state, by target and outcome (succeeded, failed, canceled, expired)',
      labelNames: ['target', 'outcome'],
      registers,
    }),
    jobsDeadLettered: new Counter({ name: n('jobs_dead_lettered_total'), help: 'Jobs moved to the dead-letter list, by target', labelNames: ['target'], registers }),
    runDuration: new Histogram({
      name: n('job_run_duration_seconds'),
      help: 'Duration of one attempt, by target and how it ended',
      labelNames: ['target', 'outcome'],
      buckets: RUN_BUCKETS,
      registers,
    }),
    queueWait: new Histogram({
      name: n('job_queue_wait_seconds'),
      help: 'Time from when an attempt was due (accepted, delayed until, or retry time) to when an executor started it',
      labelNames: ['target'],
      buckets: WAIT_BUCKETS,
      registers,
    }),
    webhookDeliveries: new Counter({
      name: n('webhook_deliveries_total'),
      help: 'Webhook delivery attempts by outcome (delivered, retrying, failed = out of attempts, gone = 410)',
      labelNames: ['outcome'],
      registers,
    }),
    webhookAttemptDuration: new Histogram({
      name: n('webhook_attempt_duration_seconds'),
      help: 'Duration of one webhook POST, by outcome',
      labelNames: ['outcome'],
      buckets: HTTP_BUCKETS,
      registers,
    }),
    webhookLatency: new Histogram({
      name: n('webhook_delivery_latency_seconds'),
      help: 'Time from a job reaching its terminal state to its webhook being delivered, retries included',
      buckets: WAIT_BUCKETS,
      registers,
    }),
    redisErrors: new Counter({
      name: n('redis_errors_total'),
      help: 'Redis connection errors and failed commands, by connection',
      labelNames: ['connection'],
      registers,
    }),
    circuitTransitions: new Counter({
      name: n('circuit_transitions_total'),
      help: "Circuit breaker state changes made by this process, by target and the state entered (open, half_open, closed)",
      labelNames: ['target', 'to'],
      registers,
    }),
    attemptsDeferred: new Counter({
      name: n('job_attempts_deferred_total'),
      help: 'Jobs an executor took from the queue and put back without an attempt, by target and reason (circuit_open)',
      labelNames: ['target', 'reason'],
      registers,
    }),
    heldRequests: new Gauge({
      name: n('held_requests'),
      help: 'Requests this gateway holds open waiting for a job (long-poll, prefer_wait, events)',
      labelNames: ['kind'],
      registers,
    }),
    heldRefused: new Counter({
      name: n('held_requests_refused_total'),
      help: 'Waits refused (long-poll, events) or not applied (prefer_wait) because a limit was reached: tenant (maxWaiting) or gateway (server.maxWaiting)',
      labelNames: ['kind', 'limit'],
      registers,
    }),
  };
}

/** The Prometheus text exposition of a registry, with its content type. */
export async function exposition(metrics: Metrics): Promise<{ contentType: string; body: string }> {
  return { contentType: metrics.registry.contentType, body: await metrics.registry.metrics() };
}
