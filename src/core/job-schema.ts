import { z } from 'zod';
import { JOB_ID } from './ids.js';
import { MAX_BATCH_JOBS } from '../config/schema.js';

/**
 * The public shapes of the HTTP API, shared by the gateway and the workers.
 * openapi.yaml's components are generated from these (npm run openapi:schemas)
 * and a test keeps the two in step.
 */

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'canceled'] as const;
export const JobStatusSchema = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof JobStatusSchema>;

/** A route's step: a job status, or `pending` (a chain step not created yet) or `skipped` (a branch whose `when` was false). */
export const STEP_STATUSES = ['pending', 'skipped', ...JOB_STATUSES] as const;
export const StepStatusSchema = z.enum(STEP_STATUSES);
export type StepStatus = z.infer<typeof StepStatusSchema>;

export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'canceled']);
export const isTerminal = (s: JobStatus): boolean => TERMINAL_STATUSES.has(s);

export const MetadataSchema = z
  .record(
    // Names that would reach an object's prototype are refused outright.
    z.string().regex(/^(?!(__proto__|constructor|prototype)$)[A-Za-z0-9_.-]{1,64}$/, 'metadata keys are 1-64 of A-Z a-z 0-9 _ . - (and not __proto__, constructor, prototype)'),
    z.string().max(256),
  )
  .refine((m) => Object.keys(m).length <= 16, { message: 'at most 16 metadata entries' })
  .meta({ description: 'Free-form labels, searchable with `GET /v1/jobs?metadata.K=V`.' });

export const WEBHOOK_EVENTS = ['job.succeeded', 'job.failed', 'job.canceled'] as const;
export const WebhookEventSchema = z.enum(WEBHOOK_EVENTS);
export type WebhookEvent = z.infer<typeof WebhookEventSchema>;

export const CallbackRequestSchema = z
  .strictObject({
    url: z.string().min(1).max(2_048).meta({ description: 'http(s) URL to receive the signed webhook; checked against the SSRF guard.' }),
    events: z.array(WebhookEventSchema).min(1).max(3).optional().meta({ description: 'Events to deliver; all three by default.' }),
  })
  .meta({ description: 'Where to push the outcome when the job ends.' });

export const CALLBACK_STATES = ['pending', 'delivered', 'failed', 'skipped'] as const;
export const CallbackStateSchema = z.enum(CALLBACK_STATES);
export type CallbackState = z.infer<typeof CallbackStateSchema>;

export const SubmitRequestSchema = z
  .strictObject({
    target: z.string().min(1).max(63).optional().meta({ description: 'The target that runs the job. Give target or route, exactly one.' }),
    route: z.string().min(1).max(63).optional().meta({
      description:
        "A route from the config (`routes:`), instead of `target`: a switch route picks the target by the input and answers with that target's job; a fanOut or chain route answers with the route's own job (target `route:<name>`), whose `steps` are ordinary jobs. Give target or route, exactly one.",
    }),
    input: z.unknown().optional().meta({ description: 'Passed to the target: the handler input, or the JSON body of an http target.' }),
    priority: z.number().int().min(0).max(1_000).optional().meta({
      description: "Higher runs first; must lie within the target's configured range.",
    }),
    delay: z.number().int().min(0).optional().meta({ description: 'Milliseconds to wait before the job becomes due.' }),
    runAt: z.iso.datetime({ offset: true }).optional().meta({ description: 'When the job becomes due (exclusive with delay).' }),
    ttl: z.number().int().min(1).optional().meta({
      description: 'Milliseconds the job may wait once due before it ends failed with code expired.',
    }),
    metadata: MetadataSchema.optional(),
    callback: CallbackRequestSchema.optional(),
  })
  .refine((b) => b.delay === undefined || b.runAt === undefined, {
    message: 'give delay or runAt, not both',
    path: ['runAt'],
  })
  .refine((b) => (b.target === undefined) !== (b.route === undefined), {
    message: 'give target or route, exactly one',
    path: ['target'],
  });
export type SubmitRequest = z.infer<typeof SubmitRequestSchema>;


export const BatchRequestSchema = z
  .strictObject({
    jobs: z.array(SubmitRequestSchema).min(1).max(MAX_BATCH_JOBS).meta({
      description: 'Submit envelopes, as for POST /v1/jobs, each with `target` or `route`. All are validated first: one bad item refuses the whole batch, each error pointing at `/jobs/<index>/…`.',
    }),
    callback: z
      .strictObject({ url: z.string().min(1).max(2_048).meta({ description: 'http(s) URL for the signed `batch.completed` webhook; checked against the SSRF guard.' }) })
      .optional()
      .meta({ description: 'Where to push the batch document once, when every job has ended.' }),
  })
  .meta({ description: 'Several jobs admitted together: all of them, or (on any refusal) none.' });
export type BatchRequest = z.infer<typeof BatchRequestSchema>;

export const JobErrorSchema = z.object({
  code: z.string().meta({ description: 'Stable, machine-readable: e.g. handler_error, upstream_status, timeout, expired.' }),
  message: z.string(),
  retryable: z.boolean(),
});
export type JobError = z.infer<typeof JobErrorSchema>;

export const AttemptSchema = z.object({
  attempt: z.number().int().min(1),
  startedAt: z.iso.datetime().nullable(),
  finishedAt: z.iso.datetime(),
  outcome: z.enum(['succeeded', 'failed', 'canceled', 'lost']),
  error: JobErrorSchema.optional(),
  retryDelayMs: z.number().int().min(0).optional(),
});
export type Attempt = z.infer<typeof AttemptSchema>;

export const HttpResultSchema = z.object({
  status: z.number().int(),
  contentType: z.string().nullable(),
  body: z.string(),
  bodyEncoding: z.enum(['utf8', 'base64']),
});
export type HttpResult = z.infer<typeof HttpResultSchema>;

