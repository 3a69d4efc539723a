import { describe, expect, it } from 'vitest';
import { traceIdFor, traceIdOf, traceparentFor } from '../../src/core/trace-context.js';

describe('trace context', () => {
  it('keeps a W3C trace id, strips a UUID, hashes anything else', () => {
    expect(traceIdFor('4bf92f3577b34da6a3ce929d0e0e4736')).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(traceIdFor('0b5d3a1e-8c5e-4c3b-9d8e-1f2a3b4c5d6e')).toBe('0b5d3a1e8c5e4c3b9d8e1f2a3b4c5d6e');
    expect(traceIdFor('order-42')).toMatch(/^[0-9a-f]{32}$/);
    expect(traceIdFor('order-42')).toBe(traceIdFor('order-42'));
    expect(traceparentFor('order-42')).toMatch(new RegExp(`^00-${traceIdFor('order-42')}-[0-9a-f]{16}-01$`));
  });

  it("gives a job the trace id of the span it keeps, or else its correlation id's", () => {
    expect(traceIdOf({ correlationId: 'order-42', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' })).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(traceIdOf({ correlationId: 'order-42' })).toBe(traceIdFor('order-42'));
  });
});
