import { z } from 'zod';
import type { Route } from './routes.js';
import { forwardingProblems } from './forward-headers.js';
import { ROLES } from './roles.js';
import { DEFAULT_SCHEDULE_MS, isValidAllowlistEntry, isWebhookSecret } from './webhook-settings.js';

/**
 * The config file's shape: targets and their policies. Validated once at start-up
 * (see load-config.ts); every default lives here, with its unit in the name.
 */

const TARGET_NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** The most jobs a batch may ever hold; `server.maxBatchJobs` may lower it. */
export const MAX_BATCH_JOBS = 1_000;

export const BackoffSchema = z
  .object({
    /** Delay before the first retry; doubles (times `multiplier`) after each. */
    initialDelayMs: z.number().int().min(0).default(1_000),
    multiplier: z.number().min(1).max(10).default(2),
    /** Upper bound for any one delay, before jitter. */
    maxDelayMs: z.number().int().min(0).default(300_000), // five minutes
    /** Fraction of the delay drawn at random (0 = none, 1 = "full jitter"). */
    jitter: z.number().min(0).max(1).default(0.2),
  })
  .strict();

export const PriorityRangeSchema = z
  .object({
    /** Higher numbers run first. */
    min: z.number().int().min(0).max(1_000).default(0),
    max: z.number().int().min(0).max(1_000).default(10),
    default: z.number().int().min(0).max(1_000).default(0),
  })
  .strict()
  .refine((p) => p.min <= p.default && p.default <= p.max, {
    message: 'priority must satisfy min <= default <= max',
  });

export const RateLimitSchema = z
  .object({
    max: z.number().int().min(1),
    durationMs: z.number().int().min(1),
  })
  .strict();

/**
 * A target's circuit breaker (off unless given): retryable failures over a sliding window
 * open it, and while it is open no attempt is made (due jobs wait in their queue, no attempt
 * is spent); after `openMs` it lets `probes` attempts through, and their outcome closes it
 * or opens it again for twice as long as the last time, up to `maxOpenMs`.
 */
export const CircuitBreakerSchema = z
  .object({
    /** Open when at least this share of the window's counted attempts failed retryably… */
    failureRatio: z.number().gt(0).max(1).default(0.5),
    /** …and the window holds at least this many counted attempts. */
    minAttempts: z.number().int().min(1).max(100_000).default(10),
    windowMs: z.number().int().min(1_000).max(3_600_000).default(30_000),
    /** How long it stays open before its first half-open probe. */
    openMs: z.number().int().min(100).max(3_600_000).default(15_000),
    /** Cap of the open time, which doubles after each failed probe. */
    maxOpenMs: z.number().int().min(100).max(86_400_000).default(300_000),
    /** Attempts let through at once while half-open. */
    probes: z.number().int().min(1).max(100).default(1),
  })
  .strict()
  .refine((c) => c.maxOpenMs >= c.openMs, { message: 'maxOpenMs must be at least openMs', path: ['maxOpenMs'] });

/**
 * Adaptive concurrency (http targets): the attempts in flight against the upstream, across
 * all executors, follow what the upstream shows, between `min` and `max` (the target's
 * `concurrency` by default). `true` takes the defaults.
 */
const DEFAULT_LATENCY_TOLERANCE = 1.5;

export const AdaptiveConcurrencySchema = z.union([
  z.boolean(),
  z
    .object({
      min: z.number().int().min(1).max(100_000).default(1),
      /** Default: the target's `concurrency`. */
      max: z.number().int().min(1).max(100_000).optional(),
      /** Answers whose mean latency over a report is more than this many times the fastest such mean seen are a sign of overload. */
      latencyTolerance: z.number().min(1.05).max(100).default(DEFAULT_LATENCY_TOLERANCE),
    })
    .strict(),
]);

/** Webhook retry schedule: the delay before each delivery attempt, the first included. */
const ScheduleSchema = z.array(z.number().int().min(0).max(7 * 86_400_000)).min(1).max(50);

