import type { GatewayConfig } from '../config/schema.js';
import type { JobRecord } from '../core/job-record.js';
import type { Logger } from '../core/logger.js';
import type { WebhookEvent } from '../core/job-schema.js';
import { webhookMessageId } from '../core/outbox.js';
import type { WebhookQueue } from '../core/webhook-queue.js';

/**
 * Hands a finished job's webhook to the notifier's queue (the executor never delivers
 * itself, so a slow receiver cannot hold up jobs), on the target's delivery schedule. The
 * job's callback state already says `pending`: the script that ended the job wrote it.
 */
export class CallbackTrigger {
  constructor(
    private readonly config: GatewayConfig,
    private readonly queue: WebhookQueue,
    private readonly logger: Logger,
  ) {}

  /** Idempotent while the message is pending: the same end gives the same message id. */
  async send(job: Pick<JobRecord, 'id' | 'target' | 'tenant' | 'correlationId'>, event: WebhookEvent, endedAtMs: number): Promise<void> {
    const schedule = this.config.targets.get(job.target)?.webhookScheduleMs ?? this.config.webhooks.scheduleMs;
    const messageId = webhookMessageId(job.id, endedAtMs);
    await this.queue.enqueue({ jobId: job.id, event, messageId }, schedule.length, schedule[0] ?? 0);
    this.logger.info({ event: 'webhook.queued', jobId: job.id, target: job.target, tenant: job.tenant, correlationId: job.correlationId, webhookId: messageId }, 'webhook queued');
  }

  /** A completed batch's `batch.completed`, on the default schedule; a batch completes once, so its id names the message. */
  async sendBatch(batchId: string): Promise<void> {
    const schedule = this.config.webhooks.scheduleMs;
    const messageId = `msg_${batchId}`;
    await this.queue.enqueue({ batchId, event: 'batch.completed', messageId }, schedule.length, schedule[0] ?? 0);
    this.logger.info({ event: 'webhook.queued', batchId, webhookId: messageId }, 'batch webhook queued');
  }
}
