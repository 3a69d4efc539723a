import type { Attempt, JobError, JobStatus, WebhookEvent } from './job-schema.js';
import type { JobRecord } from './job-record.js';
import type { JobStore, Transition, TransitionResult } from './job-store.js';

export type EndStatus = 'succeeded' | 'failed' | 'canceled';

/** How a job ends. */
export interface JobEnd {
  status: EndStatus;
  /** The finish time (`finishedAt`, the event's time, the dead letter's score). */
  at: number;
  /** The statuses it may end from: queued and running unless said otherwise. */
  from?: readonly JobStatus[];
  resultJson?: string;
  error?: JobError | null;
  /** Kept (no expiry) and indexed among the dead letters. */
  deadLetter?: boolean;
  /** The attempt that ended with the job, for its history. */
  attempt?: Attempt | null;
  /**
   * Whether to append the status event (default). Off where the append itself may be what
   * broke (a job BullMQ gave up on), or where the end restores an earlier one.
   */
  event?: boolean;
  /** Whether the end sends the job's webhook (default); off where it restores an earlier end. */
  notify?: boolean;
  /** How long a finished job's keys stay; a dead letter's stay until replayed or purged. */
  retentionMs: number;
}

/** Who hears of a job's end once it is stored. Neither may fail the end. */
export interface EndListeners {
  /** Metrics and the dashboard's activity series (`expired` for a job that waited too long). */
  observer?: { finished(record: Pick<JobRecord, 'id' | 'target'>, outcome: EndStatus | 'expired', atMs: number, deadLettered: boolean): void };
  /** Told that the target's outbox has a new entry: the OutboxRelay's kick, so effects follow at once. */
  outboxWritten?: (target: string) => void;
}

/** `ended`: this call ended the job. Else `previous` says where it was instead. */
export type EndResult = { ended: boolean; previous: JobStatus | null };

/**
 * The guarded transition that ends a job, the one place its fields are spelled: the record,
 * its event and attempt, its dead-letter index entry and, in its target's outbox, the
 * release of its tenant's in-flight slot and its webhook, all in one script (the job's
 * callback state says `pending` or `skipped` from the same write).
 */
export function endTransition(record: Pick<JobRecord, 'id' | 'tenant' | 'target' | 'callback' | 'correlationId' | 'batch' | 'parent'>, end: JobEnd): Transition {
  const deadLetter = end.deadLetter === true;
  const notify = end.notify !== false && record.callback !== null;
  const event: WebhookEvent = `job.${end.status}`;
  const webhook = notify && record.callback!.events.includes(event);
  return {
    from: end.from ?? ['queued', 'running'],
    set: {
      status: end.status,
      finishedAtMs: end.at,
      runAtMs: null,
      deadLettered: deadLetter,
      ...(end.resultJson !== undefined && { resultJson: end.resultJson }),
      ...(end.error !== undefined && { error: end.error }),
      ...(end.status === 'succeeded' && { error: null }),
      ...(notify && { callbackState: webhook ? 'pending' : 'skipped' }),
    },
    ...(end.event !== false && { event: { type: 'status', status: end.status, at: end.at, ...(end.error && { error: end.error }) } }),
    ...(end.attempt && { attempt: end.attempt }),
    expire: deadLetter ? 'persist' : end.retentionMs,
    effects: {
      target: record.target,
      ...(deadLetter && { deadLetter: end.at }),
      outbox: { kind: 'ended', id: record.id, tenant: record.tenant, status: end.status, at: end.at, correlationId: record.correlationId, ...(webhook && { webhook: event }), ...(record.batch && { batch: record.batch }), ...(record.parent && { parent: record.parent }) },
    },
  };
}

/**
 * "A job ended", written once for the executor (an attempt's outcome, expiry, a lost
 * worker), its recovery of jobs BullMQ gave up on, the gateway's cancel of a queued job
 * and an admin replay that puts a dead letter back: one script (endTransition), then the
 * listeners. Returns a function that a caller that must see it through (RetryUntilDone)
 * calls again after a failure: it writes the end only until it has once been answered;
 * `ended` is false when the transition was refused (the job had moved on: someone else
 * ended it, or it was not in a `from` status).
 */
export function jobEnding(store: JobStore, record: JobRecord, end: JobEnd, listeners: EndListeners = {}): () => Promise<EndResult> {
  let result: TransitionResult | null = null;
  return async () => {
    if (result === null) {
      result = await store.transition(record.id, endTransition(record, end));
      if (result.applied) {
        listeners.outboxWritten?.(record.target);
        listeners.observer?.finished(record, end.error?.code === 'expired' ? 'expired' : end.status, end.at, end.deadLetter === true);
      }
    }
    return { ended: result.applied, previous: result.previous };
  };
}

/** Ends a job once (see jobEnding). */
export function finishJob(store: JobStore, record: JobRecord, end: JobEnd, listeners: EndListeners = {}): Promise<EndResult> {
  return jobEnding(store, record, end, listeners)();
}
