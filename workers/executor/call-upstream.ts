import { got, type Response } from 'got';
import type { HttpTarget } from '../../src/config/schema.js';
import type { HttpResult } from '../../src/core/job-schema.js';
import type { JobRecord } from '../../src/core/job-record.js';
import { classifyStatus, parseRetryAfterMs } from '../../src/core/retry-policy.js';
import { traceparentFor } from '../../src/core/trace-context.js';
import { UpstreamResponseError, UpstreamStatusError } from './attempt-failure.js';

const TEXTUAL = /^(text\/|application\/(json|xml|[a-z.+-]*\+(json|xml)|javascript|x-www-form-urlencoded))/i;

/** Joins the target's URL and a captured path suffix and query, refusing to leave the target's path. */
export function upstreamUrl(base: string, pathSuffix: string, query: string): string {
  const url = new URL(base);
  const basePath = url.pathname.replace(/\/$/, '');
  url.pathname = basePath + pathSuffix;
  if (!url.pathname.startsWith(basePath)) throw new Error('path escapes the target URL');
  url.search = query;
  return url.toString();
}

/**
 * One attempt against an http target. Redirects are not followed, the body is
 * read to `maxResultBytes` at most, and the caller's signal bounds the time.
 */
export async function callUpstream(target: HttpTarget, record: JobRecord, signal: AbortSignal): Promise<HttpResult> {
  const common: Record<string, string> = {
    'idempotency-key': record.id,
    'x-request-id': record.correlationId,
    traceparent: traceparentFor(record.correlationId),
  };
  let method: string;
  let url: string;
  let headers: Record<string, string>;
  let body: Buffer | string | undefined;
  if (record.payload.kind === 'request') {
    const req = record.payload.request;
    method = req.method;
    url = upstreamUrl(target.url, req.path, req.query);
    headers = { ...req.headers, ...lower(target.headers), ...common };
    body = req.bodyBase64 ? Buffer.from(req.bodyBase64, 'base64') : undefined;
  } else {
    method = target.method;
    url = target.url;
    headers = { ...lower(target.headers), ...common };
    if (method !== 'GET' && method !== 'DELETE' && record.payload.input !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(record.payload.input);
    }
  }

  const request = got(url, {
    method: method as 'GET',
    headers,
    ...(body !== undefined && { body }),
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
    if ((err as { name?: string }).name === 'CancelError' && !signal.aborted) {
      throw new UpstreamResponseError('result_too_large', `upstream body exceeds ${target.maxResultBytes} bytes`);
    }
    throw err;
  }
  const verdict = classifyStatus(response.statusCode);
  if (verdict.kind !== 'success') {
    const retryAfter = verdict.kind === 'retryable' && verdict.honourRetryAfter
      ? parseRetryAfterMs(headerValue(response.headers['retry-after']), Date.now())
      : undefined;
    throw new UpstreamStatusError(response.statusCode, verdict.kind === 'retryable', retryAfter);
  }
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
