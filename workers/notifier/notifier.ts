import { Worker, type Job } from 'bullmq';
import type { RedisClient } from '../../src/core/redis.js';
import type { GatewayConfig } from '../../src/config/schema.js';
import { DeadLetterIndex } from '../../src/core/dead-letter-index.js';
import type { JobStore } from '../../src/core/job-store.js';
import type { Keys } from '../../src/core/keys.js';
import type { Logger } from '../../src/core/logger.js';
import type { Delivery } from '../../src/core/job-schema.js';
import type { WebhookMessage } from '../../src/core/webhook-queue.js';
import { toDocument } from '../../src/core/job-view.js';
import { BatchStore } from '../../src/core/batch-store.js';
import { toBatchDocument } from '../../src/core/batch-view.js';
import { createAddressPolicy, type AddressPolicy } from '../../src/webhooks/address-policy.js';
import { signatureHeader } from '../../src/webhooks/signature.js';
import { traceparentFor } from '../../src/core/trace-context.js';
import { createMetrics, type DeliveryOutcome, type Metrics } from '../../src/observability/metrics.js';
import type { Tracing } from '../../src/observability/tracing.js';
import { RetryLaterError, retryLaterBackoff } from '../retry-later.js';
import { decideDelivery, postWebhook } from './post-webhook.js';

/** Before the next try of a delivery that failed unexpectedly (a Redis blip of ours, not the receiver). */
const UNEXPECTED_FAILURE_RETRY_MS = 5_000;

export interface NotifierDeps {
  config: GatewayConfig;
  keys: Keys;
  store: JobStore;
  connection: RedisClient;
  logger: Logger;
  metrics?: Metrics;
  /** The jitter draw of the delivery schedule. */
  random?: () => number;
  /** Present when tracing is on: a CONSUMER span per delivery attempt, with the POST as its CLIENT span. */
  tracing?: Tracing;
}

/**
 * A webhook's body (`{type, timestamp, data}`) and its Standard Webhooks headers, signed with
 * every configured secret, with the correlation id and a traceparent (the delivery span's, or
 * one derived from the correlation id).
 */
function signedWebhook(secrets: readonly string[], type: string, data: unknown, messageId: string, correlationId: string, traceparent?: string) {
  const timestamp = Math.floor(Date.now() / 1_000);
  const body = JSON.stringify({ type, timestamp: new Date(timestamp * 1_000).toISOString(), data });
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'async-gateway-webhooks/1',
    'webhook-id': messageId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatureHeader(secrets, messageId, timestamp, body),
    'x-request-id': correlationId,
    traceparent: traceparent ?? traceparentFor(correlationId),
  };
  return { body, headers };
}

/** Deliveries a message may lose with their notifier process before it is dead-lettered. */
export const MAX_LOST_DELIVERIES = 3;

/**
 * Delivers signed webhooks from its own queue, on its own schedule: a slow or dead
 * receiver holds up only its own deliveries. Each attempt is logged on the job
 * (`GET /v1/jobs/{id}/deliveries`); 2xx delivers, 410 stops, anything else is
 * retried until the schedule runs out, and then the webhook is dead-lettered. The same
 * shape as the Executor: nothing is consumed before start() creates the Worker, a retry
 * is a RetryLaterError whose delay the worker's backoff strategy returns, and each
 * attempt's outcome is a typed decision (decideDelivery).
 */
export class Notifier {
  private worker: Worker<WebhookMessage> | null = null;
  private readonly policy: AddressPolicy;
  private closing: Promise<void> | null = null;
  private readonly metrics: Metrics;
  private readonly random: () => number;

  private readonly deadLetters: DeadLetterIndex;
  private batches: BatchStore | null = null;

  constructor(private readonly deps: NotifierDeps) {
    this.deadLetters = new DeadLetterIndex(deps.connection, deps.keys);
    this.metrics = deps.metrics ?? createMetrics({ process: 'notifier' });
    this.policy = createAddressPolicy(deps.config.webhooks.allowlist);
    this.random = deps.random ?? Math.random;
  }

