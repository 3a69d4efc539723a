import { createHash } from 'node:crypto';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  defaultTextMapGetter,
  defaultTextMapSetter,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
} from '@opentelemetry/semantic-conventions';
import type { JobError } from '../core/job-schema.js';
import { traceIdFor } from '../core/trace-context.js';

/**
 * The gateway's spans, one module for all of them so that their names and attributes follow
 * one scheme (OpenTelemetry's semantic conventions for HTTP and messaging, plus `asyncgw.*`
 * for what is ours). One trace per job:
 *
 *   SERVER  POST /v1/jobs                 the gateway's request (child of the caller's traceparent)
 *   └ PRODUCER  send <target>             the enqueue; the job record keeps its context
 *     ├ CONSUMER  process <target>        one per attempt, on an executor
 *     │ └ CLIENT  POST  | INTERNAL handler <name>   the upstream call or the in-code handler
 *     └ CONSUMER  deliver <event>         one per webhook delivery attempt, on a notifier
 *       └ CLIENT  POST                    the webhook itself
 *
 * Spans are made with explicit parents (no context manager, no monkey-patching): each
 * process knows the one context its span hangs from (a header, the job record). Nothing
 * here runs when tracing is off: callers hold a `Tracing` only when it is on.
 *
 * Never an attribute with a secret: no header values, no bodies, no query strings (an API
 * key travels there sometimes) and, for webhooks, no path either (a receiver's URL often
 * is its credential).
 */

/** An OpenTelemetry context: what a child span is started under. */
export type TraceContext = Context;

/** What a span about a job says of it. */
export interface TracedJob {
  id: string;
  target: string;
  tenant: string;
  correlationId: string;
  /** The W3C traceparent of the job's PRODUCER span, kept with the job; absent when it was admitted untraced. */
  traceparent?: string | undefined;
}

const MESSAGING_SYSTEM = 'bullmq';
// Messaging attributes are still "development" in the conventions (1.45): named here, as
// the conventions' own guidance advises, rather than imported from their incubating entry.
const ATTR_MESSAGING_SYSTEM = 'messaging.system';
const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
const ATTR_MESSAGING_OPERATION_NAME = 'messaging.operation.name';
const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
const ATTR_MESSAGING_MESSAGE_ID = 'messaging.message.id';

const propagator = new W3CTraceContextPropagator();

/** A request's headers (lower-case names, as Node gives them), of which `traceparent` and `tracestate` are read. */
export type TraceHeaders = Readonly<Record<string, string | string[] | undefined>>;

export class Tracing {
  constructor(private readonly tracer: Tracer) {}

  /** The gateway's SERVER span for one HTTP request, a child of the caller's `traceparent` when it sent a valid one. */
  startRequest(method: string, path: string, scheme: string, headers: TraceHeaders): RequestTrace {
    const parent = propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
    const span = this.tracer.startSpan(
      method,
      { kind: SpanKind.SERVER, attributes: { [ATTR_HTTP_REQUEST_METHOD]: method, [ATTR_URL_PATH]: path, [ATTR_URL_SCHEME]: scheme } },
      parent,
    );
    return new RequestTrace(span, trace.setSpan(parent, span), method);
  }

