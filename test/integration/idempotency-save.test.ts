import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createKeys } from '../../src/core/keys.js';
import { startRedisServer } from '../support/redis-server.js';
import { eventually, startStack } from '../support/test-stack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('when the first answer of an Idempotency-Key cannot be saved', () => {
  it('keeps the key claimed and saves it once Redis takes it: a retry never makes a second job', async () => {
    const redis = await startRedisServer();
    const stack = await startStack({ redis: redis.url, executor: false });
    const admin = new Redis(redis.url);
    try {
      const keys = createKeys(stack.config.server.keyPrefix);
      const idemKey = keys.idempotency('public', createHash('sha256').update('save-fails').digest('hex'));
      const body = { target: 'echo', input: { n: 1 } };
      const post = (prefer?: string) => {
        const req = stack.request.post('/v1/jobs').set('Idempotency-Key', '"save-fails"');
        return (prefer ? req.set('Prefer', prefer) : req).send(body).then((r) => r);
      };

      // The first request is held 1 s (Prefer: wait, no executor) after its job is stored.
      const firstAnswer = post('wait=1');
      await eventually(async () => (await admin.zcard(keys.tenantJobs('public'))) === 1);
      // Meanwhile Redis fills up (noeviction): it refuses every write that needs memory, the
      // save of the first answer among them, while the job is already stored.
      await admin.config('SET', 'maxmemory', '1');
      const first = await firstAnswer;
      expect(first.status).toBe(202);
      await sleep(300);
      expect(JSON.parse((await admin.get(idemKey))!)).toMatchObject({ state: 'pending' });

      // The pending claim's 60 s lease is nearly over (as if Redis stayed full for a minute).
      await admin.pexpire(idemKey, 1_500);
      await sleep(3_000);
      await admin.config('SET', 'maxmemory', '0');

      // A retry right after Redis recovers: the first answer, or "still in use", never a new job.
      const again = await post();
      if (again.status === 202) {
        expect(again.body.id).toBe(first.body.id);
        expect(again.headers['idempotent-replayed']).toBe('true');
      } else {
        expect(again.status).toBe(409);
        expect(again.body.code).toBe('idempotency_key_in_use');
      }
      // And soon the saved first answer.
      const replayed = await eventually(async () => {
        const r = await post();
        return r.status === 202 && r.headers['idempotent-replayed'] === 'true' ? r : null;
      });
      expect(replayed.body).toEqual(first.body);
      expect(await admin.zcard(keys.tenantJobs('public'))).toBe(1);
      expect(stack.logs.lines.some((l) => l.event === 'idempotency.save_failed')).toBe(true);
      expect(stack.logs.lines.some((l) => l.event === 'idempotency.saved')).toBe(true);
    } finally {
      await admin.config('SET', 'maxmemory', '0').catch(() => undefined);
      admin.disconnect();
      await stack.close();
      await redis.destroy();
    }
  });
});
