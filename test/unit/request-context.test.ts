import { describe, expect, it } from 'vitest';
import { correlationIdFrom } from '../../src/http/middleware/request-context.js';

describe('correlationIdFrom', () => {
  it('keeps a sane X-Request-Id', () => {
    expect(correlationIdFrom('abc-123', undefined)).toBe('abc-123');
  });
  it('uses the trace id of a valid traceparent', () => {
    expect(correlationIdFrom(undefined, '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });
  it.each([['with CRLF\r\nx: y'], ['x'.repeat(129)], ['spaces are not allowed']])('replaces an unsafe id (%#) with a new UUID', (bad) => {
    expect(correlationIdFrom(bad, undefined)).toMatch(/^[0-9a-f-]{36}$/);
  });
  it("falls back to what it is given (the request's new trace id, when tracing is on) rather than a UUID", () => {
    expect(correlationIdFrom(undefined, undefined, () => '4bf92f3577b34da6a3ce929d0e0e4736')).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(correlationIdFrom('abc-123', undefined, () => 'unused')).toBe('abc-123');
  });
  it('ignores an all-zero trace id', () => {
    expect(correlationIdFrom(undefined, `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`)).toMatch(/^[0-9a-f-]{36}$/);
  });
});
