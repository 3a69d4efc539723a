import type { RedisClient } from './redis.js';
import type { JobRecord } from './job-record.js';
import type { JobStatus } from './job-schema.js';
import type { JobStore } from './job-store.js';
import type { Keys } from './keys.js';

export interface ListPage {
  records: JobRecord[];
  nextCursor: string | null;
}

export interface ListFilter {
  status?: JobStatus;
  target?: string;
  correlationId?: string;
  metadata?: Record<string, string>;
}

/** How many index entries one list call may read before it returns what it has. */
const LIST_SCAN_CAP = 1_000;

/**
 * A tenant's jobs, newest first (`GET /v1/jobs`): its index (`<p>:tenant:{t}:jobs`, written
 * at admission) paged by an opaque cursor, each page's records read and filtered.
 */
export class TenantJobList {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly store: Pick<JobStore, 'getMany'>,
  ) {}

  /** Newest first; the cursor is opaque to clients (score and id of the last item). */
  async page(tenant: string, limit: number, cursor: Cursor | null, filter: ListFilter): Promise<ListPage> {
    const indexKey = this.keys.tenantJobs(tenant);
    const out: JobRecord[] = [];
    let position = cursor;
    let scanned = 0;
    while (out.length < limit && scanned < LIST_SCAN_CAP) {
      const batch = await this.indexPage(indexKey, position, Math.min(100, limit * 2 + 10));
      if (batch.length === 0) return { records: out, nextCursor: null };
      scanned += batch.length;
      const records = await this.store.getMany(batch.map((b) => b.id));
      const gone: string[] = [];
      for (let i = 0; i < batch.length && out.length < limit; i++) {
        const entry = batch[i]!;
        position = entry;
        const record = records[i];
        if (!record) gone.push(entry.id);
        else if (record.tenant === tenant && matches(record, filter)) out.push(record);
      }
      // Finished jobs expire on their own; their index entries are dropped as they are met.
      if (gone.length) await this.redis.zrem(indexKey, ...gone);
    }
    return { records: out, nextCursor: position ? encodeCursor(position) : null };
  }

  private async indexPage(key: string, after: Cursor | null, count: number): Promise<Cursor[]> {
    const max = after ? String(after.score) : '+inf';
    const out: Cursor[] = [];
    let offset = 0;
    // Entries sharing the cursor's score are ordered by member; skip those already returned.
    for (;;) {
      const raw = await this.redis.zrevrangebyscore(key, max, '-inf', 'WITHSCORES', 'LIMIT', offset, count);
      if (raw.length === 0) return out;
      for (let i = 0; i < raw.length; i += 2) {
        const entry = { id: raw[i]!, score: Number(raw[i + 1]) };
        if (after && entry.score === after.score && entry.id >= after.id) continue;
        out.push(entry);
      }
      if (out.length > 0 || raw.length < count * 2) return out;
      offset += count;
    }
  }
}

export interface Cursor {
  score: number;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(`${c.score}:${c.id}`).toString('base64url');
}

export function decodeCursor(raw: string): Cursor | null {
  const text = Buffer.from(raw, 'base64url').toString('utf8');
  const m = /^(\d{1,16}):(job_[A-Za-z0-9_-]{26})$/.exec(text);
  return m ? { score: Number(m[1]), id: m[2]! } : null;
}

function matches(r: JobRecord, f: ListFilter): boolean {
  if (f.status && r.status !== f.status) return false;
  if (f.target && r.target !== f.target) return false;
  if (f.correlationId && r.correlationId !== f.correlationId) return false;
  if (f.metadata) {
    for (const [k, v] of Object.entries(f.metadata)) if (r.metadata[k] !== v) return false;
  }
  return true;
}


