import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { buildConfig } from '../../src/config/load-config.js';
import type { Target } from '../../src/config/schema.js';
import type { QueuedJobData } from '../../src/core/job-queues.js';
import type { JobRecord } from '../../src/core/job-record.js';
import { DeadLetterIndex } from '../../src/core/dead-letter-index.js';
import { JobStore } from '../../src/core/job-store.js';
import { OutboxEntrySchema } from '../../src/core/outbox.js';
import { createKeys, type Keys } from '../../src/core/keys.js';
import { createLogger } from '../../src/core/logger.js';
import { ABORT } from '../../workers/executor/attempt-failure.js';
import { createProcessor, RetryLaterError } from '../../workers/executor/process-job.js';
import { defineHandler, handlerNames, PermanentError, RetryableError, type Handler } from '../../workers/handlers/index.js';
import { LogSink, testConfigDoc } from '../support/test-stack.js';
import { queuedRecord } from '../support/job-record.js';

/**
 * The processor's decision table, run for real (a JobStore and BullMQ Job objects on the
 * test Redis) through its `now` and `random` seams: the clock stands still at T and the
 * jitter draw is always 0.5, so every delay and timestamp below is exact.
 */
const T = 1_700_000_000_000;
const RANDOM = 0.5;

/** What the probe handler does, by input. */
const Probe = z.strictObject({
  do: z.enum(['succeed', 'retryable', 'permanent', 'tagged', 'big', 'hang']),
  retryAfterMs: z.number().optional(),
});
const probe = defineHandler({
  name: 'probe',
  input: Probe,
  async run(input, ctx) {
    switch (input.do) {
      case 'succeed':
        return { ok: true };
      case 'retryable':
        throw new RetryableError('try again', input.retryAfterMs, { code: 'busy' });
      case 'permanent':
        throw new PermanentError('no such thing', { code: 'not_found' });
      case 'tagged':
        // A library's error that happens to carry a `permanent` flag: not ours to read.
        throw Object.assign(new Error('quota of the other side'), { permanent: true });
      case 'big':
        return { blob: 'x'.repeat(500) };
      case 'hang':
        return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
    }
  },
});
const handlers = new Map<string, Handler>([['probe', probe as unknown as Handler]]);

const config = buildConfig(
  testConfigDoc({
    targets: {
      probe: { kind: 'handler', handler: 'probe', attempts: 3, maxResultBytes: 200, backoff: { initialDelayMs: 1_000, multiplier: 2, maxDelayMs: 10_000, jitter: 0.5 } },
      slow: { kind: 'handler', handler: 'probe', attempts: 3, timeoutMs: 50, backoff: { initialDelayMs: 1_000, multiplier: 2, maxDelayMs: 10_000, jitter: 0.5 } },
    },
  }),
  [...handlerNames, 'probe'],
  'process-job test',
);

interface Case {
  name: string;
  target?: string;
  record?: Partial<JobRecord>;
  input: z.infer<typeof Probe>;
  /** Abort the attempt through BullMQ's signal with this reason. */
  abort?: string;
  status: JobRecord['status'];
  /** Thrown to BullMQ: the retry delay, or a hand-back. */
  retryDelayMs?: number;
  errorCode?: string | null;
  deadLettered?: boolean;
  /** Outcomes of the attempt entries written, in order. */
  outcomes: string[];
  /** The terminal webhook hook ran with this status. */
  ended?: 'succeeded' | 'failed' | 'canceled';
}

const CASES: Case[] = [
  { name: 'success', input: { do: 'succeed' }, status: 'succeeded', errorCode: null, outcomes: ['succeeded'], ended: 'succeeded' },
  { name: 'retryable failure, first attempt: backoff 1000 ms less half the jitter', input: { do: 'retryable' }, status: 'queued', retryDelayMs: 750, errorCode: 'busy', outcomes: ['failed'] },
  { name: 'retryable failure, second attempt: doubled', record: { attempts: 1 }, input: { do: 'retryable' }, status: 'queued', retryDelayMs: 1_500, errorCode: 'busy', outcomes: ['failed'] },
  { name: 'retryable failure with a longer Retry-After', input: { do: 'retryable', retryAfterMs: 5_000 }, status: 'queued', retryDelayMs: 5_000, errorCode: 'busy', outcomes: ['failed'] },
  { name: 'retryable failure on the last attempt: dead letter', record: { attempts: 2 }, input: { do: 'retryable' }, status: 'failed', errorCode: 'busy', deadLettered: true, outcomes: ['failed'], ended: 'failed' },
  { name: 'permanent failure: dead letter at once, with its own code', input: { do: 'permanent' }, status: 'failed', errorCode: 'not_found', deadLettered: true, outcomes: ['failed'], ended: 'failed' },
  { name: 'an error tagged `permanent` keeps its real code (handler_error) and is retried', input: { do: 'tagged' }, status: 'queued', retryDelayMs: 750, errorCode: 'handler_error', outcomes: ['failed'] },
  { name: 'a result over maxResultBytes: result_too_large, dead letter', input: { do: 'big' }, status: 'failed', errorCode: 'result_too_large', deadLettered: true, outcomes: ['failed'], ended: 'failed' },
  { name: 'timeout: retried with code timeout', target: 'slow', input: { do: 'hang' }, status: 'queued', retryDelayMs: 750, errorCode: 'timeout', outcomes: ['failed'] },
  { name: 'canceled while running', input: { do: 'hang' }, abort: ABORT.cancel, status: 'canceled', outcomes: ['canceled'], ended: 'canceled' },
  { name: 'cancel requested before the attempt started', record: { cancelRequested: true }, input: { do: 'succeed' }, status: 'canceled', outcomes: [], ended: 'canceled' },
  { name: 'expired before its first attempt: failed, not a dead letter', record: { expiresAtMs: T - 1 }, input: { do: 'succeed' }, status: 'failed', errorCode: 'expired', deadLettered: false, outcomes: [], ended: 'failed' },
  { name: 'a retry is never expired', record: { attempts: 1, expiresAtMs: T - 1 }, input: { do: 'succeed' }, status: 'succeeded', outcomes: ['succeeded'], ended: 'succeeded' },
  { name: 'lost previous attempt: logged worker_lost, then run', record: { status: 'running', attempts: 1 }, input: { do: 'succeed' }, status: 'succeeded', outcomes: ['lost', 'succeeded'], ended: 'succeeded' },
  { name: 'lost last attempt: worker_lost dead letter', record: { status: 'running', attempts: 3 }, input: { do: 'succeed' }, status: 'failed', errorCode: 'worker_lost', deadLettered: true, outcomes: ['lost'], ended: 'failed' },
  { name: 'lost attempt of a job whose cancel was requested: canceled', record: { status: 'running', attempts: 1, cancelRequested: true }, input: { do: 'succeed' }, status: 'canceled', outcomes: ['lost'], ended: 'canceled' },
  { name: 'already finished (a duplicate queue entry): left alone', record: { status: 'succeeded', attempts: 1 }, input: { do: 'succeed' }, status: 'succeeded', outcomes: [] },
];

