/**
 * The error catalogue: every public error the gateway answers with, by stable code.
 * The error handler turns an ApiError into application/problem+json; a test checks
 * that openapi.yaml lists the same codes. Never branch on message text.
 */
export const ERROR_CATALOGUE = {
  malformed_json: { status: 400, title: 'Malformed JSON body' },
  malformed_request: { status: 400, title: 'Malformed HTTP request' },
  malformed_body: { status: 400, title: 'Body does not decode with its Content-Encoding' },
  invalid_parameter: { status: 400, title: 'Invalid query or path parameter' },
  wrong_target_kind: { status: 400, title: 'Target does not accept this kind of request' },
  invalid_idempotency_key: { status: 400, title: 'Invalid Idempotency-Key header' },
  unauthorized: { status: 401, title: 'Missing or invalid API key' },
  forbidden: { status: 403, title: 'The API key lacks the role for this call' },
  route_not_found: { status: 404, title: 'No such route' },
  job_not_found: { status: 404, title: 'No such job' },
  batch_not_found: { status: 404, title: 'No such batch' },
  target_not_found: { status: 404, title: 'No such target' },
  dead_letter_not_found: { status: 404, title: 'No such dead letter' },
  job_not_finished: { status: 409, title: 'Job has not finished' },
  job_failed: { status: 409, title: 'Job failed' },
  job_canceled: { status: 409, title: 'Job was canceled' },
  job_already_finished: { status: 409, title: 'Job has already finished' },
  no_circuit_breaker: { status: 409, title: 'Target has no circuit breaker' },
  idempotency_key_in_use: { status: 409, title: 'A request with this Idempotency-Key is still being processed' },
  payload_too_large: { status: 413, title: 'Request body too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  unsupported_content_encoding: { status: 415, title: 'Unsupported Content-Encoding' },
  validation_failed: { status: 422, title: 'Request failed validation' },
  unknown_target: { status: 422, title: 'Unknown target' },
  unknown_route: { status: 422, title: 'Unknown route' },
  no_route_match: { status: 422, title: 'No rule of the route matches the input' },
  expression_failed: { status: 422, title: "A route's expression failed on this input" },
  idempotency_key_reused: { status: 422, title: 'Idempotency-Key reused with a different request' },
  rate_limited: { status: 429, title: 'Too many requests' },
  too_many_waiting: { status: 429, title: 'Too many held requests' },
  quota_exceeded: { status: 429, title: 'Too many unfinished jobs' },
  headers_too_large: { status: 431, title: 'Request headers too large' },
  internal_error: { status: 500, title: 'Internal server error' },
  queue_full: { status: 503, title: 'Target queue is full' },
  gateway_busy: { status: 503, title: 'Gateway holds as many waiting requests as it may' },
  redis_unavailable: { status: 503, title: 'Job store unavailable' },
  replication_timeout: { status: 503, title: 'Replicas did not confirm the job in time' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** A tenant's request-rate window as the RateLimit-* header fields tell it. */
export interface RateLimitState {
  limit: number;
  remaining: number;
  resetSeconds: number;
}

export interface FieldError {
  path: string;
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  constructor(
    readonly code: ErrorCode,
    readonly detail?: string,
    readonly extra: { errors?: FieldError[]; retryAfterSeconds?: number; jobError?: unknown; rateLimit?: RateLimitState } = {},
    options?: { cause?: unknown },
  ) {
    super(detail ?? ERROR_CATALOGUE[code].title, options);
    this.name = 'ApiError';
    this.status = ERROR_CATALOGUE[code].status;
    this.title = ERROR_CATALOGUE[code].title;
  }
}
