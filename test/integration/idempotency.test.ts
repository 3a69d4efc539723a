import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys } from '../support/api-keys.js';
import { DEMO_TARGETS, startStack, testConfig, type TestStack } from '../support/test-stack.js';

const { tokens, auth } = apiKeys({ acme: 'client', globex: 'client' });
const { acme, globex } = tokens;

describe('Idempotency-Key', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({
      executor: false,
      config: testConfig({
        targets: DEMO_TARGETS,
        auth,
        tenants: { overrides: { acme: { idempotencyWindowSeconds: 3_600 } } },
      }),
    });
  });
  afterAll(async () => {
    await stack.close();
  });
  const post = (key: string, idem: string, body: unknown) =>
    stack.request.post('/v1/jobs').set({ Authorization: `Bearer ${key}`, 'Idempotency-Key': idem }).send(body as object);
  const jobsOf = async (key: string) => (await stack.request.get('/v1/jobs?limit=100').set('Authorization', `Bearer ${key}`)).body.items as { id: string }[];

  it('returns the first answer (status, headers, body) for a retry, without a second job', async () => {
    const before = (await jobsOf(acme)).length;
    const first = await post(acme, '"order-1"', { target: 'echo', input: { n: 1 } });
    const again = await post(acme, 'order-1', { target: 'echo', input: { n: 1 } }); // a bare token is the same key
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    for (const h of ['location', 'operation-location', 'retry-after', 'content-type']) expect(again.headers[h]).toBe(first.headers[h]);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect((await jobsOf(acme)).length).toBe(before + 1);
    const ttl = await stack.redis.ttl((await stack.keys(`${stack.config.server.keyPrefix}:tenant:{acme}:idem:*`))[0]!);
    expect(ttl).toBeGreaterThan(3_500);
    expect(ttl).toBeLessThanOrEqual(3_600);
  });

  it('answers 422 when the same key comes with a different request', async () => {
    await post(acme, 'order-2', { target: 'echo', input: { n: 2 } });
    const other = await post(acme, 'order-2', { target: 'echo', input: { n: 3 } });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('idempotency_key_reused');
  });

  it('makes exactly one job out of many parallel identical requests', async () => {
    const before = (await jobsOf(acme)).length;
    const answers = await Promise.all(Array.from({ length: 25 }, () => post(acme, 'burst-1', { target: 'echo', input: { burst: true } })));
    const statuses = new Set(answers.map((a) => a.status));
    expect([...statuses].every((s) => s === 202 || s === 409)).toBe(true);
    const ids = new Set(answers.filter((a) => a.status === 202).map((a) => a.body.id));
    expect(ids.size).toBe(1);
    for (const a of answers.filter((x) => x.status === 409)) {
      expect(a.body.code).toBe('idempotency_key_in_use');
      expect(a.headers['retry-after']).toBe('1');
    }
    expect((await jobsOf(acme)).length).toBe(before + 1);
  });

  it('scopes keys per tenant', async () => {
    const a = await post(acme, 'shared-key', { target: 'echo' });
    const g = await post(globex, 'shared-key', { target: 'echo' });
    expect(a.status).toBe(202);
    expect(g.status).toBe(202);
    expect(g.body.id).not.toBe(a.body.id);
  });

  it('remembers nothing for a refused request, so a corrected retry goes through', async () => {
    const bad = await post(acme, 'fix-me', { target: 'nope' });
    expect(bad.status).toBe(422);
    const fixed = await post(acme, 'fix-me', { target: 'echo' });
    expect(fixed.status).toBe(202);
  });

  it('refuses a malformed key with 400', async () => {
    for (const idem of ['"unterminated', 'two, items', `"${'x'.repeat(300)}"`, '""']) {
      const res = await post(acme, idem, { target: 'echo' });
      expect(res.status, idem).toBe(400);
      expect(res.body.code).toBe('invalid_idempotency_key');
    }
  });
});