/** Policy fields every target has; `defaults` in the file supplies any left out. */
const policyShape = {
  attempts: z.number().int().min(1).max(100),
  backoff: BackoffSchema,
  timeoutMs: z.number().int().min(1).max(86_400_000),
  concurrency: z.number().int().min(1).max(1_000),
  rateLimit: RateLimitSchema.optional(),
  circuitBreaker: CircuitBreakerSchema.optional(),
  adaptiveConcurrency: AdaptiveConcurrencySchema.optional(),
  /** none: due jobs run first in, first out within a priority; tenant: round-robin between the tenants with work (src/core/fair-queue.ts). */
  fairness: z.enum(['none', 'tenant']),
  priority: PriorityRangeSchema,
  /** A job still waiting this long after it became due ends `failed` with code `expired`. */
  maxQueueAgeMs: z.number().int().min(1),
  maxBodyBytes: z.number().int().min(1).max(100 * 1024 * 1024),
  maxResultBytes: z.number().int().min(1).max(100 * 1024 * 1024),
  /** How long finished jobs stay readable. Dead letters stay until replayed or purged. */
  retentionMs: z.number().int().min(1_000),
  /** Worker lock; a crashed worker's job is taken up again within lockDurationMs + stalledIntervalMs. */
  lockDurationMs: z.number().int().min(500),
  stalledIntervalMs: z.number().int().min(500),
  maxDelayMs: z.number().int().min(0),
  /** Load shedding: with this many jobs waiting (or delayed), submits answer 503. */
  maxQueuedJobs: z.number().int().min(1),
  /** Overrides webhooks.scheduleMs for this target's callbacks. */
  webhookScheduleMs: ScheduleSchema,
};

export const PolicyDefaultsSchema = z
  .object({
    attempts: policyShape.attempts.default(3),
    backoff: BackoffSchema.default(BackoffSchema.parse({})),
    timeoutMs: policyShape.timeoutMs.default(30_000),
    concurrency: policyShape.concurrency.default(10),
    rateLimit: policyShape.rateLimit,
    circuitBreaker: policyShape.circuitBreaker,
    adaptiveConcurrency: policyShape.adaptiveConcurrency,
    fairness: policyShape.fairness.default('none'),
    priority: PriorityRangeSchema.default({ min: 0, max: 10, default: 0 }),
    maxQueueAgeMs: policyShape.maxQueueAgeMs.default(3_600_000), // one hour
    maxBodyBytes: policyShape.maxBodyBytes.default(1_048_576), // 1 MiB
    maxResultBytes: policyShape.maxResultBytes.default(1_048_576), // 1 MiB
    retentionMs: policyShape.retentionMs.default(86_400_000), // one day
    lockDurationMs: policyShape.lockDurationMs.default(30_000),
    stalledIntervalMs: policyShape.stalledIntervalMs.default(30_000),
    maxDelayMs: policyShape.maxDelayMs.default(7 * 86_400_000), // one week
    maxQueuedJobs: policyShape.maxQueuedJobs.default(100_000),
    webhookScheduleMs: policyShape.webhookScheduleMs.optional(),
  })
  .strict();

const partialPolicy = z.object(policyShape).partial().strict().shape;

const HEADER_NAME = /^[a-z0-9-]+$/;

