/**
 * How the executor and the notifier ask BullMQ for another try. A processor decides the
 * delay itself (the job's backoff and Retry-After, the webhook's delivery schedule) and
 * throws RetryLaterError; the worker's backoff strategy (retryLaterBackoff) hands that
 * delay to BullMQ. Anything else thrown is an unexpected failure of ours (a Redis blip
 * mid-run), retried after the worker's fallback delay.
 */

/** Thrown to let BullMQ run the job again after `delayMs`. */
export class RetryLaterError extends Error {
  constructor(
    readonly delayMs: number,
    message: string,
  ) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

/** A BullMQ `settings.backoffStrategy`: the delay a RetryLaterError asked for, else `fallback(attemptsMade)`. */
export function retryLaterBackoff(fallback: (attemptsMade: number) => number) {
  return (attemptsMade: number, _type?: string, err?: Error): number => (err instanceof RetryLaterError ? err.delayMs : fallback(attemptsMade));
}
