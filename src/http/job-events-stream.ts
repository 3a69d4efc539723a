import type { Request, Response } from 'express';
import { isTerminal } from '../core/job-schema.js';
import type { JobRecord } from '../core/job-record.js';
import type { JobService } from '../jobs/job-service.js';
import { toDocument } from '../core/job-view.js';
import { clientGone } from './respond-job.js';

/**
 * A stream re-reads its job when notified, or when the watcher's batched sweep sees the job
 * move; this own timer is only a last resort, so it is long: no read per stream per second.
 */
const STREAM_RECHECK_MS = 3_600_000;
const EVENT_ID = /^\d{1,15}$/;

/**
 * Server-sent events for one job: every stored event after `Last-Event-ID`, then
 * live ones until the terminal status, whose event also carries the finished
 * document. Event ids are the job's event sequence numbers, so a client that
 * reconnects with Last-Event-ID resumes exactly where it stopped.
 */
export async function streamJobEvents(
  req: Request,
  res: Response,
  service: JobService,
  initial: JobRecord,
  baseUrl: string,
  /** A comment line this often keeps idle proxies (nginx's 60 s proxy_read_timeout, load balancers) from cutting the stream. */
  heartbeatMs: number,
): Promise<void> {
  const store = service.eventsSource();
  const lastHeader = req.get('last-event-id');
  let last = lastHeader && EVENT_ID.test(lastHeader) ? lastHeader : null;
  const gone = clientGone(res);
  res.status(200).set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  res.write('retry: 2000\n\n');
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), heartbeatMs);
  // Armed before each read, so that a change landing between the read and the wait is not missed.
  let change: { changed: Promise<void>; disarm(): void } | null = null;
  try {
    for (;;) {
      change = service.armChange(initial.id, STREAM_RECHECK_MS, gone);
      const events = await store.eventsAfter(initial.id, last);
      for (const { id, event } of events) {
        last = id;
        const terminal = event.type === 'status' && event.status !== undefined && isTerminal(event.status);
        const data = terminal ? { ...event, job: toDocument(await service.get(initial.tenant, initial.id), baseUrl) } : event;
        res.write(`id: ${id}\nevent: ${event.type}\ndata: ${JSON.stringify({ ...data, at: new Date(event.at).toISOString() })}\n\n`);
        if (terminal) return;
      }
      if (events.length > 0) {
        change.disarm();
        continue;
      }
      const record = await service.get(initial.tenant, initial.id);
      if (isTerminal(record.status)) {
        // The event log was trimmed or expired; the record still tells the end.
        const doc = toDocument(record, baseUrl);
        res.write(`event: status\ndata: ${JSON.stringify({ type: 'status', status: record.status, at: doc.finishedAt, job: doc })}\n\n`);
        return;
      }
      // A client gone, or the gateway shutting down: the client resumes elsewhere with Last-Event-ID.
      if (gone.aborted || service.isDraining) return;
      await change.changed;
      if (gone.aborted || service.isDraining) return;
    }
  } finally {
    change?.disarm();
    clearInterval(heartbeat);
    res.end();
  }
}
