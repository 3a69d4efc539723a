import { JOB_STATUSES, type JobStatus } from './job-schema.js';
import type { Keys } from './keys.js';
import { sendAcrossSlots, type KeyedCommand, type RedisClient } from './redis.js';

/** What a batch keeps: who submitted it, when, and its jobs' ids in the request's order. */
export interface BatchRecord {
  id: string;
  tenant: string;
  createdAtMs: number;
  jobIds: string[];
}

const STATUSES: ReadonlySet<string> = new Set(JOB_STATUSES);

/**
 * Batches in Redis: a hash and a list of job ids on the batch's own slot (its id's tag),
 * written together in one MULTI. The jobs themselves are ordinary jobs, each on its target's
 * slot; a batch's progress is read from their records' statuses.
 */
export class BatchStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  /** `ttlMs`: the batch outlives the longest any of its jobs' records can (the caller works it out). */
  async create(batch: BatchRecord, ttlMs: number): Promise<void> {
    const { keys } = this;
    await this.redis
      .multi()
      .hset(keys.batch(batch.id), 'tenant', batch.tenant, 'createdAt', String(batch.createdAtMs), 'total', String(batch.jobIds.length))
      .rpush(keys.batchJobs(batch.id), ...batch.jobIds)
      .pexpire(keys.batch(batch.id), ttlMs)
      .pexpire(keys.batchJobs(batch.id), ttlMs)
      .exec();
  }

  async get(id: string): Promise<BatchRecord | null> {
    const [h, jobIds] = await Promise.all([this.redis.hgetall(this.keys.batch(id)), this.redis.lrange(this.keys.batchJobs(id), 0, -1)]);
    if (!h.tenant) return null;
    return { id, tenant: h.tenant, createdAtMs: Number(h.createdAt), jobIds };
  }

  async delete(id: string): Promise<void> {
    await Promise.all([this.redis.del(this.keys.batch(id)), this.redis.del(this.keys.batchJobs(id))]);
  }

  /** Each job's status (one field of its record, across its slots); null for a record that is gone. */
  async statuses(jobIds: readonly string[]): Promise<(JobStatus | null)[]> {
    const replies = await sendAcrossSlots(this.redis, jobIds.map((id): KeyedCommand => ['hget', this.keys.job(id), 'status']));
    return replies.map(([err, status]) => {
      if (err) throw err;
      return typeof status === 'string' && STATUSES.has(status) ? (status as JobStatus) : null;
    });
  }
}
