import type { BatchRecord } from './batch-store.js';
import type { BatchDocument, JobStatus } from './job-schema.js';

/** A batch with its jobs' statuses, as it is read for its document. */
export interface BatchView extends Pick<BatchRecord, 'id' | 'createdAtMs' | 'jobIds' | 'callback'> {
  /** Each job's status, in order; null for a record that is gone (past its retention). */
  statuses: readonly (JobStatus | null)[];
}

/** A batch's document: its jobs in order, counted by status; completed once none is left to end. */
export function toBatchDocument(view: BatchView, baseUrl: string): BatchDocument {
  const counts: BatchDocument['counts'] = { queued: 0, running: 0, succeeded: 0, failed: 0, canceled: 0, expired: 0 };
  const jobs = view.jobIds.map((id, i) => {
    const status: BatchDocument['jobs'][number]['status'] = view.statuses[i] ?? 'expired';
    counts[status] += 1;
    return { id, status };
  });
  return {
    id: view.id,
    status: counts.queued === 0 && counts.running === 0 ? 'completed' : 'running',
    createdAt: new Date(view.createdAtMs).toISOString(),
    counts,
    jobs,
    callback: view.callback,
    links: { self: `${baseUrl}/v1/batches/${view.id}` },
  };
}
