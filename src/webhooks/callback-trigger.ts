import type { GatewayConfig } from '../config/schema.js';
import type { JobRecord } from '../core/job-record.js';
import type { JobStore } from '../core/job-store.js';
import type { Logger } from '../core/logger.js';
import type { WebhookQueue } from '../core/webhook-queue.js';

const ENQUEUE_TRIES = 3;

/**
 * Called once a job reached a terminal state: hands its webhook to the notifier's
 * queue (the executor never delivers itself, so a slow receiver cannot hold up jobs),
 * or marks the callback skipped when the client did not subscribe to that event.
 */
export class CallbackTrigger {
  constructor(
    private readonly config: GatewayConfig,
    private readonly store: JobStore,
    private readonly queue: WebhookQueue,
    private readonly logger: Logger,
  ) {}

  async jobEnded(record: JobRecord, status: 'succeeded' | 'failed' | 'canceled', finishedAtMs: number): Promise<void> {
    if (!record.callback) return;
    const event = `job.${status}` as const;
    if (!record.callback.events.includes(event)) {
      await this.store.transition(record.id, { from: '*', set: { callbackState: 'skipped' } });
      return;
    }
    const schedule = this.config.targets.get(record.target)?.webhookScheduleMs ?? this.config.webhooks.scheduleMs;
    // Stable across retries of this message; a replayed job that ends again sends a new one.
    const messageId = `msg_${record.id.slice(4)}_${finishedAtMs.toString(36)}`;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.store.transition(record.id, { from: '*', set: { callbackState: 'pending' } });
        await this.queue.enqueue({ jobId: record.id, event, messageId }, schedule.length, schedule[0] ?? 0);
        this.logger.info({ event: 'webhook.queued', jobId: record.id, target: record.target, tenant: record.tenant, correlationId: record.correlationId, webhookId: messageId }, 'webhook queued');
        return;
      } catch (err) {
        if (attempt >= ENQUEUE_TRIES) {
          this.logger.error({ err, event: 'webhook.enqueue_failed', jobId: record.id, target: record.target, tenant: record.tenant, correlationId: record.correlationId }, 'could not queue the webhook');
          throw err;
        }
      }
    }
  }
}
