import type { components } from './generated/openapi.js';

type Schemas = components['schemas'];

/** The body of `POST /v1/jobs`. */
export type SubmitRequest = Schemas['SubmitRequest'];
/** The job document: what every job call answers, and what webhooks and terminal events carry. */
export type JobDocument = Schemas['JobDocument'];
export type JobStatus = Schemas['JobStatus'];
/** A failed job's `error`. */
export type JobError = Schemas['JobError'];
/** The body of `POST /v1/batches`. */
export type BatchRequest = Schemas['BatchRequest'];
/** A batch: its jobs in order, counted by status (`POST /v1/batches`, `GET /v1/batches/{id}`). */
export type BatchDocument = Schemas['BatchDocument'];
/** A page of `GET /v1/jobs`. */
export type JobPage = Schemas['JobList'];
/** An application/problem+json body. */
export type Problem = Schemas['Problem'];
/** One webhook delivery attempt (`GET /v1/jobs/{id}/deliveries`). */
export type Delivery = Schemas['Delivery'];
export type FieldError = NonNullable<Problem['errors']>[number];

export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'canceled'];
export const isTerminal = (status: JobStatus): boolean => TERMINAL_STATUSES.includes(status);

/** The event type of a webhook (`type` of its payload). */
export type WebhookEventType = 'job.succeeded' | 'job.failed' | 'job.canceled';

/** A verified webhook payload. */
export interface WebhookEvent {
  type: WebhookEventType;
  /** When the event was signed (RFC 3339). */
  timestamp: string;
  /** The finished job. */
  data: JobDocument;
}

/** A status change from `GET /v1/jobs/{id}/events`; a retry shows as `queued` with the error and the delay. */
export interface JobStatusEvent {
  type: 'status';
  /** The event's id (the job's event sequence number), or null for a terminal event rebuilt from the record. */
  id: string | null;
  status: JobStatus;
  attempt?: number;
  at: string;
  error?: JobError;
  retryDelayMs?: number;
  /** True for the last event: succeeded, failed or canceled. */
  terminal: boolean;
  /** The finished job document, on the terminal event. */
  job?: JobDocument;
}

export interface JobProgressEvent {
  type: 'progress';
  id: string | null;
  progress: JobDocument['progress'];
  attempt?: number;
  at: string;
}

export type JobEvent = JobStatusEvent | JobProgressEvent;
