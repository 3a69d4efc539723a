import got, { RequestError, type Method } from 'got';
import { z } from 'zod';
import { AttemptSchema, DeliverySchema, JobDocumentSchema, ProblemSchema } from '../core/job-schema.js';
import { FairnessViewSchema } from '../core/fair-queue.js';

/** A target's circuit breaker, as GET /v1/admin/targets shows it (absent for a target without one). */
export const CircuitViewSchema = z.object({
  state: z.enum(['closed', 'half_open', 'open']),
  since: z.string().nullable(),
  until: z.string().nullable(),
  forced: z.boolean(),
  failureRatio: z.number(),
  attempts: z.number(),
});

/** A target's adaptive concurrency, as GET /v1/admin/targets shows it (absent for a target whose concurrency is fixed). */
export const ConcurrencyViewSchema = z.object({
  /** Attempts allowed in flight across all executors. */
  limit: z.number().int(),
  /** Attempts in flight across the executors, as they last reported. */
  inFlight: z.number().int(),
  min: z.number().int(),
  max: z.number().int(),
  referenceLatencyMs: z.number().nullable(),
});

/** What the CLI reads of the admin API, checked at the boundary like any other input. */
export const TargetViewSchema = z.object({
  name: z.string(),
  kind: z.string(),
  workers: z.number(),
  oldestWaitingSeconds: z.number(),
  counts: z.object({ waiting: z.number(), delayed: z.number(), active: z.number(), paused: z.boolean() }),
  policy: z.object({
    attempts: z.number(),
    timeoutMs: z.number(),
    /** The fixed concurrency per executor (for an adaptive target, the default of its max). */
    concurrency: z.number(),
    maxQueueAgeMs: z.number(),
    priority: z.object({ min: z.number(), max: z.number(), default: z.number() }),
  }),
  circuit: CircuitViewSchema.optional(),
  concurrency: ConcurrencyViewSchema.optional(),
  fairness: FairnessViewSchema.optional(),
});
export const TargetListSchema = z.object({ items: z.array(TargetViewSchema) });
export const JobTimelineSchema = z.object({
  job: JobDocumentSchema,
  tenant: z.string(),
  attempts: z.array(AttemptSchema),
  deliveries: z.array(DeliverySchema),
  /** The job's trace in the configured trace viewer; null without one. */
  traceUrl: z.string().nullable(),
});
export const JobPageSchema = z.object({ items: z.array(JobDocumentSchema), total: z.number().optional() });
export const BulkResultSchema = z.object({ replayed: z.array(z.string()).optional(), purged: z.array(z.string()).optional(), notFound: z.array(z.string()) });

export type TargetView = z.infer<typeof TargetViewSchema>;
export type CircuitView = z.infer<typeof CircuitViewSchema>;
export type ConcurrencyView = z.infer<typeof ConcurrencyViewSchema>;
export type JobTimeline = z.infer<typeof JobTimelineSchema>;
export type JobDocument = z.infer<typeof JobDocumentSchema>;

/** The gateway answered with a problem (4xx/5xx). */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The gateway could not be reached at all. */
export class Unreachable extends Error {}

/** A small client of /v1/admin/*: one bearer key, JSON in and out, no retries (an operator reruns). */
export class AdminClient {
  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string | undefined,
    private readonly timeoutMs = 10_000,
  ) {}

  async call<T>(method: Method, path: string, schema: z.ZodType<T>, body?: unknown): Promise<T> {
    let res;
    try {
      res = await got(new URL(path, this.baseUrl), {
        method,
        throwHttpErrors: false,
        followRedirect: false,
        retry: { limit: 0 },
        timeout: { request: this.timeoutMs },
        headers: { accept: 'application/json', ...(this.apiKey && { authorization: `Bearer ${this.apiKey}` }) },
        ...(body !== undefined && { json: body }),
      });
    } catch (err) {
      if (err instanceof RequestError) throw new Unreachable(`cannot reach the gateway at ${this.baseUrl}: ${err.code ?? err.message}`);
      throw err;
    }
    const parsed: unknown = res.body === '' ? null : safeJson(res.body);
    if (res.statusCode >= 400) {
      const problem = ProblemSchema.safeParse(parsed);
      if (problem.success) throw new ApiProblem(res.statusCode, problem.data.code, problem.data.detail ?? problem.data.title);
      throw new ApiProblem(res.statusCode, 'http_error', `the gateway answered ${res.statusCode}`);
    }
    const checked = schema.safeParse(parsed);
    if (!checked.success) throw new Error(`unexpected answer from ${method} ${path}: ${checked.error.issues[0]?.message ?? 'invalid'}`);
    return checked.data;
  }

  targets = () => this.call('GET', '/v1/admin/targets', TargetListSchema).then((r) => r.items);
  setPaused = (target: string, paused: boolean) => this.call('POST', `/v1/admin/targets/${encodeURIComponent(target)}/${paused ? 'pause' : 'resume'}`, TargetViewSchema);
  setCircuit = (target: string, state: 'open' | 'closed') => this.call('POST', `/v1/admin/targets/${encodeURIComponent(target)}/circuit`, TargetViewSchema, { state });
  job = (id: string) => this.call('GET', `/v1/admin/jobs/${encodeURIComponent(id)}`, JobTimelineSchema);
  targetJobs = (target: string, view: 'live' | 'recent', limit: number) =>
    this.call('GET', `/v1/admin/targets/${encodeURIComponent(target)}/jobs?view=${view}&limit=${limit}`, JobPageSchema).then((r) => r.items);
  deadLetters = (limit: number, target?: string) =>
    this.call('GET', `/v1/admin/dead-letters?limit=${limit}${target ? `&target=${encodeURIComponent(target)}` : ''}`, JobPageSchema);
  webhookDeadLetters = (limit: number) => this.call('GET', `/v1/admin/webhook-dead-letters?limit=${limit}`, JobPageSchema);
  bulk = (action: 'replay' | 'purge', selection: { ids: string[] } | { all: true; target?: string }) =>
    this.call('POST', `/v1/admin/dead-letters/${action}`, BulkResultSchema, selection);
  redeliver = (id: string) => this.call('POST', `/v1/admin/webhook-dead-letters/${encodeURIComponent(id)}/redeliver`, JobDocumentSchema);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
