/**
 * Thrown by a handler to fail its job at once, skipping any remaining retries
 * (bad input that no retry will fix, a refused operation, ...).
 */
export class PermanentError extends Error {
  readonly code: string;
  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'PermanentError';
    this.code = options.code ?? 'permanent_error';
  }
}

/** Thrown by a handler to ask for a retry no sooner than `retryAfterMs`. */
export class RetryableError extends Error {
  readonly code: string;
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    options: { code?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'RetryableError';
    this.code = options.code ?? 'retryable_error';
  }
}
