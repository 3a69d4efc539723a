import { createHash, randomBytes } from 'node:crypto';

/**
 * A W3C trace id for a correlation id: the id itself when it already is one (it came
 * from `traceparent`), a UUID without its dashes, or else a stable hash of it, so that
 * every hop of one request carries the same trace id.
 */
export function traceIdFor(correlationId: string): string {
  if (/^[0-9a-f]{32}$/.test(correlationId)) return correlationId;
  const bare = correlationId.replaceAll('-', '').toLowerCase();
  if (/^[0-9a-f]{32}$/.test(bare)) return bare;
  return createHash('sha256').update(correlationId).digest('hex').slice(0, 32);
}

/** A `traceparent` header for an outbound call of this request: its trace id, a new span id, sampled. */
export function traceparentFor(correlationId: string): string {
  return `00-${traceIdFor(correlationId)}-${randomBytes(8).toString('hex')}-01`;
}

/**
 * The trace id of a job: its enqueue span's when it was admitted traced, else the one its
 * correlation id maps to (what its calls' traceparent carried).
 */
export function traceIdOf(job: { correlationId: string; traceparent?: string }): string {
  return job.traceparent ? job.traceparent.slice(3, 35) : traceIdFor(job.correlationId);
}
