import { expect } from 'vitest';
import { isDeepStrictEqual } from 'node:util';
import type { JobRecord } from '../../../src/core/job-record.js';
import { isTerminal, type HttpResult } from '../../../src/core/job-schema.js';
import { sleep } from './client.js';
import type { Cluster } from './cluster.js';
import type { Receiver } from './receiver.js';

/**
 * The end of every scenario: hold the system to each 202 it gave. Every accepted job
 * must reach a terminal state with the outcome planned for it (the echo of its input,
 * or the failure its plan leads to), its target's queue must drain, and the receiver
 * must have seen its webhook. Counts are reported even when they are bad, so a failed
 * run still says what it lost.
 */

export type Expect = { status: 'succeeded'; result: unknown; http?: boolean } | { status: 'failed'; codes: string[] };

export interface Tracked {
  id: string;
  expect: Expect;
  /** Submitted with a callback to the receiver. */
  callback: boolean;
}

export interface AuditOptions {
  cluster: Cluster;
  jobs: readonly Tracked[];
  targets: readonly string[];
  receiver?: Receiver;
  /** Failure codes the fault itself may cause on any job (worker_lost where executors die). */
  toleratedFailures?: readonly string[];
  timeoutMs: number;
}

export interface WebhookFigures {
  expected: number;
  delivered: number;
  /** Extra copies of a webhook id the receiver took in (at-least-once: drop them by webhook-id). */
  duplicates: number;
  /** Jobs whose receiver saw two different webhook ids (the job ended twice). */
  notifiedTwice: number;
  badSignatures: number;
  /**
   * Anything not delivered: breaks the guarantee. There is no allowance for a process that
   * died between a job's end and its webhook: the end writes the webhook into its target's
   * outbox in the same script, and a relay of another process carries it out.
   */
  missing: string[];
}

export interface AuditReport {
  accepted: number;
  succeeded: number;
  failedAsPlanned: number;
  /** Failures the fault caused, by code (tolerated). */
  failedByFault: Record<string, number>;
  /** Accepted jobs with no record, or never terminal by the deadline. */
  lost: string[];
  /** Of those: the ones whose record is gone altogether (what a Redis that lost writes would show). */
  noRecord: string[];
  /** Terminal, but not as planned: wrong status, code or result. */
  wrong: string[];
  /** Attempts recorded in total, and those lost with their worker. */
  attempts: number;
  lostAttempts: number;
  /** When each lost attempt was noticed (by the executor that took the job up again), ms. */
  lostNoticedAtMs: number[];
  /** BullMQ entries left in the targets' queues once every job is terminal. */
  queuesLeft: number;
  /** Terminal jobs still holding an in-flight slot of their tenant (an end whose outbox effect was lost). */
  inFlightLeft: number;
  webhooks?: WebhookFigures;
}

const CHUNK = 500;

async function readAll(cluster: Cluster, ids: readonly string[]): Promise<Map<string, JobRecord | null>> {
  const out = new Map<string, JobRecord | null>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    const part = ids.slice(i, i + CHUNK);
    const records = await cluster.store.getMany(part);
    part.forEach((id, j) => out.set(id, records[j] ?? null));
  }
  return out;
}

/**
 * Waits until every job is terminal, or until nothing can move any more: the deadline,
 * or no progress while the targets' queues stayed empty for longer than a stalled job
 * takes to come back (a record with no queue entry left waits for nobody).
 */
async function untilTerminal(cluster: Cluster, ids: readonly string[], targets: readonly string[], deadline: number): Promise<Map<string, JobRecord | null>> {
  const quietMs = Math.max(...[...cluster.config.targets.values()].map((t) => t.lockDurationMs + t.stalledIntervalMs)) + 5_000;
  let pending = [...ids];
  let quietSince: number | null = null;
  while (pending.length && Date.now() < deadline) {
    const seen = await readAll(cluster, pending);
    const before = pending.length;
    pending = pending.filter((id) => {
      const r = seen.get(id);
      return !r || !isTerminal(r.status);
    });
    if (!pending.length) break;
    const depth = (await Promise.all(targets.map((t) => cluster.queueDepth(t)))).reduce((a, b) => a + b, 0);
    if (pending.length < before || depth > 0) quietSince = null;
    else quietSince ??= Date.now();
    if (quietSince !== null && Date.now() - quietSince > quietMs) break;
    await sleep(500);
  }
  return readAll(cluster, ids);
}

function resultMatches(record: JobRecord, expect: Extract<Expect, { status: 'succeeded' }>): boolean {
  if (record.resultJson === null) return false;
  const stored = JSON.parse(record.resultJson) as unknown;
  if (!expect.http) return isDeepStrictEqual(stored, expect.result);
  const http = stored as HttpResult;
  return http.status === 200 && http.bodyEncoding === 'utf8' && isDeepStrictEqual(JSON.parse(http.body), expect.result);
}

