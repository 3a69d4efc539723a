import { toBase64 } from './hmac.js';
import { JobHandle } from './job.js';
import { Transport, type RetryMode, type TransportOptions } from './transport.js';
import type { BatchDocument, JobDocument, JobPage, JobStatus, SubmitRequest } from './types.js';

export type GatewayClientOptions = TransportOptions;

export interface SubmitOptions {
  /**
   * The request's Idempotency-Key. When omitted the client makes one, so that its own retries
   * (network errors, 429, 503) can never make a second job; give your own (an order number, say)
   * to make retries across processes safe too. `null` sends none, and then nothing is retried.
   */
  idempotencyKey?: string | null;
  /** `Prefer: wait=N`: the gateway holds the answer up to N seconds and returns the finished job if it ends in time. */
  wait?: number;
  /** The correlation id (`X-Request-Id`), carried through the worker, the upstream call and the webhook. */
  requestId?: string;
  /** More headers (a `traceparent`, say). */
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface ListFilter {
  status?: JobStatus;
  target?: string;
  correlationId?: string;
  /** Labels the jobs' metadata must all have (`metadata.K=V`). */
  metadata?: Record<string, string>;
  /** Page size, 1-100. Default 20 (the gateway's). */
  limit?: number;
  /** Start from this page (a `nextCursor`). */
  cursor?: string;
}

/** A request for an http target in transparent mode: stored as it is, replayed upstream. */
export interface ForwardRequest {
  /** Default POST. */
  method?: string;
  /** Appended to the target's URL path, e.g. `/orders/42`. */
  path?: string;
  /** Replayed verbatim: a string is sent exactly as given. */
  query?: string | URLSearchParams | Record<string, string>;
  /** Headers for the upstream (the target's `forwardHeaders` decide which are replayed). */
  headers?: Record<string, string>;
  /** A raw body (give its `content-type` in `headers`)… */
  body?: string | Uint8Array | ArrayBuffer;
  /** …or a JSON value, sent as application/json. */
  json?: unknown;
  /** Push the outcome to this URL as a signed webhook (`Callback-Url`). */
  callbackUrl?: string;
}

/**
 * The client of one gateway.
 *
 * @example
 * const gw = new GatewayClient({ baseUrl: 'http://localhost:8080', apiKey: process.env.GATEWAY_KEY });
 * const job = await gw.submit({ target: 'echo', input: { hello: 'world' } });
 * const done = await job.wait({ timeoutMs: 30_000 });
 */
export class GatewayClient {
  private readonly transport: Transport;

  constructor(options: GatewayClientOptions) {
    this.transport = new Transport(options);
  }

  /** Submits a job (`POST /v1/jobs`); resolves with its handle once the gateway has stored it. */
  async submit(request: SubmitRequest, options: SubmitOptions = {}): Promise<JobHandle> {
    return this.accept({ method: 'POST', path: '/v1/jobs', json: request }, options);
  }

  /** Transparent mode (`ANY /v1/async/{target}/{path…}`): the request itself becomes the job. */
  async forward(target: string, request: ForwardRequest = {}, options: SubmitOptions = {}): Promise<JobHandle> {
    const query = request.query === undefined || typeof request.query === 'string' || request.query instanceof URLSearchParams ? request.query : new URLSearchParams(request.query);
    const path = request.path ? (request.path.startsWith('/') ? request.path : `/${request.path}`) : '';
    const method = (request.method ?? 'POST').toUpperCase();
    // fetch refuses these before sending anything: say so, rather than retry it as a network error.
    if ((method === 'GET' || method === 'HEAD') && (request.body !== undefined || request.json !== undefined)) {
      throw new TypeError(`a ${method} request has no body`);
    }
    return this.accept(
      {
        method,
        path: `/v1/async/${encodeURIComponent(target)}${path}`,
        query,
        headers: { ...request.headers, ...(request.callbackUrl && { 'callback-url': request.callbackUrl }) },
        body: request.body,
        json: request.json,
      },
      options,
    );
  }

