import { newJobId } from '../../src/core/ids.js';
import type { JobRecord } from '../../src/core/job-record.js';

/**
 * A queued job's record as a submit at `nowMs` writes it (a fresh id, no attempt yet,
 * expiring a minute later), with `over` on top: the fixture the processor's tests share.
 */
export function queuedRecord(nowMs: number, over: Partial<JobRecord> = {}): JobRecord {
  const target = over.target ?? 'echo';
  return {
    id: newJobId(target),
    tenant: 'acme',
    target,
    status: 'queued',
    createdAtMs: nowMs - 1_000,
    runAtMs: null,
    expiresAtMs: nowMs + 60_000,
    startedAtMs: null,
    finishedAtMs: null,
    attempts: 0,
    maxAttempts: 3,
    priority: 0,
    progress: null,
    resultJson: null,
    error: null,
    deadLettered: false,
    cancelRequested: false,
    correlationId: 'c',
    metadata: {},
    payload: { kind: 'input' },
    callback: null,
    callbackState: null,
    ...over,
  };
}
