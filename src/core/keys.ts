import { batchSlotTag, jobSlotTag, slotTag } from './ids.js';

/**
 * Every Redis key and channel the gateway and the workers use, in one place.
 *
 * Slots: a target's keys share the hash tag `{<slot tag>}` (src/core/ids.ts): its BullMQ
 * queue, its jobs' records, events, attempts and deliveries, its dead-letter index and its
 * outbox, so that a job's state change and its side effects on that target are one script
 * on one Redis Cluster slot. A job id carries its target's tag, so the keys of a job follow
 * from its id alone. A tenant's keys share `{<tenant>}` (admission is one script on it).
 * Every other key is used by single-key commands only.
 */
export interface Keys {
  readonly prefix: string;
  job(id: string): string;
  /** A batch's hash (tenant, createdAt, size) and the list of its jobs' ids, on the batch's own slot. */
  batch(id: string): string;
  batchJobs(id: string): string;
  /** The batch's jobs not ended yet (the outbox relay takes each off as it ends). */
  batchPending(id: string): string;
  jobEvents(id: string): string;
  jobAttempts(id: string): string;
  jobDeliveries(id: string): string;
  webhookDeadLetters(): string;
  /** BullMQ queue name of the notifier. */
  webhookQueueName(): string;
  tenantJobs(tenant: string): string;
  /** Unfinished jobs of a tenant (for its in-flight quota). */
  tenantInFlight(tenant: string): string;
  /** A remembered Idempotency-Key (by its hash) of a tenant. */
  idempotency(tenant: string, keyHash: string): string;
  /** A tenant's request counter for the rate window that starts at `windowStartMs`. */
  tenantRate(tenant: string, windowStartMs: number): string;
  /** The dead letters of one target (sorted set id -> failure time), on the target's slot. */
  targetDeadLetters(target: string): string;
  /**
   * The target's outbox (a stream on its slot): the effects of a job's state change on other
   * slots (its tenant's in-flight set, the webhook queue), written by the same script as the
   * change and carried out by the OutboxRelay.
   */
  outbox(target: string): string;
  /** The target's circuit breaker (a hash on its slot: src/core/scripts/circuit.lua). */
  circuit(target: string): string;
  /** The target's adaptive concurrency limit (a hash on its slot: src/core/scripts/concurrency.lua). */
  concurrency(target: string): string;
  /** Base of a fair target's lanes, rings and state (src/core/scripts/fair-queue.lua), on its slot. */
  fairQueue(target: string): string;
  /** Prefix of the records of a target's jobs (a job id follows it), for scripts that read them by id. */
  targetJobPrefix(target: string): string;
  /** Heartbeats of the executors serving a target (sorted set: worker id → last seen ms). */
  workers(target: string): string;
  /** Heartbeats of the notifier processes. */
  notifiers(): string;
  /** Per-minute outcome counters for the dashboard's chart (hash: "target|outcome" → count). */
  statsMinute(minuteStartMs: number): string;
  /** The most recently finished jobs of a target, newest first (capped list). */
  targetRecent(target: string): string;
  /** Published with the job id whenever a job record changes. */
  jobChannel(): string;
  /** Published with the job id when a running job must be aborted. */
  cancelChannel(): string;
  /** BullMQ's prefix and queue name for a target. */
  bullPrefix(): string;
  queueName(target: string): string;
}

export function createKeys(prefix: string): Keys {
  return Object.freeze({
    prefix,
    job: (id: string) => `${prefix}:job:{${jobSlotTag(id)}}:${id}`,
    batch: (id: string) => `${prefix}:batch:{${batchSlotTag(id)}}:${id}`,
    batchJobs: (id: string) => `${prefix}:batch:{${batchSlotTag(id)}}:${id}:jobs`,
    batchPending: (id: string) => `${prefix}:batch:{${batchSlotTag(id)}}:${id}:pending`,
    jobEvents: (id: string) => `${prefix}:job:{${jobSlotTag(id)}}:${id}:history`,
    jobAttempts: (id: string) => `${prefix}:job:{${jobSlotTag(id)}}:${id}:attempts`,
    jobDeliveries: (id: string) => `${prefix}:job:{${jobSlotTag(id)}}:${id}:deliveries`,
    webhookDeadLetters: () => `${prefix}:webhook-dead-letters`,
    webhookQueueName: () => '{webhooks}',
    tenantJobs: (tenant: string) => `${prefix}:tenant:{${tenant}}:jobs`,
    tenantInFlight: (tenant: string) => `${prefix}:tenant:{${tenant}}:in-flight`,
    idempotency: (tenant: string, keyHash: string) => `${prefix}:tenant:{${tenant}}:idem:${keyHash}`,
    tenantRate: (tenant: string, windowStartMs: number) => `${prefix}:tenant:{${tenant}}:rate:${windowStartMs}`,
    targetDeadLetters: (target: string) => `${prefix}:target:{${slotTag(target)}}:${target}:dead-letters`,
    outbox: (target: string) => `${prefix}:target:{${slotTag(target)}}:${target}:outbox`,
    circuit: (target: string) => `${prefix}:target:{${slotTag(target)}}:${target}:circuit`,
    concurrency: (target: string) => `${prefix}:target:{${slotTag(target)}}:${target}:concurrency`,
    fairQueue: (target: string) => `${prefix}:target:{${slotTag(target)}}:${target}:fair`,
    targetJobPrefix: (target: string) => `${prefix}:job:{${slotTag(target)}}:`,
    workers: (target: string) => `${prefix}:workers:${target}`,
    notifiers: () => `${prefix}:notifiers`,
    statsMinute: (minuteStartMs: number) => `${prefix}:stats:${minuteStartMs}`,
    targetRecent: (target: string) => `${prefix}:target:${target}:recent`,
    jobChannel: () => `${prefix}:job-changed`,
    cancelChannel: () => `${prefix}:job-cancel`,
    bullPrefix: () => `${prefix}:q`,
    // BullMQ refuses ':' in a queue name; the tag first, so its keys are <prefix>:q:{tag}name:...
    queueName: (target: string) => `{${slotTag(target)}}${target}`,
  });
}
