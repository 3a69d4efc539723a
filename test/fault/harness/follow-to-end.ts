import type { JobStore } from '../../../src/core/job-store.js';
import { isTerminal } from '../../../src/core/job-schema.js';
import { sleep, type SubmitOutcome } from './client.js';

/** What became of the jobs a scenario got a 202 for. */
export interface Followed {
  /** No record at all: the store lost them. */
  lost: string[];
  /** Still not terminal at the deadline. */
  unfinished: string[];
  /** Terminal but not succeeded: `id:status:code`. */
  endedOtherwise: string[];
}

/**
 * Reads the accepted jobs' records every half second until each is terminal or gone, or
 * `timeoutMs` passes; a read that fails (Redis mid-failover) is tried again. For the
 * scenarios whose jobs all plan to succeed (the Redis Cluster ones).
 */
export async function followToEnd(store: JobStore, ids: readonly string[], timeoutMs: number): Promise<Followed> {
  const deadline = Date.now() + timeoutMs;
  const lost: string[] = [];
  let pending = [...ids];
  while (pending.length > 0 && Date.now() < deadline) {
    const records = await store.getMany(pending).catch(() => pending.map(() => undefined));
    pending = pending.filter((id, i) => {
      const r = records[i];
      if (r === null) lost.push(id);
      return r === undefined || (r !== null && !isTerminal(r.status));
    });
    if (pending.length) await sleep(500);
  }
  const records = await store.getMany(ids);
  const endedOtherwise = records.flatMap((r) => (r && isTerminal(r.status) && r.status !== 'succeeded' ? [`${r.id}:${r.status}:${r.error?.code ?? ''}`] : []));
  return { lost, unfinished: pending, endedOtherwise };
}

/** Refused submits counted by HTTP status. */
export function refusalsByStatus(outcomes: readonly SubmitOutcome[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of outcomes) if (o.kind === 'refused') out[String(o.status)] = (out[String(o.status)] ?? 0) + 1;
  return out;
}