  /** Creates the Worker (it consumes from here on) and waits until it is connected. */
  async start(): Promise<void> {
    if (this.closing) throw new Error('notifier is closed');
    if (this.worker) throw new Error('notifier already started');
    const { config, keys, connection, logger } = this.deps;
    const worker = new Worker<WebhookMessage>(keys.webhookQueueName(), (job) => this.deliver(job), {
      connection,
      prefix: keys.bullPrefix(),
      concurrency: config.webhooks.concurrency,
      // BullMQ's own limit (1 by default) would fail a message whose notifier died twice and,
      // with removeOnFail, delete it without a word; deliver() dead-letters it instead.
      maxStalledCount: MAX_LOST_DELIVERIES + 1,
      lockDuration: config.webhooks.lockDurationMs,
      stalledInterval: config.webhooks.stalledIntervalMs,
      settings: {
        // deliver() decides the delay (the schedule, Retry-After); anything else thrown is an
        // unexpected failure of ours, tried again after a fixed delay.
        backoffStrategy: retryLaterBackoff(() => UNEXPECTED_FAILURE_RETRY_MS),
      },
    });
    worker.on('error', (err) => logger.error({ err }, 'notifier worker error'));
    this.worker = worker;
    await worker.waitUntilReady();
    logger.info({ event: 'notifier.started' }, 'notifier started');
  }

  private async deliver(message: Job<WebhookMessage>): Promise<void> {
    const data = message.data;
    if ('batchId' in data) return this.deliverBatch(message as Job<Extract<WebhookMessage, { batchId: string }>>);
    const job = message as Job<Extract<WebhookMessage, { jobId: string }>>;
    const { store, config, logger } = this.deps;
    const { jobId, event, messageId } = job.data;
    const record = await store.get(jobId);
    if (!record?.callback) return;
    const target = config.targets.get(record.target);
    const schedule = target?.webhookScheduleMs ?? config.webhooks.scheduleMs;
    const retention = record.deadLettered ? 'persist' : (target?.retentionMs ?? 86_400_000);
    const attempt = job.attemptsMade + 1;
    const log = logger.child({ jobId, target: record.target, tenant: record.tenant, correlationId: record.correlationId, webhookId: messageId });
    if (job.stalledCounter >= MAX_LOST_DELIVERIES) {
      // Every notifier that took this message died during the delivery: stop, keep it for an operator.
      await this.deadLetterLost(jobId, event, messageId, attempt, job.stalledCounter, retention);
      log.error({ event: 'webhook.dead_lettered', reason: 'notifier_lost', lostDeliveries: job.stalledCounter }, 'webhook dead-lettered: its notifiers kept dying during delivery');
      return;
    }

    const span = this.deps.tracing?.startDelivery(record, event, messageId, attempt, this.deps.keys.webhookQueueName());
    const post = span?.startPost(record.callback.url);
    const { body, headers } = signedWebhook(config.webhooks.secrets, event, toDocument(record, config.server.publicUrl ?? ''), messageId, record.correlationId, post?.traceparent);
    const outcome = await postWebhook(record.callback.url, body, headers, config.webhooks, this.policy);
    post?.end(outcome.statusCode, outcome.error === null ? undefined : failureKind(outcome.error));
    const decision = decideDelivery(outcome, schedule, attempt, config.webhooks.jitter, this.random);
    span?.end(decision.outcome, decision.outcome === 'retrying' ? decision.delayMs : undefined);
    const delivered = decision.outcome === 'delivered';
    const delivery: Delivery = {
      webhookId: messageId,
      event,
      attempt,
      at: new Date().toISOString(),
      durationMs: outcome.durationMs,
      statusCode: outcome.statusCode,
      error: outcome.error,
      outcome: decision.outcome === 'gone' ? 'failed' : decision.outcome,
    };
    // A delivered webhook's log entry and callback state go out together: one round trip.
    await Promise.all([store.addDelivery(jobId, delivery, retention), delivered && store.transition(jobId, { from: '*', set: { callbackState: 'delivered' } })]);
    const counted: DeliveryOutcome = decision.outcome;
    this.metrics.webhookDeliveries.inc({ outcome: counted });
    this.metrics.webhookAttemptDuration.observe({ outcome: counted }, outcome.durationMs / 1_000);
    if (delivered && record.finishedAtMs !== null) this.metrics.webhookLatency.observe(Math.max(0, Date.now() - record.finishedAtMs) / 1_000);
    const fields = { statusCode: outcome.statusCode, error: outcome.error, attempt, durationMs: outcome.durationMs };
    switch (decision.outcome) {
      case 'delivered':
        log.info({ event: 'webhook.delivered', ...fields }, 'webhook delivered');
        return;
      case 'retrying':
        log.warn({ event: 'webhook.attempt_failed', ...fields, retryDelayMs: decision.delayMs }, 'webhook attempt failed; will retry');
        throw new RetryLaterError(decision.delayMs, `delivery will be retried in ${decision.delayMs} ms`);
      case 'gone':
        await store.transition(jobId, { from: '*', set: { callbackState: 'failed' } });
        log.warn({ event: 'webhook.gone', ...fields }, 'receiver answered 410 Gone; delivery stopped');
        return;
      case 'failed':
        await this.deadLetter(jobId);
        log.error({ event: 'webhook.dead_lettered', ...fields }, 'webhook out of attempts; dead-lettered');
        return;
    }
  }

