import { GatewayConnectionError, GatewayError } from './errors.js';
import { readEventStream, SseParser } from './sse.js';
import { linkSignals, sleep } from './timing.js';
import type { Transport } from './transport.js';
import { isTerminal, type JobDocument, type JobEvent, type JobStatus } from './types.js';

export interface EventsOptions {
  signal?: AbortSignal;
  /** Resume after this event id (an id from an earlier stream), instead of from the first event. */
  lastEventId?: string;
  /** Connection failures in a row (no event in between) before the iterator gives up. Default 10. */
  maxReconnects?: number;
  /** The longest pause before a reconnect, in ms, whatever the server's `retry:` says. Default 30 000. */
  maxReconnectDelayMs?: number;
}

const DEFAULT_RECONNECT_MS = 1_000;

/**
 * The job's events over server-sent events: every stored event, then live ones, up to the
 * terminal status event (it carries the finished document), then the iterator ends. A
 * dropped connection, or a stream that ends early (a gateway shutting down), is resumed
 * with `Last-Event-ID` after the server's `retry:` delay, so no event is lost or repeated.
 */
export async function* jobEvents(
  transport: Transport,
  id: string,
  options: EventsOptions,
  onDocument: (doc: JobDocument) => void,
): AsyncGenerator<JobEvent, void, undefined> {
  const parser = new SseParser();
  parser.lastEventId = options.lastEventId ?? '';
  const maxReconnects = options.maxReconnects ?? 10;
  const maxDelay = options.maxReconnectDelayMs ?? 30_000;
  let failures = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    // One controller per connection: closing it frees the socket when the consumer stops early.
    const connection = linkSignals(options.signal);
    let lastError: unknown;
    try {
      const response = await transport.send({
        method: 'GET',
        path: `/v1/jobs/${encodeURIComponent(id)}/events`,
        headers: { accept: 'text/event-stream', ...(parser.lastEventId && { 'last-event-id': parser.lastEventId }) },
        signal: connection.signal,
        retry: 'safe',
      });
      if (!response.body) throw new GatewayConnectionError('the event stream has no body');
      for await (const message of readEventStream(response.body, parser)) {
        failures = 0;
        const event = toJobEvent(message.event, message.data, message.hasId ? message.lastEventId : null);
        if (!event) continue;
        if (event.type === 'status' && event.job) onDocument(event.job);
        yield event;
        if (event.type === 'status' && event.terminal) return;
      }
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason;
      // An answer from the gateway (404, 401, …) is final; a broken connection, or a gateway
      // still busy (429, 503) after the transport's own retries, is tried again.
      if (err instanceof GatewayError && err.status !== 429 && err.status !== 503) throw err;
      lastError = err;
    } finally {
      connection.abort();
      connection.dispose();
    }
    // The stream ended (or broke) before the terminal event.
    if (lastError !== undefined) failures++;
    if (failures > maxReconnects) {
      throw lastError instanceof GatewayConnectionError
        ? lastError
        : new GatewayConnectionError(`the event stream of ${id} kept failing`, { cause: lastError });
    }
    const base = parser.retryMs ?? DEFAULT_RECONNECT_MS;
    await sleep(Math.min(maxDelay, base * 2 ** Math.max(0, failures - 1)), options.signal);
  }
}

function toJobEvent(name: string, data: string, id: string | null): JobEvent | null {
  if (name !== 'status' && name !== 'progress') return null;
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(data) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (name === 'progress') {
    return { ...(payload as object), type: 'progress', id } as JobEvent;
  }
  const status = payload.status as JobStatus;
  return { ...(payload as object), type: 'status', id, terminal: isTerminal(status) } as JobEvent;
}
