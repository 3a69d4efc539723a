import { GatewayError, JobCanceledError, JobFailedError, WaitTimeoutError } from './errors.js';
import { jobEvents, type EventsOptions } from './job-events.js';
import { linkSignals, parseRetryAfter, sleep } from './timing.js';
import type { Transport } from './transport.js';
import { isTerminal, type Delivery, type JobDocument, type JobEvent } from './types.js';

export interface WaitOptions {
  /** Give up after this many ms with a WaitTimeoutError (the job goes on). Default: no limit. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** The longest single long-poll, in seconds (the server caps it at its `maxWaitSeconds`). Default 30. */
  longPollSeconds?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
}

/** The gateway's refusals to hold one more request (the tenant's limit, the process's): it asks to poll instead. */
const HOLD_REFUSED = ['too_many_waiting', 'gateway_busy'];

/** A long-poll answered in less than this was not held: the server (or a proxy) does not long-poll. */
const NOT_HELD_MS = 500;
/** setTimeout's limit (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A handle to one job. `document` is the last job document the client saw; every call
 * that reads one updates it.
 */
export class JobHandle {
  /** The job's id (`job_…`). */
  readonly id: string;
  private doc: JobDocument | undefined;

  /** @internal Use `client.submit()` or `client.job(id)`. */
  constructor(
    private readonly transport: Transport,
    id: string,
    document?: JobDocument,
    /** Whether the submit answer was a replay of an earlier one with the same Idempotency-Key. */
    readonly replayed = false,
  ) {
    this.id = id;
    this.doc = document;
  }

  /** The last job document seen (undefined for a `client.job(id)` handle not yet read). */
  get document(): JobDocument | undefined {
    return this.doc;
  }

  private get path(): string {
    return `/v1/jobs/${encodeURIComponent(this.id)}`;
  }

  private seen(doc: JobDocument): JobDocument {
    this.doc = doc;
    return doc;
  }

  /** Reads the job document now. */
  async refresh(options: CallOptions = {}): Promise<JobDocument> {
    const { value } = await this.transport.json<JobDocument>({ method: 'GET', path: this.path, signal: options.signal, retry: 'safe' });
    return this.seen(value);
  }

