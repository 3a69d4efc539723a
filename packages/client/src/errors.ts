import type { FieldError, JobDocument, JobError, Problem } from './types.js';

/**
 * A non-2xx answer from the gateway: its application/problem+json body, flattened.
 * `code` is the gateway's stable error code (`validation_failed`, `rate_limited`, …; the
 * table is in the gateway's README); `errors` lists each bad field as a JSON pointer.
 */
export class GatewayError extends Error {
  override name = 'GatewayError';
  /** HTTP status. */
  readonly status: number;
  /** The gateway's error code; `http_<status>` for an answer that is not a problem document (a proxy's, say). */
  readonly code: string;
  readonly title: string;
  readonly detail: string | undefined;
  /** Field errors (`path` is a JSON pointer into the request, or a parameter or header name). */
  readonly errors: FieldError[];
  /** `Retry-After` in seconds, when the answer had one. */
  readonly retryAfterSeconds: number | undefined;
  /** The request's correlation id (`requestId` of the problem, else the `X-Request-Id` header). */
  readonly requestId: string | undefined;
  /** For `job_failed`: the job's error. */
  readonly jobError: JobError | undefined;
  /** The problem document as received (null when the body was not one). */
  readonly problem: Problem | null;

  constructor(init: { status: number; problem: Problem | null; retryAfterSeconds?: number | undefined; requestId?: string | undefined; statusText?: string }) {
    const p = init.problem;
    const title = p?.title ?? init.statusText ?? `HTTP ${init.status}`;
    super(p?.detail ? `${title}: ${p.detail}` : title);
    this.status = init.status;
    this.code = p?.code ?? `http_${init.status}`;
    this.title = title;
    this.detail = p?.detail;
    this.errors = p?.errors ?? [];
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.requestId = p?.requestId ?? init.requestId;
    this.jobError = p?.jobError;
    this.problem = p;
  }
}

/** The gateway could not be reached, or the connection broke before an answer (after any retries). */
export class GatewayConnectionError extends Error {
  override name = 'GatewayConnectionError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * `job.result()` of a job that failed. Its own class, not a GatewayError: the calls
 * worked, the job did not. `code`, `message` and `retryable` are the job's `error`.
 */
export class JobFailedError extends Error {
  override name = 'JobFailedError';
  readonly jobId: string;
  /** The job's error code (`handler_failed`, `upstream_status`, `timeout`, `expired`, …). */
  readonly code: string;
  /** Whether the error was of a kind the gateway retries (the job then ran out of attempts); false for a permanent failure. */
  readonly retryable: boolean;
  /** The finished job document, when the client has it. */
  readonly job: JobDocument | undefined;

  constructor(jobId: string, error: JobError, job?: JobDocument) {
    super(error.message);
    this.jobId = jobId;
    this.code = error.code;
    this.retryable = error.retryable;
    this.job = job;
  }
}

/** `job.result()` of a job that was canceled: it has no result. */
export class JobCanceledError extends Error {
  override name = 'JobCanceledError';
  readonly jobId: string;
  readonly job: JobDocument | undefined;
  constructor(jobId: string, job?: JobDocument) {
    super(`job ${jobId} was canceled`);
    this.jobId = jobId;
    this.job = job;
  }
}

/** `job.wait({ timeoutMs })` ran out of time; `job` is the last document seen. */
export class WaitTimeoutError extends Error {
  override name = 'WaitTimeoutError';
  readonly jobId: string;
  readonly job: JobDocument | undefined;
  constructor(jobId: string, timeoutMs: number, job?: JobDocument) {
    super(`job ${jobId} did not finish within ${timeoutMs} ms${job ? ` (it is ${job.status})` : ''}`);
    this.jobId = jobId;
    this.job = job;
  }
}
