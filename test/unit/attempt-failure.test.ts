import { describe, expect, it } from 'vitest';
import { ABORT, UpstreamResponseError, UpstreamStatusError, classifyFailure } from '../../workers/executor/attempt-failure.js';

const withCode = (code: string, message = 'boom') => Object.assign(new Error(message), { code });

describe('classifyFailure for upstream calls', () => {
  it('reports a timed-out attempt as timeout, whatever was thrown', () => {
    expect(classifyFailure(withCode('ECONNRESET'), ABORT.timeout)).toEqual({ error: { code: 'timeout', message: 'attempt timed out', retryable: true } });
  });

  it('carries the status verdict and the Retry-After of a non-2xx answer', () => {
    expect(classifyFailure(new UpstreamStatusError(503, true, 1_000), undefined)).toEqual({
      error: { code: 'upstream_status', message: 'upstream answered 503', retryable: true },
      retryAfterMs: 1_000,
    });
    expect(classifyFailure(new UpstreamStatusError(400, false, undefined), undefined)).toEqual({
      error: { code: 'upstream_status', message: 'upstream answered 400', retryable: false },
    });
  });

  it('never retries an answer over the size limit', () => {
    expect(classifyFailure(new UpstreamResponseError('result_too_large', 'too big'), undefined).error).toEqual({ code: 'result_too_large', message: 'too big', retryable: false });
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'EPIPE', 'HPE_INVALID_CONSTANT'])(
    'reports %s as upstream_unreachable, retried',
    (code) => {
      expect(classifyFailure(withCode(code, 'detail'), undefined).error).toEqual({ code: 'upstream_unreachable', message: `${code}: detail`, retryable: true });
    },
  );

  it.each(['ERR_INVALID_CHAR', 'ERR_GOT_REQUEST_ERROR', 'ERR_INVALID_URL'])('does not call a local %s error a network error', (code) => {
    expect(classifyFailure(withCode(code), undefined).error.code).toBe('handler_error');
  });
});