describe('the processor decision table', () => {
  let redis: Redis;
  let keys: Keys;
  let store: JobStore;
  const queues = new Map<string, Queue<QueuedJobData>>();
  beforeAll(() => {
    redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    keys = createKeys(config.server.keyPrefix);
    store = new JobStore(redis, keys);
    for (const name of config.targets.keys()) queues.set(name, new Queue<QueuedJobData>(keys.queueName(name), { connection: redis, prefix: keys.bullPrefix() }));
  });
  afterAll(async () => {
    await Promise.all([...queues.values()].map((q) => q.close()));
    const left = await redis.keys(`${keys.prefix}:*`);
    // One DEL per key: the test Redis is slot-checked, and the keys live in different slots.
    await Promise.all(left.map((k) => redis.del(k)));
    redis.disconnect();
  });

  it.each(CASES)('$name', async (c) => {
    const target = config.targets.get(c.target ?? 'probe') as Target;
    const record = queuedRecord(T, { target: target.name, maxAttempts: target.attempts, correlationId: 'corr', payload: { kind: 'input', input: c.input }, ...c.record });
    await store.create(record);
    const kicks: string[] = [];
    const processJob = createProcessor(target, {
      store,
      logger: createLogger({ level: 'debug', name: 'test' }, new LogSink()),
      outboxWritten: (t) => kicks.push(t),
      now: () => T,
      random: () => RANDOM,
      handlers,
    });
    const job = new Job<QueuedJobData>(queues.get(target.name)!, 'run', { id: record.id }, {}, record.id);
    const bull = new AbortController();
    if (c.abort) setTimeout(() => bull.abort(c.abort), 20);

    const thrown = await processJob(job, undefined, bull.signal).then(
      () => null,
      (err: unknown) => err,
    );

    if (c.retryDelayMs === undefined) expect(thrown).toBeNull();
    else {
      expect(thrown).toBeInstanceOf(RetryLaterError);
      expect((thrown as RetryLaterError).delayMs).toBe(c.retryDelayMs);
    }
    const after = (await store.get(record.id))!;
    expect(after.status).toBe(c.status);
    if (c.errorCode !== undefined) expect(after.error?.code ?? null).toBe(c.errorCode);
    if (c.deadLettered !== undefined) {
      expect(after.deadLettered).toBe(c.deadLettered);
      expect(await new DeadLetterIndex(redis, keys).isJobDeadLetter(record)).toBe(c.deadLettered);
    }
    if (c.retryDelayMs !== undefined) expect(after.runAtMs).toBe(T + c.retryDelayMs);
    if (c.ended) expect(after.finishedAtMs).toBe(T);
    const attempts = await store.attempts(record.id);
    expect(attempts.map((a) => a.outcome)).toEqual(c.outcomes);
    if (c.outcomes[0] === 'lost') expect(attempts[0]).toMatchObject({ attempt: record.attempts, error: { code: 'worker_lost' }, finishedAt: new Date(T).toISOString() });
    // An end writes one outbox entry in the same script (the in-flight release and the
    // webhook for the relay), and tells the relay once.
    const outbox = (await redis.xrange(keys.outbox(target.name), '-', '+'))
      .map(([, fields]) => OutboxEntrySchema.parse(JSON.parse(fields[1]!)))
      .filter((e) => e.id === record.id);
    expect(outbox.map((e) => e.kind === 'ended' && e.status)).toEqual(c.ended ? [c.ended] : []);
    expect(kicks).toEqual(c.ended ? [target.name] : []);
  });
});
