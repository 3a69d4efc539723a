export { GatewayClient, type GatewayClientOptions, type SubmitOptions, type ListFilter, type ForwardRequest } from './client.js';
export { JobHandle, type WaitOptions, type CallOptions } from './job.js';
export type { EventsOptions } from './job-events.js';
export type { FetchLike } from './transport.js';
export { GatewayError, GatewayConnectionError, JobFailedError, JobCanceledError, WaitTimeoutError } from './errors.js';
export { verifyWebhook, WebhookVerificationError, type WebhookSecret, type WebhookHeaders, type VerifyWebhookOptions } from './webhook.js';
export { SseParser, readEventStream, type SseMessage } from './sse.js';
export { isTerminal, TERMINAL_STATUSES } from './types.js';
export type {
  SubmitRequest,
  JobDocument,
  JobStatus,
  JobError,
  JobPage,
  Problem,
  FieldError,
  Delivery,
  WebhookEvent,
  WebhookEventType,
  JobEvent,
  JobStatusEvent,
  JobProgressEvent,
} from './types.js';
/** The types of the whole HTTP API, generated from openapi.yaml (for openapi-fetch and the like). */
export type { paths, components, operations } from './generated/openapi.js';