const HttpTargetSchema = z
  .object({
    kind: z.literal('http'),
    url: z.url({ protocol: /^https?$/ }),
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
    /** Sent on every upstream call (e.g. the upstream's own credentials). */
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/), z.string()).default({}),
    /** Client request headers that transparent mode forwards upstream (lower case). */
    forwardHeaders: z
      .array(z.string().regex(HEADER_NAME))
      .default(['content-type', 'accept', 'accept-language']),
    /** Client headers forwarded under another name, e.g. {"x-upstream-authorization": "authorization"}. */
    forwardHeadersAs: z.record(z.string().regex(HEADER_NAME), z.string().regex(HEADER_NAME)).default({}),
    ...partialPolicy,
  })
  .strict()
  .superRefine((target, ctx) => {
    for (const p of forwardingProblems(target)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
  });

const HandlerTargetSchema = z
  .object({
    kind: z.literal('handler'),
    /** Name of a handler exported by workers/handlers/index.ts. */
    handler: z.string().min(1),
    ...partialPolicy,
  })
  .strict();

export const TargetSchema = z.discriminatedUnion('kind', [HttpTargetSchema, HandlerTargetSchema]);

export const ServerSettingsSchema = z
  .object({
    /** Absolute base URL used in Location headers; derived from the request when absent. */
    publicUrl: z.url().optional(),
    /** Upper bound for `?wait=` and `Prefer: wait=`. */
    maxWaitSeconds: z.number().int().min(0).max(300).default(60),
    /** Requests one gateway process holds open at most (long-polls, Prefer: wait, event streams), all tenants together. */
    maxWaiting: z.number().int().min(1).max(1_000_000).default(5_000),
    /** Event streams send a comment line this often, so that idle proxies do not cut them. */
    eventsHeartbeatSeconds: z.number().int().min(1).max(300).default(15),
    /** The `Retry-After` we suggest to pollers. */
    pollAfterSeconds: z.number().int().min(1).max(3_600).default(1),
    /**
     * How often a gateway adds its locally counted requests (all but submits) to the tenants'
     * shared rate windows in Redis; 0 counts each request in Redis before answering it.
     */
    rateLimitSyncMs: z.number().int().min(0).max(60_000).default(100),
    /** Express `trust proxy` setting, for X-Forwarded-* behind a load balancer. */
    trustProxy: z.union([z.boolean(), z.number().int(), z.string()]).default(false),
    /** Origins allowed to call the API from a browser; none (CORS off) by default. */
    corsOrigins: z.array(z.url()).default([]),
    /** Prefix of every Redis key (BullMQ's included). */
    keyPrefix: z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/).default('ag'),
    /** The most jobs one POST /v1/batches may hold. */
    maxBatchJobs: z.number().int().min(1).max(MAX_BATCH_JOBS).default(MAX_BATCH_JOBS),
    /** The largest body POST /v1/batches takes, every item's envelope and input together. */
    maxBatchBytes: z.number().int().min(1_024).max(100 * 1024 * 1024).default(10 * 1024 * 1024),
    /** The time budget of one evaluation of a route's expression; past it the evaluation fails. */
    expressionTimeoutMs: z.number().int().min(1).max(10_000).default(50),
  })
  .strict();

export const WebhookSettingsSchema = z
  .object({
    /** Signing secrets (`whsec_…`); every delivery carries one signature per secret, for rotation. */
    secrets: z
      .array(
        z.string().refine(isWebhookSecret, { message: 'a secret is whsec_ followed by at least 24 base64-encoded random bytes' }),
      )
      .default([]),
    /** Delay before each delivery attempt, the first included (Standard Webhooks' by default). */
    scheduleMs: ScheduleSchema.default([...DEFAULT_SCHEDULE_MS]),
    jitter: z.number().min(0).max(1).default(0.2),
    /** Per-attempt limit: connect, send, and read the answer. */
    timeoutMs: z.number().int().min(100).max(60_000).default(10_000),
    /** Receivers' answers are read to this size at most, then dropped. */
    maxResponseBytes: z.number().int().min(0).max(1_048_576).default(65_536),
    /** CIDRs, addresses or host names callbacks may reach despite the SSRF guard. */
    allowlist: z.array(z.string().refine(isValidAllowlistEntry, { message: 'not a CIDR, an IP address or a host name' })).default([]),
    /** Deliveries one notifier process makes at once. */
    concurrency: z.number().int().min(1).max(1_000).default(20),
    /** Notifier lock on a delivery in progress; a dead notifier's delivery is taken up again within lockDurationMs + stalledIntervalMs. */
    lockDurationMs: z.number().int().min(500).default(30_000),
    stalledIntervalMs: z.number().int().min(500).default(30_000),
  })
  .strict();