const iso = z.iso.datetime();

export const DeferralSchema = z
  .object({
    reason: z.literal('circuit_open'),
    until: iso.nullable().meta({
      description: 'When the breaker lets probe attempts through; null while it is half-open (waiting for its probes) or held open by an operator.',
    }),
  })
  .meta({
    description:
      "Present on a queued job whose target's circuit breaker is open: no attempt is made (none is spent) until it closes. The job's maxQueueAgeMs or ttl still applies.",
  });
export type Deferral = z.infer<typeof DeferralSchema>;

export const JobDocumentSchema = z.object({
  id: z.string().regex(JOB_ID).meta({ description: "`job_`, 4 characters naming the Redis slot of the job's target, and 128 random bits (base64url). Opaque: clients keep it and send it back as it is." }),
  target: z.string().meta({ description: 'The target that runs the job; `route:<name>` for a fanOut or chain route\'s job, which no one target runs (its steps name theirs).' }),
  status: JobStatusSchema,
  createdAt: iso,
  runAt: iso.nullable().meta({ description: 'When a delayed job becomes due; null when it was due at once.' }),
  startedAt: iso.nullable(),
  finishedAt: iso.nullable(),
  attempts: z.number().int().min(0),
  maxAttempts: z.number().int().min(1),
  priority: z.number().int(),
  progress: z.union([z.number(), z.record(z.string(), z.unknown())]).nullable(),
  result: z.unknown().optional().meta({
    description:
      "Present when succeeded and small; otherwise read links.result. A handler target's return value; an http target's upstream answer as `{status, contentType, body, bodyEncoding}` (`body` is base64 when `bodyEncoding` is `base64`).",
  }),
  error: JobErrorSchema.nullable(),
  deadLettered: z.boolean(),
  cancelRequested: z.boolean(),
  correlationId: z.string(),
  route: z.string().optional().meta({ description: 'The route the job was submitted to: the one that chose its target (switch), or whose job it is or is a step of (fanOut, chain).' }),
  steps: z
    .array(
      z.object({
        name: z.string(),
        target: z.string(),
        status: StepStatusSchema,
        jobId: z.string().regex(JOB_ID).nullable().meta({ description: 'The step\'s own job (an ordinary job of the same tenant); null while pending or when skipped.' }),
      }),
    )
    .optional()
    .meta({
      description:
        "A fanOut or chain route's job: one entry per branch or step, in the route's order, with its status as the route last heard it (it follows the step's own within the outbox relay's delay).",
    }),
  routeJobId: z.string().regex(JOB_ID).optional().meta({
    description: "A fanOut or chain route's step only: the route's job it is a step of (that job's `steps` list it).",
  }),
  traceId: z.string().regex(/^[0-9a-f]{32}$/).meta({
    description:
      "The W3C trace id of the job's trace: every span of the job (the submit, each attempt, the upstream calls, the webhooks) and the traceparent its calls carry have it. A trace viewer finds the job by it when tracing is on (docs/operations.md, Tracing).",
  }),
  metadata: z.record(z.string(), z.string()),
  deferred: DeferralSchema.optional(),
  callback: z
    .object({ url: z.string(), events: z.array(WebhookEventSchema), state: CallbackStateSchema })
    .nullable()
    .meta({ description: 'pending until the job ends; then delivered, failed (retries exhausted, or 410), or skipped (event not subscribed).' }),
  links: z.object({ self: z.string(), result: z.string(), events: z.string(), cancel: z.string() }),
});
export type JobDocument = z.infer<typeof JobDocumentSchema>;

export const DeliverySchema = z.object({
  webhookId: z.string(),
  event: WebhookEventSchema,
  attempt: z.number().int().min(1),
  at: iso,
  durationMs: z.number().int().min(0),
  statusCode: z.number().int().nullable(),
  error: z.string().nullable(),
  outcome: z.enum(['delivered', 'retrying', 'failed']),
});
export type Delivery = z.infer<typeof DeliverySchema>;

/** A batch's job as its document lists it: `expired` when the job's record is gone (past its retention). */
export const BatchJobStatusSchema = z.enum([...JOB_STATUSES, 'expired']);

export const BatchDocumentSchema = z.object({
  id: z.string().regex(/^bat_[A-Za-z0-9_-]{22}$/).meta({ description: '`bat_` and 128 random bits (base64url). Opaque.' }),
  status: z.enum(['running', 'completed']).meta({ description: 'completed once every job has ended (succeeded, failed or canceled).' }),
  createdAt: iso,
  counts: z
    .object(Object.fromEntries(BatchJobStatusSchema.options.map((s) => [s, z.number().int().min(0)])) as Record<z.infer<typeof BatchJobStatusSchema>, z.ZodNumber>)
    .meta({ description: 'Jobs by status; every status is present, 0 when none.' }),
  jobs: z.array(z.object({ id: z.string(), status: BatchJobStatusSchema })).meta({ description: "Each item's job, in the request's order." }),
  callback: z
    .object({ url: z.string(), state: CallbackStateSchema })
    .nullable()
    .meta({ description: 'pending until every job has ended; then delivered, or failed (retries exhausted, or 410).' }),
  links: z.object({ self: z.string() }),
});
export type BatchDocument = z.infer<typeof BatchDocumentSchema>;

export const JobListSchema = z.object({
  items: z.array(JobDocumentSchema),
  nextCursor: z.string().nullable(),
});

export const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  code: z.string(),
  instance: z.string().optional(),
  requestId: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  jobError: JobErrorSchema.optional().meta({ description: 'For a failed job: the error it ended with.' }),
});
export type Problem = z.infer<typeof ProblemSchema>;
