/**
 * The error catalogue: every public error the gateway answers with, by stable code.
 * The error handler turns an ApiError into application/problem+json; a test checks
 * that openapi.yaml lists the same codes. Never branch on message text.
 */
export const ERROR_CATALOGUE = {
  malformed_json: { status: 400, title: 'Malformed JSON body' },
  invalid_parameter: { status: 400, title: 'Invalid query or path parameter' },
  wrong_target_kind: { status: 400, title: 'Target does not accept this kind of request' },
  route_not_found: { status: 404, title: 'No such route' },
  job_not_found: { status: 404, title: 'No such job' },
  target_not_found: { status: 404, title: 'No such target' },
  dead_letter_not_found: { status: 404, title: 'No such dead letter' },
  job_not_finished: { status: 409, title: 'Job has not finished' },
  job_failed: { status: 409, title: 'Job failed' },
  job_canceled: { status: 409, title: 'Job was canceled' },
  job_already_finished: { status: 409, title: 'Job has already finished' },
  payload_too_large: { status: 413, title: 'Request body too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  validation_failed: { status: 422, title: 'Request failed validation' },
  unknown_target: { status: 422, title: 'Unknown target' },
  internal_error: { status: 500, title: 'Internal server error' },
  redis_unavailable: { status: 503, title: 'Job store unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

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
    readonly extra: { errors?: FieldError[]; retryAfterSeconds?: number; jobError?: unknown } = {},
    options?: { cause?: unknown },
  ) {
    super(detail ?? ERROR_CATALOGUE[code].title, options);
    this.name = 'ApiError';
    this.status = ERROR_CATALOGUE[code].status;
    this.title = ERROR_CATALOGUE[code].title;
  }
}