  /**
   * Submits several jobs at once (`POST /v1/batches`), all or none: resolves with the batch's
   * document once every job is stored. Idempotency as for `submit` (the options' `wait` is
   * ignored here: wait with `batch(id, { wait })`).
   */
  async submitBatch(jobs: SubmitRequest[], options: Omit<SubmitOptions, 'wait'> = {}): Promise<BatchDocument> {
    const key = options.idempotencyKey === undefined ? newIdempotencyKey() : options.idempotencyKey;
    const headers: Record<string, string> = { ...options.headers };
    if (key !== null) headers['idempotency-key'] = sfString(key);
    if (options.requestId) headers['x-request-id'] = options.requestId;
    const { value } = await this.transport.json<BatchDocument>({ method: 'POST', path: '/v1/batches', json: { jobs }, headers, signal: options.signal, retry: key === null ? 'none' : 'safe' });
    return value;
  }

  /** A batch's document; with `wait` (seconds), held until every job has ended or the time passes. */
  async batch(id: string, options: { wait?: number; signal?: AbortSignal } = {}): Promise<BatchDocument> {
    const query = options.wait ? new URLSearchParams({ wait: String(Math.max(0, Math.floor(options.wait))) }) : undefined;
    const { value } = await this.transport.json<BatchDocument>({ method: 'GET', path: `/v1/batches/${encodeURIComponent(id)}`, query, signal: options.signal, retry: 'safe' });
    return value;
  }

  /** A handle to an existing job, e.g. one submitted before a restart. Makes no request. */
  job(id: string): JobHandle {
    return new JobHandle(this.transport, id);
  }

  /** One page of the caller's jobs, newest first; pass its `nextCursor` as `cursor` for the next. */
  async listPage(filter: ListFilter = {}, options: { signal?: AbortSignal } = {}): Promise<JobPage> {
    const query = new URLSearchParams();
    if (filter.status) query.set('status', filter.status);
    if (filter.target) query.set('target', filter.target);
    if (filter.correlationId) query.set('correlationId', filter.correlationId);
    for (const [k, v] of Object.entries(filter.metadata ?? {})) query.set(`metadata.${k}`, v);
    if (filter.limit !== undefined) query.set('limit', String(filter.limit));
    if (filter.cursor) query.set('cursor', filter.cursor);
    const { value } = await this.transport.json<JobPage>({ method: 'GET', path: '/v1/jobs', query, signal: options.signal, retry: 'safe' });
    return value;
  }

  /** Every job matching the filter, newest first, page after page. */
  async *list(filter: ListFilter = {}, options: { signal?: AbortSignal } = {}): AsyncGenerator<JobDocument, void, undefined> {
    let cursor = filter.cursor;
    do {
      const page = await this.listPage({ ...filter, cursor }, options);
      yield* page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  private async accept(
    call: { method: string; path: string; json?: unknown; body?: string | Uint8Array | ArrayBuffer | undefined; query?: string | URLSearchParams | undefined; headers?: Record<string, string> },
    options: SubmitOptions,
  ): Promise<JobHandle> {
    const key = options.idempotencyKey === undefined ? newIdempotencyKey() : options.idempotencyKey;
    const headers: Record<string, string> = { ...options.headers, ...call.headers };
    if (key !== null) headers['idempotency-key'] = sfString(key);
    if (options.wait !== undefined) headers.prefer = `wait=${Math.max(0, Math.floor(options.wait))}`;
    if (options.requestId) headers['x-request-id'] = options.requestId;
    // Without a key a retry could make a second job: only then is nothing retried.
    const retry: RetryMode = key === null ? 'none' : 'safe';
    const { value, response } = await this.transport.json<JobDocument>({ ...call, headers, signal: options.signal, retry });
    return new JobHandle(this.transport, value.id, value, response.headers.get('idempotent-replayed') === 'true');
  }
}

/** 128 random bits, base64url: unique enough that two submits never share one by chance. */
function newIdempotencyKey(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return `agc_${toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`;
}

/** A structured-field string (RFC 8941 §3.3.3), as the Idempotency-Key draft asks. */
function sfString(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