  /**
   * Resolves with the terminal document (succeeded, failed or canceled: a failed job does not
   * reject here; `result()` does). Long-polls `GET /v1/jobs/{id}?wait=`, so the answer comes
   * as soon as the job ends; if the server does not hold the request (no long-poll, or it
   * answers `too_many_waiting`/`gateway_busy`), it polls at the server's `Retry-After`
   * instead. Never a busy loop.
   */
  async wait(options: WaitOptions = {}): Promise<JobDocument> {
    const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
    const longPoll = Math.max(1, Math.floor(options.longPollSeconds ?? 30));
    if (this.doc && isTerminal(this.doc.status)) return this.doc;
    const timedOut = () => new WaitTimeoutError(this.id, options.timeoutMs ?? 0, this.doc);
    let longPolling = true;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw timedOut();
      const seconds = Math.min(longPoll, Math.ceil(remaining / 1_000));
      const link = linkSignals(options.signal);
      const timer = remaining < MAX_TIMER_MS ? setTimeout(() => link.abort(timedOut()), remaining) : undefined;
      const started = Date.now();
      let response: Response;
      let doc: JobDocument;
      try {
        response = await this.transport.send({
          method: 'GET',
          path: this.path,
          query: longPolling ? new URLSearchParams({ wait: String(seconds) }) : undefined,
          signal: link.signal,
          retry: 'safe',
          final: longPolling ? HOLD_REFUSED : undefined,
        });
        doc = this.seen((await response.json()) as JobDocument);
      } catch (err) {
        if (options.signal?.aborted) throw options.signal.reason;
        if (link.signal.aborted) throw timedOut();
        if (err instanceof GatewayError && HOLD_REFUSED.includes(err.code)) {
          // The gateway holds all it may: poll without waiting, at its Retry-After, from now on.
          longPolling = false;
          continue;
        }
        throw err;
      } finally {
        clearTimeout(timer);
        link.dispose();
      }
      if (isTerminal(doc.status)) return doc;
      if (Date.now() - started < NOT_HELD_MS) {
        // Not held (no long-poll here, or a server draining): wait as the server asks.
        const pauseMs = (parseRetryAfter(response.headers.get('retry-after')) ?? 1) * 1_000;
        const left = deadline - Date.now();
        if (pauseMs >= left) {
          await sleep(left, options.signal);
          throw timedOut();
        }
        await sleep(Math.max(250, pauseMs), options.signal);
      }
    }
  }

  /**
   * The job's result, once it has one: waits for the end first if need be (with `wait`'s
   * options). Rejects with JobFailedError (the job's `code`, `message`, `retryable`) when it
   * failed, and JobCanceledError when it was canceled. A JSON result is parsed; another
   * content type (an http target's replayed answer) resolves as text; use `resultResponse()`
   * for bytes or the upstream's status and headers.
   */
  async result<T = unknown>(options: WaitOptions = {}): Promise<T> {
    const response = await this.resultResponse(options);
    const type = response.headers.get('content-type') ?? '';
    if (response.status === 204) return undefined as T;
    return (/\bjson\b/i.test(type) ? await response.json() : await response.text()) as T;
  }

  /** The `GET /v1/jobs/{id}/result` answer itself (after waiting for the end), with its body unread. */
  async resultResponse(options: WaitOptions = {}): Promise<Response> {
    for (let waited = false; ; waited = true) {
      try {
        return await this.transport.send({ method: 'GET', path: `${this.path}/result`, signal: options.signal, retry: 'safe' });
      } catch (err) {
        if (!(err instanceof GatewayError) || err.status !== 409) throw err;
        if (err.code === 'job_failed') {
          const doc = this.doc && this.doc.status === 'failed' ? this.doc : undefined;
          throw new JobFailedError(this.id, err.jobError ?? doc?.error ?? { code: 'unknown', message: err.detail ?? err.title, retryable: false }, doc);
        }
        if (err.code === 'job_canceled') throw new JobCanceledError(this.id, this.doc?.status === 'canceled' ? this.doc : undefined);
        if (err.code !== 'job_not_finished' || waited) throw err;
        await this.wait(options);
      }
    }
  }

  /**
   * The job's events (status changes and progress) as they happen, ending after the
   * terminal status event. Resumes after a dropped connection with `Last-Event-ID`.
   */
  events(options: EventsOptions = {}): AsyncGenerator<JobEvent, void, undefined> {
    return jobEvents(this.transport, this.id, options, (doc) => this.seen(doc));
  }

  /**
   * Cancels the job: a queued one at once, a running one through its AbortSignal. Resolves with
   * the document (`canceled`, or still `running` with `cancelRequested: true` when the worker has
   * not confirmed within two seconds). A finished job rejects with GatewayError `job_already_finished`.
   */
  async cancel(options: CallOptions = {}): Promise<JobDocument> {
    // Only a refusal (429) is retried: a repeated cancel that reached the gateway would answer 409.
    const { value } = await this.transport.json<JobDocument>({ method: 'POST', path: `${this.path}/cancel`, signal: options.signal, retry: 'refused' });
    return this.seen(value);
  }

  /** The webhook delivery attempts for this job, oldest first. */
  async deliveries(options: CallOptions = {}): Promise<Delivery[]> {
    const { value } = await this.transport.json<{ items: Delivery[] }>({ method: 'GET', path: `${this.path}/deliveries`, signal: options.signal, retry: 'safe' });
    return value.items;
  }

  toJSON(): { id: string; document: JobDocument | undefined } {
    return { id: this.id, document: this.doc };
  }
}