  /** The PRODUCER span of an enqueue; its traceparent is what the job keeps for the spans that follow on other processes. */
  startEnqueue(parent: TraceContext | undefined, job: Omit<TracedJob, 'traceparent'>, delayMs: number): EnqueueTrace {
    const span = this.tracer.startSpan(
      `send ${job.target}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: { ...messaging('send', job.target, job.id), ...jobAttributes(job), ...(delayMs > 0 && { 'asyncgw.delay_ms': delayMs }) },
      },
      parent ?? ROOT_CONTEXT,
    );
    return new EnqueueTrace(span, traceparentOf(span));
  }

  /** A CONSUMER span for attempt `attempt` of a job, on the executor. */
  startAttempt(job: TracedJob, attempt: number, maxAttempts: number, waitedMs: number): AttemptTrace {
    const span = this.tracer.startSpan(
      `process ${job.target}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          ...messaging('process', job.target, job.id),
          ...jobAttributes(job),
          'asyncgw.attempt': attempt,
          'asyncgw.max_attempts': maxAttempts,
          'asyncgw.queue.wait_ms': Math.max(0, waitedMs),
        },
      },
      parentOf(job),
    );
    return new AttemptTrace(this.tracer, span);
  }

  /**
   * A job the executor ended without running it (expired in the queue, canceled before its
   * attempt, out of attempts after its workers died): one CONSUMER span, ended at once, so
   * that the waterfall shows why nothing ran.
   */
  recordEndWithoutAttempt(job: TracedJob, outcome: 'expired' | 'canceled' | 'dead_lettered', error?: JobError): void {
    const span = this.tracer.startSpan(
      `process ${job.target}`,
      { kind: SpanKind.CONSUMER, attributes: { ...messaging('process', job.target, job.id), ...jobAttributes(job), 'asyncgw.attempt.outcome': outcome } },
      parentOf(job),
    );
    if (outcome === 'dead_lettered') span.addEvent('dead_lettered');
    if (error) failed(span, error.code, error.message);
    span.end();
  }

  /** A CONSUMER span for one webhook delivery attempt, on the notifier. */
  startDelivery(job: TracedJob, event: string, webhookId: string, attempt: number, queue: string): DeliveryTrace {
    const span = this.tracer.startSpan(
      `deliver ${event}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          ...messaging('process', queue, webhookId),
          ...jobAttributes(job),
          'asyncgw.webhook.event': event,
          'asyncgw.webhook.id': webhookId,
          'asyncgw.delivery.attempt': attempt,
        },
      },
      parentOf(job),
    );
    return new DeliveryTrace(this.tracer, span);
  }
}

export class RequestTrace {
  constructor(
    private readonly span: Span,
    /** The context the request's own child spans (the enqueue) start under. */
    readonly context: TraceContext,
    private readonly method: string,
  ) {}

  get traceId(): string {
    return this.span.spanContext().traceId;
  }

  /** `route`: the matched route's pattern (`/v1/jobs/:id`), when one matched. */
  end(statusCode: number, route: string | undefined, tenant: string | undefined): void {
    const attrs: Attributes = { [ATTR_HTTP_RESPONSE_STATUS_CODE]: statusCode };
    if (route) {
      attrs[ATTR_HTTP_ROUTE] = route;
      this.span.updateName(`${this.method} ${route}`);
    }
    if (tenant) attrs['asyncgw.tenant'] = tenant;
    this.span.setAttributes(attrs);
    // A server span is an error for 5xx only: a 4xx is the client's mistake, answered correctly.
    if (statusCode >= 500) failed(this.span, String(statusCode));
    this.span.end();
  }
}

export class EnqueueTrace {
  constructor(
    private readonly span: Span,
    /** What the job record keeps: the consumers' parent. */
    readonly traceparent: string,
  ) {}

  end(err?: unknown): void {
    if (err !== undefined) failed(this.span, (err as { code?: string }).code ?? 'enqueue_failed', (err as Error).message);
    this.span.end();
  }
}

export class AttemptTrace {
  constructor(
    private readonly tracer: Tracer,
    private readonly span: Span,
  ) {}

  /** The CLIENT span of the upstream call; send its traceparent upstream. */
  startUpstreamCall(method: string, url: string): OutboundTrace {
    const u = new URL(url);
    return startOutbound(this.tracer, this.span, method, u, { [ATTR_URL_FULL]: `${u.protocol}//${u.host}${u.pathname}` });
  }

  /** The INTERNAL span of an in-code handler's run. */
  startHandler(handler: string): { end(err?: unknown): void } {
    const span = this.tracer.startSpan(`handler ${handler}`, { kind: SpanKind.INTERNAL, attributes: { 'asyncgw.handler': handler } }, trace.setSpan(ROOT_CONTEXT, this.span));
    return {
      end(err?: unknown) {
        if (err !== undefined) failed(span, (err as { code?: string }).code ?? (err as Error).name ?? 'error', (err as Error).message);
        span.end();
      },
    };
  }

  succeeded(): void {
    this.finish('succeeded');
  }

  canceled(): void {
    this.finish('canceled');
  }

  /** Shut down mid-attempt: the job went back to its queue, the attempt not counted. */
  handedBack(): void {
    this.finish('handed_back');
  }

  /** The lock was lost: another worker may run the job; this attempt's outcome is unknown. */
  lockLost(): void {
    this.finish('lock_lost');
  }

  /** Failed; the next attempt runs after `delayMs`. */
  retrying(error: JobError, delayMs: number): void {
    this.span.setAttribute('asyncgw.retry.delay_ms', delayMs);
    this.span.addEvent('retry_scheduled', { 'asyncgw.retry.delay_ms': delayMs });
    failed(this.span, error.code, error.message);
    this.finish('failed');
  }

  /** Failed for good: the job is a dead letter. */
  deadLettered(error: JobError): void {
    this.span.addEvent('dead_lettered');
    failed(this.span, error.code, error.message);
    this.finish('failed');
  }

  private finish(outcome: string): void {
    this.span.setAttribute('asyncgw.attempt.outcome', outcome);
    this.span.end();
  }
}

