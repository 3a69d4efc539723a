import { GatewayConnectionError, GatewayError } from './errors.js';
import { backoffMs, parseRetryAfter, sleep } from './timing.js';
import type { Problem } from './types.js';

/** The subset of `fetch` the client calls; pass your own to add a proxy agent, logging or tracing. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface TransportOptions {
  /** The gateway's URL, e.g. `http://localhost:8080` (a path prefix is kept). */
  baseUrl: string;
  /** An API key (`agk_…`), sent as `Authorization: Bearer`. Omit for a gateway that runs open. */
  apiKey?: string | undefined;
  /** Headers sent with every request. */
  headers?: Record<string, string> | undefined;
  fetch?: FetchLike | undefined;
  /** Retries of one call (see `RetryMode`). Default 3. */
  maxRetries?: number | undefined;
  /**
   * The longest the client waits before one retry, in ms. An answer whose Retry-After asks
   * for more is not retried: its GatewayError (with `retryAfterSeconds`) is thrown at once,
   * for the caller to schedule. Default 30 000.
   */
  maxRetryDelayMs?: number | undefined;
}

/**
 * What may be retried, and on what:
 * - `safe`: the request can be repeated without effect (a GET, or a POST carrying an
 *   Idempotency-Key): network errors, 429, 503, and 409 `idempotency_key_in_use`.
 * - `refused`: only answers that say the gateway did nothing (429, the rate limiter runs
 *   before any route).
 * - `none`: never.
 */
export type RetryMode = 'safe' | 'refused' | 'none';

export interface Call {
  method: string;
  path: string;
  /** Parameters, or a raw query string (sent exactly as given). */
  query?: URLSearchParams | string | undefined;
  headers?: Record<string, string> | undefined;
  /** A JSON value (serialised, with its content type), or raw bytes/text with a content type in `headers`. */
  json?: unknown;
  body?: string | Uint8Array | ArrayBuffer | undefined;
  signal?: AbortSignal | undefined;
  retry: RetryMode;
  /** Error codes handed back at once, never retried (the caller has a better plan). */
  final?: readonly string[] | undefined;
}

const BACKOFF_BASE_MS = 500;

export class Transport {
  private readonly base: string;
  private readonly fetchFn: FetchLike;
  private readonly maxRetries: number;
  private readonly maxRetryDelayMs: number;
  private readonly defaultHeaders: Record<string, string>;

  constructor(options: TransportOptions) {
    if (!options.baseUrl) throw new TypeError('GatewayClient needs a baseUrl');
    this.base = options.baseUrl.replace(/\/+$/, '');
    // Called through globalThis: browsers refuse a fetch detached from its window.
    this.fetchFn = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
    this.maxRetries = options.maxRetries ?? 3;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
    this.defaultHeaders = {
      accept: 'application/json',
      ...lowerKeys(options.headers ?? {}),
      ...(options.apiKey && { authorization: `Bearer ${options.apiKey}` }),
    };
  }

  url(path: string, query?: URLSearchParams | string): string {
    const qs = typeof query === 'string' ? query.replace(/^\?/, '') : query?.toString();
    return `${this.base}${path}${qs ? `?${qs}` : ''}`;
  }

  /** Sends the call, retrying as its mode allows; resolves with a 2xx response (body unread), else throws. */
  async send(call: Call): Promise<Response> {
    const url = this.url(call.path, call.query);
    const headers: Record<string, string> = { ...this.defaultHeaders, ...lowerKeys(call.headers ?? {}) };
    let body = call.body;
    if (call.json !== undefined) {
      body = JSON.stringify(call.json);
      headers['content-type'] ??= 'application/json';
    }
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await this.fetchFn(url, { method: call.method, headers, body: body as RequestInit['body'], signal: call.signal ?? null });
      } catch (err) {
        if (call.signal?.aborted) throw call.signal.reason;
        const error = new GatewayConnectionError(`${call.method} ${url}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
        if (call.retry !== 'safe' || attempt >= this.maxRetries) throw error;
        await sleep(backoffMs(attempt, BACKOFF_BASE_MS, this.maxRetryDelayMs), call.signal);
        continue;
      }
      if (response.ok) return response;
      const error = await toGatewayError(response);
      if (attempt >= this.maxRetries || call.final?.includes(error.code) || !retryable(call.retry, error)) throw error;
      const delayMs = error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1_000 : backoffMs(attempt, BACKOFF_BASE_MS, this.maxRetryDelayMs);
      if (delayMs > this.maxRetryDelayMs) throw error;
      await sleep(delayMs, call.signal);
    }
  }

  /** `send`, then the JSON body. */
  async json<T>(call: Call): Promise<{ value: T; response: Response }> {
    const response = await this.send(call);
    return { value: (await response.json()) as T, response };
  }
}

function retryable(mode: RetryMode, error: GatewayError): boolean {
  if (mode === 'none') return false;
  if (error.status === 429) return true;
  if (mode === 'refused') return false;
  return error.status === 503 || error.code === 'idempotency_key_in_use';
}

/** Any non-2xx answer as a GatewayError; the body is read as a problem document when it is one. */
export async function toGatewayError(response: Response): Promise<GatewayError> {
  let problem: Problem | null = null;
  const text = await response.text().catch(() => '');
  if (/json/i.test(response.headers.get('content-type') ?? '')) {
    try {
      const parsed = JSON.parse(text) as Partial<Problem> | null;
      if (parsed && typeof parsed === 'object' && typeof parsed.code === 'string' && typeof parsed.title === 'string') problem = parsed as Problem;
    } catch {
      // Not JSON after all: the status alone speaks.
    }
  }
  return new GatewayError({
    status: response.status,
    problem,
    retryAfterSeconds: parseRetryAfter(response.headers.get('retry-after')),
    requestId: response.headers.get('x-request-id') ?? undefined,
    statusText: response.statusText || undefined,
  });
}

function lowerKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
