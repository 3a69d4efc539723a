import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys, bearer as as } from '../support/api-keys.js';
import { DEMO_TARGETS, startStack, testConfig, type TestStack } from '../support/test-stack.js';
import { expectToMatchSpec } from '../contract/contract.js';

const { tokens, auth } = apiKeys({ acme: 'client', globex: 'client', ops: 'admin' });
const { acme, globex, ops: admin } = tokens;

describe('API keys and tenancy', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({
      config: testConfig({
        targets: DEMO_TARGETS,
        auth,
      }),
    });
  });
  afterAll(async () => {
    await stack.close();
  });

  it('answers 401 with WWW-Authenticate without a key or with a wrong one, and serves health checks to anyone', async () => {
    for (const headers of [{}, { Authorization: 'Bearer agk_wrong' }, { Authorization: `Basic ${acme}` }, { Authorization: `Bearer ${acme}x` }]) {
      const res = await stack.request.post('/v1/jobs').set(headers).send({ target: 'echo' });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('unauthorized');
      expect(res.headers['www-authenticate']).toContain('Bearer');
      await expectToMatchSpec('post', '/v1/jobs', res);
    }
    expect((await stack.request.get('/healthz')).status).toBe(200);
    expect((await stack.request.get('/readyz')).status).toBe(200);
    expect((await stack.request.get('/openapi.yaml')).status).toBe(200);
  });

  it("hides one tenant's jobs from another exactly like unknown ids, on every route", async () => {
    const mine = await stack.request.post('/v1/jobs').set(as(acme)).set('Prefer', 'wait=10').send({ target: 'echo', input: { secret: 1 } });
    expect(mine.status).toBe(200);
    const id = mine.body.id as string;
    const unknown = 'job_AAAAAAAAAAAAAAAAAAAAAAAAAA';
    const routes: [string, string][] = [
      ['get', `/v1/jobs/${id}`],
      ['get', `/v1/jobs/${id}/result`],
      ['get', `/v1/jobs/${id}/events`],
      ['get', `/v1/jobs/${id}/deliveries`],
      ['post', `/v1/jobs/${id}/cancel`],
      ['delete', `/v1/jobs/${id}`],
    ];
    for (const [method, path] of routes) {
      const theirs = await stack.request[method as 'get'](path).set(as(globex));
      const missing = await stack.request[method as 'get'](path.replace(id, unknown)).set(as(globex));
      expect(theirs.status, path).toBe(404);
      expect({ ...theirs.body, instance: undefined, requestId: undefined, detail: undefined }).toEqual({
        ...missing.body,
        instance: undefined,
        requestId: undefined,
        detail: undefined,
      });
    }
    expect((await stack.request.get('/v1/jobs').set(as(globex))).body.items).toEqual([]);
    expect((await stack.request.get('/v1/jobs').set(as(acme))).body.items.map((j: { id: string }) => j.id)).toEqual([id]);
    expect((await stack.request.get(`/v1/jobs/${id}/result`).set(as(acme))).body).toEqual({ echo: { secret: 1 } });
  });

  it('keeps the admin endpoints for the admin role', async () => {
    const client = await stack.request.get('/v1/admin/targets').set(as(acme));
    expect(client.status).toBe(403);
    expect(client.body.code).toBe('forbidden');
    await expectToMatchSpec('get', '/v1/admin/targets', client);
    expect((await stack.request.get('/v1/admin/targets').set(as(admin))).status).toBe(200);
    expect((await stack.request.get('/v1/admin/dead-letters').set(as(admin))).status).toBe(200);
  });

  it('never writes a key to the logs', async () => {
    await stack.request.get('/v1/jobs').set(as(acme));
    await stack.request.get('/v1/jobs').set({ Authorization: 'Bearer agk_not_a_real_key' });
    const text = JSON.stringify(stack.logs.lines);
    expect(text).not.toContain(acme);
    expect(text).not.toContain('agk_not_a_real_key');
    expect(stack.logs.lines.some((l) => l.event === 'job.accepted' && l.tenant === 'acme')).toBe(true);
  });
});