  /**
   * A completed batch's `batch.completed`: its document, signed like a job's webhook, on the
   * default schedule. The outcome is kept on the batch (`callback.state`); there is no
   * per-attempt log and no dead-letter list for batch webhooks, so a failure is logged.
   */
  private async deliverBatch(job: Job<Extract<WebhookMessage, { batchId: string }>>): Promise<void> {
    const { config, logger } = this.deps;
    const { batchId, event, messageId } = job.data;
    this.batches ??= new BatchStore(this.deps.connection, this.deps.keys);
    const batch = await this.batches.get(batchId);
    if (!batch?.callback) return;
    const log = logger.child({ batchId, tenant: batch.tenant, correlationId: batch.correlationId, webhookId: messageId });
    const attempt = job.attemptsMade + 1;
    if (job.stalledCounter >= MAX_LOST_DELIVERIES) {
      await this.batches.setCallbackState(batchId, 'failed');
      log.error({ event: 'webhook.failed', reason: 'notifier_lost', lostDeliveries: job.stalledCounter }, 'batch webhook given up: its notifiers kept dying during delivery');
      return;
    }
    const doc = toBatchDocument({ ...batch, statuses: await this.batches.statuses(batch.jobIds) }, config.server.publicUrl ?? '');
    const { body, headers } = signedWebhook(config.webhooks.secrets, event, doc, messageId, batch.correlationId);
    const outcome = await postWebhook(batch.callback.url, body, headers, config.webhooks, this.policy);
    const decision = decideDelivery(outcome, config.webhooks.scheduleMs, attempt, config.webhooks.jitter, this.random);
    this.metrics.webhookDeliveries.inc({ outcome: decision.outcome });
    this.metrics.webhookAttemptDuration.observe({ outcome: decision.outcome }, outcome.durationMs / 1_000);
    const fields = { statusCode: outcome.statusCode, error: outcome.error, attempt, durationMs: outcome.durationMs };
    switch (decision.outcome) {
      case 'delivered':
        await this.batches.setCallbackState(batchId, 'delivered');
        log.info({ event: 'webhook.delivered', ...fields }, 'batch webhook delivered');
        return;
      case 'retrying':
        log.warn({ event: 'webhook.attempt_failed', ...fields, retryDelayMs: decision.delayMs }, 'batch webhook attempt failed; will retry');
        throw new RetryLaterError(decision.delayMs, `delivery will be retried in ${decision.delayMs} ms`);
      case 'gone':
      case 'failed':
        await this.batches.setCallbackState(batchId, 'failed');
        log.error({ event: 'webhook.failed', ...fields }, decision.outcome === 'gone' ? 'receiver answered 410 Gone; batch webhook stopped' : 'batch webhook out of attempts');
        return;
    }
  }

  private async deadLetterLost(jobId: string, event: Delivery['event'], messageId: string, attempt: number, lost: number, retention: number | 'persist'): Promise<void> {
    const { store } = this.deps;
    const delivery: Delivery = {
      webhookId: messageId,
      event,
      attempt,
      at: new Date().toISOString(),
      durationMs: 0,
      statusCode: null,
      error: `notifier_lost: ${lost} deliveries ended with their notifier process`,
      outcome: 'failed',
    };
    await store.addDelivery(jobId, delivery, retention);
    await this.deadLetter(jobId);
    this.metrics.webhookDeliveries.inc({ outcome: 'failed' });
  }

  /** The callback failed for good: an operator sees it among the webhook dead letters and can redeliver it. */
  private async deadLetter(jobId: string): Promise<void> {
    await this.deps.store.transition(jobId, { from: '*', set: { callbackState: 'failed' } });
    await this.deadLetters.addWebhook(jobId, Date.now());
  }

  /** Idempotent: running deliveries finish (each is bounded by the webhook timeout). */
  close(): Promise<void> {
    this.closing ??= (this.worker?.close() ?? Promise.resolve()).then(() => this.deps.logger.info({ event: 'notifier.stopped' }, 'notifier stopped'));
    return this.closing;
  }
}


/** A failed POST's error as a short kind for the span's error.type: "timeout", "refused", or the error code before the colon. */
function failureKind(error: string): string {
  const kind = /^[A-Za-z_]+/.exec(error)?.[0];
  return kind ?? 'error';
}
