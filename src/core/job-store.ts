import type { Result } from 'ioredis';
import type { Keys } from './keys.js';
import { issueTogether, sendAcrossSlots, type KeyedCommand, type RedisClient } from './redis.js';
import { luaScript } from './scripts.js';
import type { OutboxEntry } from './outbox.js';
import type { Delivery, JobStatus } from './job-schema.js';
import {
  decodeRecord,
  encodePatch,
  encodeRecord,
  type Attempt,
  type JobEvent,
  type JobRecord,
  type RecordPatch,
} from './job-record.js';

/** Events kept per job (status changes and progress); older ones are trimmed. */
export const MAX_EVENTS_PER_JOB = 200;

/** A guarded state change of one job: src/core/scripts/transition.lua (KEYS, ARGV and reply in its header). */
const TRANSITION_LUA = luaScript('transition');
/** The common start of an attempt: src/core/scripts/start-attempt.lua. */
const START_ATTEMPT_LUA = luaScript('start-attempt');

/**
 * A record and its first event, unless the record exists: a route's chain step, which any
 * gateway moving the route may create, and a move carried out twice must not create twice.
 */
const CREATE_IF_ABSENT_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('RPUSH', KEYS[2], ARGV[1])
return 1`;

type TransitionReply = [number, string, string?];

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** numberOfKeys first: 3, or 5 with the target's dead-letter index and outbox. */
    agTransition(numberOfKeys: number, ...keysAndArgs: string[]): Result<TransitionReply, Context>;
    agStartAttempt(record: string, events: string, outbox: string, ...args: string[]): Result<string[], Context>;
    agCreateIfAbsent(record: string, events: string, ...args: string[]): Result<number, Context>;
  }
}

export interface Transition {
  /** Statuses the job may be in for the change to apply. */
  from: readonly JobStatus[] | '*';
  set: RecordPatch;
  event?: JobEvent;
  attempt?: Attempt;
  /** Expire the job's keys after this long (finished jobs); 'persist' keeps them (dead letters). */
  expire?: number | 'persist';
  /** Written by the same script, on the job's target's slot, only when the change applies. */
  effects?: TransitionEffects;
}

export interface TransitionEffects {
  /** The job's target (whose slot the dead-letter index and the outbox are on). */
  target: string;
  /** Index the job among the target's dead letters with this score, or take it out. */
  deadLetter?: number | 'remove';
  /** The effects on other slots, for the OutboxRelay. */
  outbox?: OutboxEntry;
}

export interface TransitionResult {
  applied: boolean;
  /** Status before the change; null when the job does not exist. */
  previous: JobStatus | null;
}

export interface StoredEvent {
  id: string;
  event: JobEvent;
}

export class JobStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {
    // Redefining on a shared connection is harmless: ioredis caches the script by its SHA.
    redis.defineCommand('agTransition', { lua: TRANSITION_LUA });
    redis.defineCommand('agStartAttempt', { numberOfKeys: 3, lua: START_ATTEMPT_LUA });
    redis.defineCommand('agCreateIfAbsent', { numberOfKeys: 2, lua: CREATE_IF_ABSENT_LUA });
  }

  /**
   * Stores a new record and its first event: two commands sent in one write
   * (issueTogether), one round trip, beside the queue entry (JobService). Its tenant-index
   * entry and in-flight slot were written at admission (TenantAdmission). Not a
   * transaction: nothing reads a job before it is enqueued, and a submit that fails
   * half-way deletes what it wrote (JobService).
   */
  create(record: JobRecord): Promise<unknown[]> {
    const { keys, redis } = this;
    const event: JobEvent = { type: 'status', status: record.status, at: record.createdAtMs, attempt: 0 };
    return Promise.all(
      issueTogether(redis, () => [redis.hset(keys.job(record.id), encodeRecord(record)), redis.rpush(keys.jobEvents(record.id), `1 ${JSON.stringify(event)}`)]),
    );
  }

  /** Stores a new record and its first event unless the record exists (see CREATE_IF_ABSENT_LUA); true when this call stored it. */
  async createIfAbsent(record: JobRecord): Promise<boolean> {
    const event: JobEvent = { type: 'status', status: record.status, at: record.createdAtMs, attempt: 0 };
    const fields = Object.entries(encodeRecord(record)).flat();
    return (await this.redis.agCreateIfAbsent(this.keys.job(record.id), this.keys.jobEvents(record.id), `1 ${JSON.stringify(event)}`, ...fields)) === 1;
  }

  /**
   * Removes every trace of a job (used when its enqueue failed, and by purge): one command
   * per slot (the job's keys and its dead-letter entry on the target's, the tenant's sets on
   * the tenant's, the webhook dead letters on theirs), leaving in one write.
   */
  async delete(record: Pick<JobRecord, 'id' | 'tenant' | 'target'>): Promise<void> {
    const { keys, redis } = this;
    const id = record.id;
    await Promise.all(
      issueTogether(redis, () => [
        redis.del(keys.job(id), keys.jobEvents(id), keys.jobAttempts(id), keys.jobDeliveries(id)),
        redis.zrem(keys.targetDeadLetters(record.target), id),
        redis.zrem(keys.tenantJobs(record.tenant), id),
        redis.zrem(keys.tenantInFlight(record.tenant), id),
        redis.zrem(keys.webhookDeadLetters(), id),
      ]),
    );
  }

  /**
   * Starts the next attempt of a plainly queued job in one script (start-attempt.lua) and
   * returns the record as it was before; null when nothing changed because the job needs a
   * decision first (missing, running after a lost attempt, canceled, cancel requested, or
   * a first attempt past its expiry). The executor's common path: one round trip, no read.
   * A route's step's first attempt also tells its route, through `target`'s outbox.
   */
  async startIfQueued(id: string, target: string, nowMs: number): Promise<JobRecord | null> {
    const { keys } = this;
    const flat = await this.redis.agStartAttempt(keys.job(id), keys.jobEvents(id), keys.outbox(target), String(nowMs), keys.jobChannel(), id, String(MAX_EVENTS_PER_JOB));
    if (flat.length === 0) return null;
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
    return decodeRecord(fields, id);
  }

  async get(id: string): Promise<JobRecord | null> {
    return decodeRecord(await this.redis.hgetall(this.keys.job(id)), id);
  }

  async getMany(ids: readonly string[]): Promise<(JobRecord | null)[]> {
    if (ids.length === 0) return [];
    const replies = await sendAcrossSlots(this.redis, ids.map((id): KeyedCommand => ['hgetall', this.keys.job(id)]));
    return replies.map(([err, h], i) => {
      if (err) throw err;
      return decodeRecord(h as Record<string, string>, ids[i]!);
    });
  }

  async transition(id: string, t: Transition): Promise<TransitionResult> {
    const { keys } = this;
    const allowed = t.from === '*' ? '*' : `,${t.from.join(',')},`;
    const ttl = t.expire === undefined ? '0' : t.expire === 'persist' ? '-1' : String(t.expire);
    const fx = t.effects;
    const jobKeys = [keys.job(id), keys.jobEvents(id), keys.jobAttempts(id)];
    const [applied, previous] = await this.redis.agTransition(
      fx ? 5 : 3,
      ...jobKeys,
      ...(fx ? [keys.targetDeadLetters(fx.target), keys.outbox(fx.target)] : []),
      allowed,
      keys.jobChannel(),
      id,
      t.event ? JSON.stringify(t.event) : '',
      ttl,
      t.attempt ? JSON.stringify(t.attempt) : '',
      String(MAX_EVENTS_PER_JOB),
      fx?.deadLetter === undefined ? '' : fx.deadLetter === 'remove' ? '-' : String(fx.deadLetter),
      fx?.outbox ? JSON.stringify(fx.outbox) : '',
      ...encodePatch(t.set),
    );
    return { applied: applied === 1, previous: previous === '' ? null : (previous as JobStatus) };
  }

  /** Flags a running job for cancel and tells every executor; the one running it aborts it. */
  async requestCancel(id: string): Promise<boolean> {
    const result = await this.transition(id, { from: ['running'], set: { cancelRequested: true } });
    if (result.applied) await this.redis.publish(this.keys.cancelChannel(), id);
    return result.applied;
  }

  /** Appends one webhook delivery attempt; the list expires with the job. */
  async addDelivery(id: string, delivery: Delivery, ttlMs: number | 'persist'): Promise<void> {
    const { redis } = this;
    const key = this.keys.jobDeliveries(id);
    await Promise.all(issueTogether(redis, () => [redis.rpush(key, JSON.stringify(delivery)), ttlMs === 'persist' ? redis.persist(key) : redis.pexpire(key, ttlMs)]));
  }

  async deliveries(id: string): Promise<Delivery[]> {
    const raw = await this.redis.lrange(this.keys.jobDeliveries(id), 0, -1);
    return raw.map((d) => JSON.parse(d) as Delivery);
  }

  async attempts(id: string): Promise<Attempt[]> {
    const raw = await this.redis.lrange(this.keys.jobAttempts(id), 0, -1);
    return raw.map((a) => JSON.parse(a) as Attempt);
  }

  /** Events after sequence number `afterId` (exclusive), oldest first. */
  async eventsAfter(id: string, afterId: string | null, count = 100): Promise<StoredEvent[]> {
    const after = afterId === null ? 0 : Number(afterId);
    // The list holds at most MAX_EVENTS_PER_JOB short entries: reading it whole is one round trip.
    const entries = await this.redis.lrange(this.keys.jobEvents(id), 0, -1);
    const out: StoredEvent[] = [];
    for (const entry of entries) {
      const space = entry.indexOf(' ');
      const seq = Number(entry.slice(0, space));
      if (!(seq > after)) continue;
      out.push({ id: String(seq), event: JSON.parse(entry.slice(space + 1)) as JobEvent });
      if (out.length >= count) break;
    }
    return out;
  }

  /**
   * Each job's newest event entry, or null when it has none (gone): a cheap version that
   * moves with every change, for the waiters' safety sweep. One pipelined round trip.
   */
  async eventVersions(ids: readonly string[]): Promise<(string | null)[]> {
    const replies = await sendAcrossSlots(this.redis, ids.map((id): KeyedCommand => ['lindex', this.keys.jobEvents(id), -1]));
    return replies.map(([err, value]) => (err ? null : (value as string | null)));
  }
}
