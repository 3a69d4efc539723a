import { isTerminal, type JobStatus } from '../../../src/core/job-schema.js';
import type { Cluster } from './cluster.js';

/**
 * Jobs Redis holds that no client was told about: a request whose gateway died after
 * storing it but before answering. The guarantee does not cover them (the client got no
 * 202 and will retry); they are counted, with how many still ran to the end, so that a
 * record stranded without its queue entry shows up in the figures.
 */
export async function unacknowledgedJobs(cluster: Cluster, acknowledged: ReadonlySet<string>): Promise<{ stored: number; terminal: number; stuck: Record<string, number> }> {
  const prefix = `${cluster.keys.prefix}:job:{`;
  const ids: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await cluster.observer.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000);
    cursor = next;
    // The record is <p>:job:{<tag>}:<id>; its :history, :attempts, :deliveries have one more part.
    for (const k of keys) {
      const m = /^\{[^}]*\}:(job_[A-Za-z0-9_-]+)$/.exec(k.slice(prefix.length - 1));
      if (m) ids.push(m[1]!);
    }
  }
  while (cursor !== '0');
  const strays = ids.filter((id) => !acknowledged.has(id));
  const records = await cluster.store.getMany(strays);
  const stuck: Record<string, number> = {};
  let terminal = 0;
  for (const r of records) {
    if (!r) continue;
    if (isTerminal(r.status)) terminal++;
    else stuck[r.status as JobStatus] = (stuck[r.status] ?? 0) + 1;
  }
  return { stored: strays.length, terminal, stuck };
}
