import { Queue } from 'bullmq';
import type { RedisClient } from './redis.js';
import type { WebhookEvent } from './job-schema.js';
import type { Keys } from './keys.js';

/** Name of the backoff strategy notifiers register; the delay comes from the delivery schedule. */
export const WEBHOOK_BACKOFF = 'webhook-schedule';

/** One webhook message: a job's terminal event. `messageId` is the stable `webhook-id`. */
/** A job's webhook, or (with `batchId`) a batch's `batch.completed`. */
export type WebhookMessage = { jobId: string; event: WebhookEvent; messageId: string } | { batchId: string; event: 'batch.completed'; messageId: string };

/** The notifier's queue, on the producer side (executors and the gateway enqueue into it). */
export class WebhookQueue {
  private readonly queue: Queue<WebhookMessage>;

  constructor(connection: RedisClient, keys: Keys) {
    this.queue = new Queue<WebhookMessage>(keys.webhookQueueName(), { connection, prefix: keys.bullPrefix() });
    this.queue.on('error', () => undefined);
  }

  /** Idempotent per message: a second enqueue of the same message while it is pending is ignored. */
  async enqueue(message: WebhookMessage, attempts: number, firstDelayMs: number): Promise<void> {
    await this.queue.add('deliver', message, {
      jobId: message.messageId,
      attempts,
      delay: firstDelayMs,
      backoff: { type: WEBHOOK_BACKOFF },
      removeOnComplete: true,
      removeOnFail: true,
    });
  }

  async counts(): Promise<{ waiting: number; delayed: number; active: number }> {
    const c = await this.queue.getJobCounts('waiting', 'delayed', 'active');
    return { waiting: c.waiting ?? 0, delayed: c.delayed ?? 0, active: c.active ?? 0 };
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
