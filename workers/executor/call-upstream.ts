import { got, type Response } from 'got';
import type { HttpTarget } from '../../src/config/schema.js';
import type { HttpResult } from '../../src/core/job-schema.js';
import type { JobRecord } from '../../src/core/job-record.js';
import { classifyStatus, parseRetryAfterMs } from '../../src/core/retry-policy.js';
import { traceparentFor } from '../../src/core/trace-context.js';
import type { AttemptTrace } from '../../src/observability/tracing.js';
import { PermanentError } from '../handlers/index.js';
import { UpstreamResponseError, UpstreamStatusError } from './attempt-failure.js';

const TEXTUAL = /^(text\/|application\/(json|xml|[a-z.+-]*\+(json|xml)|javascript|x-www-form-urlencoded))/i;

/**
 * Joins the target's URL and a captured path suffix and query, refusing to leave the
 * target's path. The suffix is a path *below* the target's ("" or "/…"): compared on a
 * segment boundary, so that "/api" cannot reach "/api2" or "/apix". The target's own
 * query (an API version, say) is kept and the captured one appended to it.
 */
export function upstreamUrl(base: string, pathSuffix: string, query: string): string {
  const url = new URL(base);
  if (pathSuffix !== '') {
    const basePath = url.pathname.replace(/\/$/, '');
    // The URL parser resolves ".." and "%2e%2e"; checking after it sees what the upstream will see.
    url.pathname = basePath + pathSuffix;
    const inside = url.pathname === basePath || url.pathname.startsWith(`${basePath}/`);
    if (!pathSuffix.startsWith('/') || !inside) {
      throw new PermanentError('the path escapes the target URL', { code: 'invalid_input' });
    }
  }
  if (query !== '') {
    // The explicit "?" keeps a query that itself starts with "?" intact (the setter drops one).
    const own = url.search.slice(1);
    url.search = `?${own === '' ? '' : `${own}&`}${query}`;
  }
  return url.toString();
}

/**
 * One attempt against an http target. Redirects are not followed, the body is
 * read to `maxResultBytes` at most, and the caller's signal bounds the time. With a
 * `trace`, the call is its CLIENT span and sends that span's traceparent.
 */
export async function callUpstream(target: HttpTarget, record: JobRecord, signal: AbortSignal, trace?: AttemptTrace): Promise<HttpResult> {
  let method: string;
  let url: string;
  let headers: Record<string, string>;
  let body: Buffer | string | undefined;
  if (record.payload.kind === 'request') {
    const req = record.payload.request;
    method = req.method;
    url = upstreamUrl(target.url, req.path, req.query);
    headers = { ...req.headers, ...lower(target.headers) };
    body = req.bodyBase64 ? Buffer.from(req.bodyBase64, 'base64') : undefined;
  } else {
    method = target.method;
    url = target.url;
    headers = lower(target.headers);
    if (method !== 'GET' && method !== 'DELETE' && record.payload.input !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(record.payload.input);
    }
  }

  const span = trace?.startUpstreamCall(method, url);
  // Ours, set last: a captured or configured header never overrides them.
  headers['idempotency-key'] = record.id;
  headers['x-request-id'] = record.correlationId;
  headers.traceparent = span?.traceparent ?? traceparentFor(record.correlationId);
  const request = got(url, {
    method: method as 'GET',
    headers,
    // A captured GET may carry a body, and replay means sending it; HEAD content has no use.
    ...(body !== undefined && method !== 'HEAD' && { body }),
    allowGetBody: true,
    signal,
    throwHttpErrors: false,
    followRedirect: false,
    retry: { limit: 0 },
    responseType: 'buffer',
    decompress: true,
  });
  request.on('downloadProgress', (p: { transferred: number }) => {
    if (p.transferred > target.maxResultBytes) request.cancel('result too large');
  });
  let response: Response<Buffer>;
  try {
    response = await request;
  } catch (err) {
    span?.end((err as { response?: { statusCode?: number } }).response?.statusCode ?? null, errorTypeOf(err, signal));
    if ((err as { name?: string }).name === 'CancelError' && !signal.aborted) {
      // The status line came before the body: a body cut short for its size is only a
      // too-large *result* when the answer was a 2xx; a 503 error page is still a 503.
      const head = (err as { response?: Pick<Response, 'statusCode' | 'headers'> }).response;
      if (head) throwUnlessSuccess(head);
      throw new UpstreamResponseError('result_too_large', `upstream body exceeds ${target.maxResultBytes} bytes`);
    }
    throw err;
  }
  span?.end(response.statusCode);
  throwUnlessSuccess(response);
  if (response.rawBody.length > target.maxResultBytes) {
    throw new UpstreamResponseError('result_too_large', `upstream body exceeds ${target.maxResultBytes} bytes`);
  }
  const contentType = headerValue(response.headers['content-type']) ?? null;
  const asText = contentType !== null && TEXTUAL.test(contentType) && isUtf8(response.rawBody);
  return {
    status: response.statusCode,
    contentType,
    body: response.rawBody.toString(asText ? 'utf8' : 'base64'),
    bodyEncoding: asText ? 'utf8' : 'base64',
  };
}

/** A non-2xx answer fails the attempt; 429 and 503 pass their Retry-After on. */
function throwUnlessSuccess(res: Pick<Response, 'statusCode' | 'headers'>): void {
  const verdict = classifyStatus(res.statusCode);
  if (verdict.kind === 'success') return;
  const retryAfter = verdict.kind === 'retryable' && verdict.honourRetryAfter
    ? parseRetryAfterMs(headerValue(res.headers['retry-after']), Date.now())
    : undefined;
  throw new UpstreamStatusError(res.statusCode, verdict.kind === 'retryable', retryAfter);
}

/** What a call that got no (whole) answer failed of, as the span's error.type: got's code, or why our signal fired. */
function errorTypeOf(err: unknown, signal: AbortSignal): string {
  if (signal.aborted) return `aborted_${String(signal.reason)}`;
  const e = err as { code?: unknown; name?: unknown };
  return typeof e.code === 'string' ? e.code : typeof e.name === 'string' ? e.name : 'error';
}

function lower(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function isUtf8(buf: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf);
    return true;
  } catch {
    return false;
  }
}
