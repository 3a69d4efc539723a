import type { ChildEntry } from '../../support/processes.js';

// Reading the children's logs after a scenario: what went wrong in kind, and one job's story.

/**
 * Distinct error messages the processes logged at level error or worse (pino level >= 50),
 * with counts: a fault's side effects that the audit's numbers alone would not explain
 * (a 500 where a 503 was due, say).
 */
export function loggedErrors(procs: readonly ChildEntry[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of procs) {
    for (const line of p.lines) {
      if (typeof line.level !== 'number' || line.level < 50) continue;
      const err = line.err as { message?: unknown } | undefined;
      // Job ids and ports vary per line; the kind of error is what is worth counting.
      const message = String(err?.message ?? '').replace(/job_[A-Za-z0-9_-]+/g, 'job_*').replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:*').slice(0, 120);
      const key = `${String(line.msg ?? '')}${message ? ` (${message})` : ''}`;
      out[key] = (out[key] ?? 0) + 1;
    }
  }
  return out;
}

/** Every log line that names `jobId`, from every process, in time order: one job's story across processes. */
export function jobTrail(procs: readonly ChildEntry[], jobId: string): string[] {
  const rows: { time: string; text: string }[] = [];
  for (const p of procs) {
    for (const line of p.lines) {
      if (line.jobId !== jobId && !JSON.stringify(line).includes(jobId)) continue;
      const { time, event, msg, attempt, err, error } = line as Record<string, unknown>;
      rows.push({ time: String(time), text: `${String(time)} pid ${p.pid} ${p.entry.split('/').slice(-2, -1)[0] ?? p.entry} ${String(event ?? '')} ${String(msg ?? '')} attempt=${String(attempt ?? '')} ${err ? JSON.stringify(err).slice(0, 200) : ''} ${error ? JSON.stringify(error) : ''}` });
    }
  }
  return rows.sort((a, b) => a.time.localeCompare(b.time)).map((r) => r.text);
}
