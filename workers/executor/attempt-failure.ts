import { ZodError } from 'zod';
import { PermanentError, RetryableError } from '../handlers/index.js';
import type { JobError } from '../../src/core/job-schema.js';

/** Why an attempt's AbortSignal fired; the reason decides what happens to the job. */
export const ABORT = {
  timeout: 'timeout',
  cancel: 'cancel',
  shutdown: 'shutdown',
  lockLost: 'lock-lost',
} as const;
export type AbortReason = (typeof ABORT)[keyof typeof ABORT];

/** Raised by the upstream caller for a non-2xx answer. */
export class UpstreamStatusError extends Error {
  readonly code = 'upstream_status';
  constructor(
    readonly status: number,
    readonly retryable: boolean,
    readonly retryAfterMs: number | undefined,
  ) {
    super(`upstream answered ${status}`);
    this.name = 'UpstreamStatusError';
  }
}

/**
 * An attempt's failure that already knows its public error: thrown by the executor's own
 * checks, reported as it is (code, message, retryable). Only this class does that; a flag
 * on some other error (a library's `permanent: true`, say) means nothing here.
 */
export class AttemptFailedError extends Error {
  constructor(
    readonly jobError: JobError,
    readonly retryAfterMs?: number,
  ) {
    super(jobError.message);
    this.name = 'AttemptFailedError';
  }
}

/** A result over the target's `maxResultBytes`. Never retried. */
export function resultTooLarge(message: string): AttemptFailedError {
  return new AttemptFailedError({ code: 'result_too_large', message, retryable: false });
}

/** Raised when the upstream's answer breaks a limit of ours (size). Never retried. */
export class UpstreamResponseError extends AttemptFailedError {
  constructor(
    readonly code: 'result_too_large',
    message: string,
  ) {
    super({ code, message, retryable: false });
    this.name = 'UpstreamResponseError';
  }
}

export interface AttemptFailure {
  error: JobError;
  retryAfterMs?: number;
}

/**
 * Turns whatever an attempt threw into the job's public error and a retry
 * decision. A pure function of the error and the abort reason.
 */
export function classifyFailure(err: unknown, abortReason: AbortReason | undefined): AttemptFailure {
  if (abortReason === ABORT.timeout) {
    return { error: { code: 'timeout', message: 'attempt timed out', retryable: true } };
  }
  if (err instanceof PermanentError) return { error: { code: err.code, message: err.message, retryable: false } };
  if (err instanceof RetryableError) {
    return {
      error: { code: err.code, message: err.message, retryable: true },
      ...(err.retryAfterMs !== undefined && { retryAfterMs: err.retryAfterMs }),
    };
  }
  if (err instanceof UpstreamStatusError) {
    return {
      error: { code: err.code, message: err.message, retryable: err.retryable },
      ...(err.retryAfterMs !== undefined && { retryAfterMs: err.retryAfterMs }),
    };
  }
  if (err instanceof AttemptFailedError) {
    return { error: { ...err.jobError }, ...(err.retryAfterMs !== undefined && { retryAfterMs: err.retryAfterMs }) };
  }
  if (err instanceof ZodError) {
    return { error: { code: 'invalid_input', message: err.issues[0]?.message ?? 'invalid input', retryable: false } };
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && isNetworkCode(code)) {
    return { error: { code: 'upstream_unreachable', message: `${code}: ${(err as Error).message}`, retryable: true } };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { error: { code: 'handler_error', message, retryable: true } };
}

/**
 * Errors of the connection rather than of our code: system errnos (ECONNREFUSED,
 * ECONNRESET, ENOTFOUND, EAI_AGAIN, ...) and HTTP parser errors (HPE_*: the upstream
 * answered something that is not HTTP). Node's own ERR_* codes are not among them: they
 * name a bug or a bad setting here, and calling that "unreachable" would mislead.
 */
function isNetworkCode(code: string): boolean {
  return /^E(?!RR_)[A-Z0-9_]+$/.test(code) || /^HPE_[A-Z_]+$/.test(code);
}
