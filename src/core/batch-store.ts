import type { Result } from 'ioredis';
import { JOB_STATUSES, type CallbackState, type JobStatus } from './job-schema.js';
import type { Keys } from './keys.js';
import { sendAcrossSlots, type KeyedCommand, type RedisClient } from './redis.js';
import { luaScript } from './scripts.js';

/** src/core/scripts/batch-ended.lua: one of a batch's jobs ended (its header has KEYS, ARGV and reply). */
const BATCH_ENDED_LUA = luaScript('batch-ended');

declare module 'ioredis' {
  interface RedisCommander<Context> {
    agBatchEnded(batch: string, pending: string, jobId: string, nowMs: string): Result<number, Context>;
  }
}

/** What a batch keeps: who submitted it, when, its jobs' ids in the request's order, and its callback. */
export interface BatchRecord {
  id: string;
  tenant: string;
  correlationId: string;
  createdAtMs: number;
  jobIds: string[];
  callback: { url: string; state: CallbackState } | null;
}

const STATUSES: ReadonlySet<string> = new Set(JOB_STATUSES);

/**
 * Batches in Redis: a hash, the list of its job ids and the set of those not ended yet, on
 * the batch's own slot (its id's tag), written together in one MULTI. The jobs themselves
 * are ordinary jobs, each on its target's slot; each one's end takes it off the pending set
 * (through its target's outbox), and the document is read from their records' statuses.
 */
export class BatchStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {
    redis.defineCommand('agBatchEnded', { numberOfKeys: 2, lua: BATCH_ENDED_LUA });
  }

  /** `ttlMs`: the batch outlives the longest any of its jobs' records can (the caller works it out). */
  async create(batch: BatchRecord, ttlMs: number): Promise<void> {
    const { keys } = this;
    const fields = ['tenant', batch.tenant, 'correlationId', batch.correlationId, 'createdAt', String(batch.createdAtMs), 'total', String(batch.jobIds.length)];
    if (batch.callback) fields.push('callback', batch.callback.url, 'callbackState', batch.callback.state);
    await this.redis
      .multi()
      .hset(keys.batch(batch.id), ...fields)
      .rpush(keys.batchJobs(batch.id), ...batch.jobIds)
      .sadd(keys.batchPending(batch.id), ...batch.jobIds)
      .pexpire(keys.batch(batch.id), ttlMs)
      .pexpire(keys.batchJobs(batch.id), ttlMs)
      .pexpire(keys.batchPending(batch.id), ttlMs)
      .exec();
  }

  async get(id: string): Promise<BatchRecord | null> {
    const [h, jobIds] = await Promise.all([this.redis.hgetall(this.keys.batch(id)), this.redis.lrange(this.keys.batchJobs(id), 0, -1)]);
    if (!h.tenant) return null;
    return {
      id,
      tenant: h.tenant,
      correlationId: h.correlationId ?? '',
      createdAtMs: Number(h.createdAt),
      jobIds,
      callback: h.callback ? { url: h.callback, state: (h.callbackState ?? 'pending') as CallbackState } : null,
    };
  }

  async delete(id: string): Promise<void> {
    const { keys } = this;
    await Promise.all([this.redis.del(keys.batch(id)), this.redis.del(keys.batchJobs(id)), this.redis.del(keys.batchPending(id))]);
  }

  /** Each job's status (one field of its record, across its slots); null for a record that is gone. */
  async statuses(jobIds: readonly string[]): Promise<(JobStatus | null)[]> {
    const replies = await sendAcrossSlots(this.redis, jobIds.map((id): KeyedCommand => ['hget', this.keys.job(id), 'status']));
    return replies.map(([err, status]) => {
      if (err) throw err;
      return typeof status === 'string' && STATUSES.has(status) ? (status as JobStatus) : null;
    });
  }

  /** A job of the batch ended; true when that completed the batch and its webhook is still to be queued. */
  async jobEnded(batchId: string, jobId: string, nowMs: number): Promise<boolean> {
    return (await this.redis.agBatchEnded(this.keys.batch(batchId), this.keys.batchPending(batchId), jobId, String(nowMs))) === 1;
  }

  /** The batch's webhook is in the notifier's queue: a later carrying-out of an end does not queue it again. */
  async callbackQueued(batchId: string): Promise<void> {
    await this.redis.hset(this.keys.batch(batchId), 'callbackQueued', '1');
  }

  async setCallbackState(batchId: string, state: CallbackState): Promise<void> {
    // Only a batch that still exists: a late delivery must not recreate an expired one.
    if (await this.redis.exists(this.keys.batch(batchId))) await this.redis.hset(this.keys.batch(batchId), 'callbackState', state);
  }
}