export class DeliveryTrace {
  constructor(
    private readonly tracer: Tracer,
    private readonly span: Span,
  ) {}

  /** The CLIENT span of the webhook POST. Host and port only: a receiver's path and query are often its credential. */
  startPost(url: string): OutboundTrace {
    return startOutbound(this.tracer, this.span, 'POST', new URL(url), {});
  }

  /** `outcome`: delivered, retrying, gone, failed (dead-lettered). */
  end(outcome: string, retryDelayMs?: number): void {
    this.span.setAttribute('asyncgw.delivery.outcome', outcome);
    if (retryDelayMs !== undefined) this.span.addEvent('retry_scheduled', { 'asyncgw.retry.delay_ms': retryDelayMs });
    if (outcome === 'failed') this.span.addEvent('dead_lettered');
    if (outcome !== 'delivered') failed(this.span, `webhook_${outcome}`);
    this.span.end();
  }
}

export class OutboundTrace {
  constructor(
    private readonly span: Span,
    /** The `traceparent` header to send: this CLIENT span's context. */
    readonly traceparent: string,
  ) {}

  /** `statusCode` null: no answer; `errorType` then says why (timeout, a refused address, the error's code). */
  end(statusCode: number | null, errorType?: string): void {
    if (statusCode !== null) this.span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, statusCode);
    // A client span is an error for any 4xx or 5xx, and for no answer at all.
    if (statusCode === null) failed(this.span, errorType ?? 'error');
    else if (statusCode >= 400) failed(this.span, String(statusCode));
    this.span.end();
  }
}

function startOutbound(tracer: Tracer, parent: Span, method: string, url: URL, extra: Attributes): OutboundTrace {
  const defaultPort = url.protocol === 'https:' ? 443 : 80;
  const span = tracer.startSpan(
    method,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR_HTTP_REQUEST_METHOD]: method,
        [ATTR_SERVER_ADDRESS]: url.hostname,
        [ATTR_SERVER_PORT]: url.port === '' ? defaultPort : Number(url.port),
        ...extra,
      },
    },
    trace.setSpan(ROOT_CONTEXT, parent),
  );
  return new OutboundTrace(span, traceparentOf(span));
}

function messaging(operation: 'send' | 'process', destination: string, messageId: string): Attributes {
  return {
    [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM,
    [ATTR_MESSAGING_OPERATION_TYPE]: operation,
    [ATTR_MESSAGING_OPERATION_NAME]: operation,
    [ATTR_MESSAGING_DESTINATION_NAME]: destination,
    [ATTR_MESSAGING_MESSAGE_ID]: messageId,
  };
}

function jobAttributes(job: Omit<TracedJob, 'traceparent'>): Attributes {
  return { 'asyncgw.job.id': job.id, 'asyncgw.target': job.target, 'asyncgw.tenant': job.tenant, 'asyncgw.correlation_id': job.correlationId };
}

function failed(span: Span, errorType: string, message?: string): void {
  span.setAttribute(ATTR_ERROR_TYPE, errorType);
  span.setStatus({ code: SpanStatusCode.ERROR, ...(message !== undefined && { message }) });
}

function traceparentOf(span: Span): string {
  const carrier: Record<string, string> = {};
  propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, defaultTextMapSetter);
  return carrier.traceparent!;
}

/**
 * The context a job's consumer spans hang from: the PRODUCER span it keeps. A job admitted
 * while the gateway traced nothing keeps none; its spans then share the trace id its
 * correlation id maps to (the one its upstream calls carried all along), under a parent
 * derived from the job id, so that all of one job's spans still form one trace.
 */
function parentOf(job: TracedJob): TraceContext {
  if (job.traceparent) {
    const extracted = propagator.extract(ROOT_CONTEXT, { traceparent: job.traceparent }, defaultTextMapGetter);
    if (trace.getSpanContext(extracted)) return extracted;
  }
  const spanId = createHash('sha256').update(job.id).digest('hex').slice(0, 16);
  return trace.setSpanContext(ROOT_CONTEXT, { traceId: traceIdFor(job.correlationId), spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true });
}
