import type { Expect, Tracked } from './audit.js';
import { pool, submit, type SubmitOutcome } from './client.js';

/**
 * Submitting the scenario's jobs and keeping score of what the client was told: only
 * a 202 makes a job "accepted" (tracked for the audit); a refusal or no answer at all
 * leaves the client free to retry, and the system owes it nothing.
 */

export interface JobSpec {
  body: Record<string, unknown>;
  expect: Expect;
  /** The submitting tenant's API key, when the scenario's gateway has keys. */
  token?: string;
}

export interface LoadResult {
  tracked: Tracked[];
  /** When each accepted job got its 202 (Date.now()), by id. */
  acceptedAt: Map<string, number>;
  refused: number;
  unanswered: number;
  /** Refusals by status code (503 while Redis is down, say). */
  refusedByStatus: Record<number, number>;
}

/** An echo job: `{echo: input}` is its only right result. */
export function echoJob(n: number, opts: { target?: string; delayMs?: number; callbackUrl?: string; extra?: Record<string, unknown> } = {}): JobSpec {
  const input = { n, delayMs: opts.delayMs ?? 0, ...opts.extra };
  return {
    body: { target: opts.target ?? 'echo', input, ...(opts.callbackUrl && { callback: { url: opts.callbackUrl } }) },
    expect: { status: 'succeeded', result: { echo: input } },
  };
}

/**
 * Submits every spec, at most `concurrency` at once, each to a gateway `ports()` names
 * at that moment (round robin over the live ones, like a load balancer).
 */
export async function submitAll(specs: readonly JobSpec[], ports: () => number[], opts: { concurrency?: number; paceMs?: number } = {}): Promise<LoadResult> {
  let turn = 0;
  const result: LoadResult = { tracked: [], acceptedAt: new Map(), refused: 0, unanswered: 0, refusedByStatus: {} };
  await pool(
    specs,
    opts.concurrency ?? 16,
    async (spec) => {
      const live = ports();
      const port = live[turn++ % Math.max(1, live.length)];
      const outcome: SubmitOutcome = port === undefined ? { kind: 'unanswered', error: 'no live gateway', port: 0 } : await submit(port, spec.body, spec.token);
      record(result, spec, outcome);
    },
    opts.paceMs ?? 0,
  );
  return result;
}

export function record(result: LoadResult, spec: JobSpec, outcome: SubmitOutcome): void {
  if (outcome.kind === 'accepted') {
    result.tracked.push({ id: outcome.id, expect: spec.expect, callback: 'callback' in spec.body });
    result.acceptedAt.set(outcome.id, Date.now());
  } else if (outcome.kind === 'refused') {
    result.refused++;
    result.refusedByStatus[outcome.status] = (result.refusedByStatus[outcome.status] ?? 0) + 1;
  } else {
    result.unanswered++;
  }
}

/**
 * Submits specs from `make` (n = 0, 1, ...) with `concurrency` clients, each sending its
 * next submit as soon as the last one is answered, until `stop()` or `max` submits: a
 * stream that keeps requests in flight through whatever happens meanwhile.
 */
export async function streamUntil(make: (n: number) => JobSpec, ports: () => number[], opts: { concurrency: number; max: number; stop: () => boolean }): Promise<LoadResult & { submitted: number }> {
  const result: LoadResult = { tracked: [], acceptedAt: new Map(), refused: 0, unanswered: 0, refusedByStatus: {} };
  let n = 0;
  const client = async () => {
    while (!opts.stop() && n < opts.max) {
      const spec = make(n++);
      const live = ports();
      const port = live[n % Math.max(1, live.length)];
      record(result, spec, port === undefined ? { kind: 'unanswered', error: 'no live gateway', port: 0 } : await submit(port, spec.body, spec.token));
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, client));
  return { ...result, submitted: n };
}