const TENANT_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export const AuthSchema = z
  .object({
    /** API keys by hash (`npm run cli -- create-key` makes one). None: the gateway runs open. */
    keys: z
      .array(
        z
          .object({
            id: z.string().min(1).max(64),
            tenant: z.string().regex(TENANT_NAME, 'tenant names are 1-64 of A-Z a-z 0-9 _ . -'),
            role: z.enum(ROLES),
            sha256: z.string().regex(/^[0-9a-f]{64}$/, 'the hex SHA-256 of the key'),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();

export const TenantLimitsSchema = z
  .object({
    /** Requests per window per tenant, shared by every gateway process (Redis counters). */
    requestsPerWindow: z.number().int().min(1).default(200),
    windowSeconds: z.number().int().min(1).max(3_600).default(1),
    /** Requests a tenant may hold open at once on one gateway process (long-polls, Prefer: wait, event streams); beyond it 429. */
    maxWaiting: z.number().int().min(1).default(100),
    /** Jobs not yet finished per tenant; beyond it submits answer 429. */
    maxInFlightJobs: z.number().int().min(1).default(10_000),
    /** On a target with `fairness: tenant`, the tenant's share of turns relative to others (2: twice as many jobs per round). */
    weight: z.number().min(0.01).max(1_000).default(1),
    /** On a target with `fairness: tenant`, at most this many of the tenant's jobs dispatched to the target and not yet ended. */
    maxRunningPerTarget: z.number().int().min(1).optional(),
    /** How long an Idempotency-Key is remembered. */
    idempotencyWindowSeconds: z.number().int().min(60).max(7 * 86_400).default(86_400), // one day
  })
  .strict();

export const TenantsSchema = z
  .object({
    defaults: TenantLimitsSchema.default(TenantLimitsSchema.parse({})),
    /** Per-tenant overrides of any default. */
    overrides: z.record(z.string().regex(TENANT_NAME), TenantLimitsSchema.partial().strict()).default({}),
  })
  .strict();

/** Tracing itself is switched by the standard OTEL_* variables; the file only says where an operator reads a trace. */
export const TracingSettingsSchema = z
  .object({
    /** A trace viewer's URL for one trace, with `{traceId}` in it (Jaeger: http://jaeger:16686/trace/{traceId}); the dashboard links each job to it. */
    viewerUrl: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .refine((u) => u.includes('{traceId}'), { message: 'must contain {traceId}, where the trace id goes' })
      .optional(),
  })
  .strict();

/** The most branches of a fan-out, or steps of a chain, one route may have. */
export const MAX_ROUTE_STEPS = 20;

/** A JSONata expression, compiled at start-up (src/config/routes.ts). */
const ExpressionSchema = z.string().min(1).max(8_192);

/** One rule of a `switch` route: the first whose `when` is true over the input picks `target`; no `when` matches anything. */
export const SwitchRuleSchema = z
  .object({
    when: ExpressionSchema.optional(),
    target: z.string().regex(TARGET_NAME, 'target names are lower-case letters, digits and -'),
  })
  .strict();

const StepNameSchema = z.string().regex(TARGET_NAME, 'step names are lower-case letters, digits and -');
const StepTargetSchema = z.string().regex(TARGET_NAME, 'target names are lower-case letters, digits and -');

/** One branch of a `fanOut` route: every branch whose `when` holds runs in parallel, on `input` computed from the route's input. */
export const FanOutBranchSchema = z
  .object({
    /** The branch's name in `steps` and in `output`'s object; its target's name by default. */
    name: StepNameSchema.optional(),
    target: StepTargetSchema,
    input: ExpressionSchema.optional(),
    when: ExpressionSchema.optional(),
    /** Its failure does not fail the route's job. */
    optional: z.boolean().default(false),
  })
  .strict();

/** One step of a `chain` route: its input is computed from the previous step's result (`$input`: the route's input). */
export const ChainStepSchema = z
  .object({
    name: StepNameSchema.optional(),
    target: StepTargetSchema,
    input: ExpressionSchema.optional(),
  })
  .strict();

/**
 * A route: a name a client submits to instead of a target. `switch` picks one target by the
 * input's content; `fanOut` runs several targets in parallel and `chain` one after another,
 * each step an ordinary job of the route's job (src/jobs/route-conductor.ts).
 */
export const RouteFileSchema = z
  .object({
    switch: z.array(SwitchRuleSchema).min(1).max(100).optional(),
    fanOut: z.array(FanOutBranchSchema).min(1).max(MAX_ROUTE_STEPS).optional(),
    chain: z.array(ChainStepSchema).min(1).max(MAX_ROUTE_STEPS).optional(),
    /** The route's result, over `{ <step name>: <its result> }`; that object itself by default. */
    output: ExpressionSchema.optional(),
  })
  .strict();

export const ConfigFileSchema = z
  .object({
    server: ServerSettingsSchema.default(ServerSettingsSchema.parse({})),
    defaults: PolicyDefaultsSchema.default(PolicyDefaultsSchema.parse({})),
    webhooks: WebhookSettingsSchema.default(WebhookSettingsSchema.parse({})),
    auth: AuthSchema.default(AuthSchema.parse({})),
    tenants: TenantsSchema.default(TenantsSchema.parse({})),
    tracing: TracingSettingsSchema.default({}),
    targets: z
      .record(z.string().regex(TARGET_NAME, 'target names are lower-case letters, digits and -'), TargetSchema)
      .refine((t) => Object.keys(t).length > 0, { message: 'at least one target is required' }),
    routes: z.record(z.string().regex(TARGET_NAME, 'route names are lower-case letters, digits and -'), RouteFileSchema).default({}),
  })
  .strict();

export type ConfigFile = z.infer<typeof ConfigFileSchema>;
export type Policy = z.infer<typeof PolicyDefaultsSchema>;
export type ServerSettings = z.infer<typeof ServerSettingsSchema>;
export type BackoffPolicy = z.infer<typeof BackoffSchema>;
export type CircuitBreakerPolicy = z.infer<typeof CircuitBreakerSchema>;

/** Adaptive concurrency as a target runs it: the bounds resolved against its `concurrency`. */
export interface AdaptiveConcurrency {
  min: number;
  max: number;
  latencyTolerance: number;
}

/** A target's adaptive concurrency, or null when its concurrency is fixed (always for handler targets). */
export function adaptiveConcurrencyOf(t: Pick<Policy, 'adaptiveConcurrency' | 'concurrency'> & { kind: string }): AdaptiveConcurrency | null {
  const a = t.adaptiveConcurrency;
  if (t.kind !== 'http' || a === undefined || a === false) return null;
  if (a === true) return { min: 1, max: t.concurrency, latencyTolerance: DEFAULT_LATENCY_TOLERANCE };
  return { min: a.min, max: a.max ?? t.concurrency, latencyTolerance: a.latencyTolerance };
}
export type WebhookSettings = z.infer<typeof WebhookSettingsSchema>;
export type AuthSettings = z.infer<typeof AuthSchema>;
export type TenantLimits = z.infer<typeof TenantLimitsSchema>;
export type TenantsSettings = z.infer<typeof TenantsSchema>;
export type TracingSettings = z.infer<typeof TracingSettingsSchema>;

type HttpTargetFile = z.infer<typeof HttpTargetSchema>;

export type HttpTarget = Policy & {
  name: string;
  kind: 'http';
  url: string;
  method: HttpTargetFile['method'];
  headers: Record<string, string>;
  forwardHeaders: string[];
  forwardHeadersAs: Record<string, string>;
};
export type HandlerTarget = Policy & { name: string; kind: 'handler'; handler: string };
export type Target = HttpTarget | HandlerTarget;

export interface GatewayConfig {
  server: ServerSettings;
  webhooks: WebhookSettings;
  auth: AuthSettings;
  tenants: TenantsSettings;
  tracing: TracingSettings;
  targets: ReadonlyMap<string, Target>;
  /** Routes by name, their expressions compiled (src/config/routes.ts). */
  routes: ReadonlyMap<string, Route>;
}
