import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, type RedisClient } from '../../src/core/redis.js';
import { JobStore } from '../../src/core/job-store.js';
import { createKeys } from '../../src/core/keys.js';
import { createLogger } from '../../src/core/logger.js';
import { TenantAdmission } from '../../src/core/tenant-admission.js';
import { InFlightAudit } from '../../src/jobs/in-flight-audit.js';
import { queuedRecord } from '../support/job-record.js';
import { deleteMatching } from '../support/redis-keys.js';
import { LogSink, testRedisTarget, uniquePrefix } from '../support/test-stack.js';

describe('the in-flight audit: slots a gateway died holding', () => {
  let redis: RedisClient;
  const keys = createKeys(uniquePrefix());
  const logs = new LogSink();
  const GRACE = 60_000;
  const limits = { requestsPerWindow: 1_000, windowMs: 60_000, maxInFlightJobs: 10 };
  beforeAll(() => {
    redis = createRedis(testRedisTarget(), 'worker', 'test');
  });
  afterAll(async () => {
    await deleteMatching(redis, `${keys.prefix}:*`);
    redis.disconnect();
  });

  it('frees the slot of a job admitted but never stored, or ended without its effect, once past the grace, and nothing else', async () => {
    const admission = new TenantAdmission(redis, keys, 86_400_000);
    const store = new JobStore(redis, keys);
    const now = Date.now();
    // Admitted two minutes ago, then its gateway died before writing the record.
    const orphan = queuedRecord(now, { tenant: 'acme' });
    expect((await admission.admit('acme', orphan.id, limits, now - 2 * GRACE)).admitted).toBe(true);
    // Admitted as long ago and stored: an unfinished job, whatever its age.
    const stored = queuedRecord(now, { tenant: 'acme' });
    expect((await admission.admit('acme', stored.id, limits, now - 2 * GRACE)).admitted).toBe(true);
    await store.create(stored);
    // Admitted as long ago, stored and ended, but its end's outbox effect never ran.
    const ended = queuedRecord(now, { tenant: 'acme', status: 'succeeded', finishedAtMs: now - GRACE });
    expect((await admission.admit('acme', ended.id, limits, now - 2 * GRACE)).admitted).toBe(true);
    await store.create(ended);
    // Admitted a moment ago, record not written yet: its submit may still be on its way.
    const fresh = queuedRecord(now, { tenant: 'other' });
    expect((await admission.admit('other', fresh.id, limits, now - 1_000)).admitted).toBe(true);

    const audit = new InFlightAudit(redis, keys, createLogger({ level: 'debug', name: 'test' }, logs), { graceMs: GRACE });
    expect(await audit.runOnce(now)).toBe(2);
    expect(await redis.zscore(keys.tenantInFlight('acme'), orphan.id)).toBeNull();
    expect(await redis.zscore(keys.tenantInFlight('acme'), ended.id)).toBeNull();
    expect(await redis.zscore(keys.tenantInFlight('acme'), stored.id)).not.toBeNull();
    expect(await redis.zscore(keys.tenantInFlight('other'), fresh.id)).not.toBeNull();
    expect(logs.lines.find((l) => l.event === 'in_flight.leftovers_freed')).toMatchObject({ count: 2 });
    expect((logs.lines.find((l) => l.event === 'in_flight.leftovers_freed')!.jobIds as string[]).sort()).toEqual([orphan.id, ended.id].sort());
    // The room is the tenant's again: a second round finds nothing to do.
    expect(await audit.runOnce(now)).toBe(0);
  });

  it('removes an entry only while it is still older than the cutoff (a replay may renew it between the read and the removal)', async () => {
    const now = Date.now();
    const key = keys.tenantInFlight('late');
    await redis.zadd(key, now - 2 * GRACE, 'job_stale', now, 'job_renewed');
    // The removal step the audit runs once it has read both as stale and checked their records.
    new InFlightAudit(redis, keys, createLogger({ level: 'silent', name: 'test' }, logs), { graceMs: GRACE });
    expect(await redis.agFreeStaleInFlight(key, String(now - GRACE), 'job_stale', 'job_renewed', 'job_absent')).toBe(1);
    expect(await redis.zscore(key, 'job_stale')).toBeNull();
    expect(await redis.zscore(key, 'job_renewed')).not.toBeNull();
  });
});