export async function audit(opts: AuditOptions): Promise<AuditReport> {
  const { cluster, jobs } = opts;
  const deadline = Date.now() + opts.timeoutMs;
  const records = await untilTerminal(cluster, jobs.map((j) => j.id), opts.targets, deadline);
  const tolerated = new Set(opts.toleratedFailures ?? []);
  const report: AuditReport = { accepted: jobs.length, succeeded: 0, failedAsPlanned: 0, failedByFault: {}, lost: [], noRecord: [], wrong: [], attempts: 0, lostAttempts: 0, lostNoticedAtMs: [], queuesLeft: 0, inFlightLeft: 0 };

  for (const job of jobs) {
    const r = records.get(job.id);
    if (!r || !isTerminal(r.status)) {
      report.lost.push(`${job.id} (${r ? `${r.status}, attempts ${r.attempts}` : 'no record'})`);
      if (!r) report.noRecord.push(job.id);
      continue;
    }
    const code = r.error?.code ?? '';
    if (job.expect.status === 'succeeded' && r.status === 'succeeded') {
      if (resultMatches(r, job.expect)) report.succeeded++;
      else report.wrong.push(`${job.id}: result ${r.resultJson?.slice(0, 200)}`);
    } else if (job.expect.status === 'failed' && r.status === 'failed' && job.expect.codes.includes(code)) {
      report.failedAsPlanned++;
    } else if (r.status === 'failed' && tolerated.has(code)) {
      report.failedByFault[code] = (report.failedByFault[code] ?? 0) + 1;
    } else {
      report.wrong.push(`${job.id}: ${r.status} ${code} (planned ${job.expect.status})`);
    }
  }

  for (let i = 0; i < jobs.length; i += CHUNK) {
    const lists = await Promise.all(jobs.slice(i, i + CHUNK).map((j) => cluster.store.attempts(j.id)));
    for (const list of lists) {
      report.attempts += list.length;
      const lost = list.filter((a) => a.outcome === 'lost' && a.error?.code === 'worker_lost');
      report.lostAttempts += lost.length;
      report.lostNoticedAtMs.push(...lost.map((a) => Date.parse(a.finishedAt)));
    }
  }

  // Terminal records, yet a BullMQ entry could be stranded (active for ever, say): give the
  // stalled-job check its time, then count what is left.
  for (;;) {
    const depths = await Promise.all(opts.targets.map((t) => cluster.queueDepth(t)));
    report.queuesLeft = depths.reduce((a, b) => a + b, 0);
    if (report.queuesLeft === 0 || Date.now() > deadline) break;
    await sleep(500);
  }

  // Every end frees its tenant's in-flight slot through its target's outbox, a moment after
  // the end: give the relays that moment, then count the terminal jobs still holding one.
  for (;;) {
    report.inFlightLeft = await terminalJobsInFlight(opts.cluster, records);
    if (report.inFlightLeft === 0 || Date.now() > deadline) break;
    await sleep(500);
  }

  if (opts.receiver) report.webhooks = await auditWebhooks(opts, records, deadline);
  return report;
}

async function terminalJobsInFlight(cluster: Cluster, records: Map<string, JobRecord | null>): Promise<number> {
  const ended = [...records.values()].filter((r): r is JobRecord => r !== null && isTerminal(r.status));
  const scores = await Promise.all(ended.map((r) => cluster.observer.zscore(cluster.keys.tenantInFlight(r.tenant), r.id)));
  return scores.filter((s) => s !== null).length;
}

async function auditWebhooks(opts: AuditOptions, records: Map<string, JobRecord | null>, deadline: number): Promise<WebhookFigures> {
  const { cluster, receiver } = opts;
  const withCallback = opts.jobs.filter((j) => j.callback && records.get(j.id) && isTerminal(records.get(j.id)!.status));
  const notYet = () => {
    const got = receiver!.deliveredJobs();
    return withCallback.filter((j) => !got.has(j.id));
  };
  // Done when all arrived, or when the notifier's queue and the targets' outboxes stayed
  // empty across two looks a second apart (whatever is still missing then will not come by
  // itself). An outbox entry is a webhook on its way: one a killed process had read waits
  // for another relay to claim it.
  let idleLooks = 0;
  const idle = async () => (await cluster.webhookQueueDepth()) === 0 && (await cluster.outboxDepth(opts.targets)) === 0;
  while (notYet().length && Date.now() < deadline && idleLooks < 2) {
    idleLooks = (await idle()) ? idleLooks + 1 : 0;
    await sleep(1_000);
  }
  // The receiver may have an event the notifier still retries (a stalled answer came too
  // late for it): let the notifier's own view settle before anyone reads callback states.
  while ((await cluster.webhookQueueDepth()) > 0 && Date.now() < deadline) await sleep(250);

  const figures: WebhookFigures = { expected: withCallback.length, delivered: 0, duplicates: 0, notifiedTwice: 0, badSignatures: 0, missing: [] };
  const ids = receiver!.takenIds();
  for (const n of ids.values()) figures.duplicates += n - 1;
  figures.badSignatures = receiver!.hits.filter((h) => !h.signatureValid).length;
  const idsByJob = new Map<string, Set<string>>();
  for (const h of receiver!.hits) if (h.status >= 200 && h.status < 300 && h.answered) idsByJob.set(h.jobId, (idsByJob.get(h.jobId) ?? new Set()).add(h.webhookId));
  for (const set of idsByJob.values()) if (set.size > 1) figures.notifiedTwice++;

  const missing = notYet();
  figures.delivered = withCallback.length - missing.length;
  const fresh = await readAll(cluster, missing.map((j) => j.id));
  for (const j of missing) {
    const r = fresh.get(j.id);
    const attempts = r ? (await cluster.store.deliveries(j.id)).length : 0;
    figures.missing.push(`${j.id} (callback ${r?.callbackState ?? 'no record'}, ${attempts} delivery attempts)`);
  }
  return figures;
}

/**
 * The verdict of a scenario where nothing may go wrong: every one of the `accepted` jobs
 * succeeded with the right result, no queue entry is left, and every webhook arrived signed.
 */
export function expectEveryJobDone(report: AuditReport, accepted: number): void {
  expect(report.lost).toEqual([]);
  expect(report.wrong).toEqual([]);
  expect(report.succeeded).toBe(accepted);
  expect(report.queuesLeft).toBe(0);
  expect(report.inFlightLeft).toBe(0);
  expect(report.webhooks?.missing).toEqual([]);
  expect(report.webhooks?.badSignatures ?? 0).toBe(0);
}
