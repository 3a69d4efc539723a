/**
 * Every Redis key and channel the gateway and the workers use, in one place.
 * A job's keys share the hash tag `{<id>}` so the Lua transition script may touch
 * them together on Redis Cluster; each BullMQ queue lives in its own slot.
 */
export interface Keys {
  readonly prefix: string;
  job(id: string): string;
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
  deadLetters(): string;
  /** The dead letters of one target (sorted set by failure time, beside `deadLetters`). */
  targetDeadLetters(target: string): string;
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
    job: (id: string) => `${prefix}:job:{${id}}`,
    // "history", not the former "events" stream key: a rolling upgrade never meets a key of the old type.
    jobEvents: (id: string) => `${prefix}:job:{${id}}:history`,
    jobAttempts: (id: string) => `${prefix}:job:{${id}}:attempts`,
    jobDeliveries: (id: string) => `${prefix}:job:{${id}}:deliveries`,
    webhookDeadLetters: () => `${prefix}:webhook-dead-letters`,
    webhookQueueName: () => '{webhooks}',
    tenantJobs: (tenant: string) => `${prefix}:tenant:{${tenant}}:jobs`,
    tenantInFlight: (tenant: string) => `${prefix}:tenant:{${tenant}}:in-flight`,
    idempotency: (tenant: string, keyHash: string) => `${prefix}:tenant:{${tenant}}:idem:${keyHash}`,
    tenantRate: (tenant: string, windowStartMs: number) => `${prefix}:tenant:{${tenant}}:rate:${windowStartMs}`,
    deadLetters: () => `${prefix}:dead-letters`,
    targetDeadLetters: (target: string) => `${prefix}:target:${target}:dead-letters`,
    workers: (target: string) => `${prefix}:workers:${target}`,
    notifiers: () => `${prefix}:notifiers`,
    statsMinute: (minuteStartMs: number) => `${prefix}:stats:${minuteStartMs}`,
    targetRecent: (target: string) => `${prefix}:target:${target}:recent`,
    jobChannel: () => `${prefix}:job-changed`,
    cancelChannel: () => `${prefix}:job-cancel`,
    bullPrefix: () => `${prefix}:q`,
    queueName: (target: string) => `{${target}}`,
  });
}
