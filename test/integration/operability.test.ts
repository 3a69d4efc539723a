import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/observability/metrics.js';
import { apiKeys, bearer } from '../support/api-keys.js';
import { sample } from '../support/prom.js';
import { DEMO_TARGETS, eventually, startStack, testConfig, type TestStack } from '../support/test-stack.js';

const { tokens, auth } = apiKeys({ acme: 'client', ops: 'admin', prom: 'metrics' });

/**
 * /metrics, /readyz and the dashboard's session, on one in-process stack sharing one
 * registry (as `npm start` does). Targets: echo (served), flaky (served), idle (never
 * served by any executor, to show what "no worker" looks like).
 */
describe('operability: metrics, readiness and dashboard sessions', () => {
  let stack: TestStack;
  const metrics = createMetrics({ process: 'all-in-one' });
  const scrape = async () => {
    const res = await stack.request.get('/metrics').set(bearer(tokens.prom));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    return res.text;
  };

  beforeAll(async () => {
    stack = await startStack({
      metrics,
      executor: false,
      config: testConfig({ targets: { ...DEMO_TARGETS, idle: { kind: 'handler', handler: 'echo' } }, auth }),
    });
    await stack.startExecutor(['echo', 'flaky', 'fail']);
  });
  afterAll(async () => {
    await stack.close();
  });

  it('counts accepted, started, failed and finished jobs by target, with run and wait histograms', async () => {
    const before = await scrape();
    const ok = await stack.request.post('/v1/jobs').set(bearer(tokens.acme)).set('Prefer', 'wait=10').send({ target: 'echo', input: { a: 1 } });
    const flaky = await stack.request.post('/v1/jobs').set(bearer(tokens.acme)).set('Prefer', 'wait=10').send({ target: 'flaky', input: { failTimes: 2 } });
    const bad = await stack.request.post('/v1/jobs').set(bearer(tokens.acme)).set('Prefer', 'wait=10').send({ target: 'fail' });
    expect([ok.body.status, flaky.body.status, bad.body.status]).toEqual(['succeeded', 'succeeded', 'failed']);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);

    expect(delta('asyncgw_jobs_accepted_total', { target: 'echo' })).toBe(1);
    expect(delta('asyncgw_jobs_accepted_total', { target: 'flaky' })).toBe(1);
    expect(delta('asyncgw_job_attempts_started_total', { target: 'flaky' })).toBe(3);
    expect(delta('asyncgw_job_attempts_failed_total', { target: 'flaky', code: 'flaky_failure' })).toBe(2);
    expect(delta('asyncgw_jobs_finished_total', { target: 'flaky', outcome: 'succeeded' })).toBe(1);
    expect(delta('asyncgw_jobs_finished_total', { target: 'fail', outcome: 'failed' })).toBe(1);
    expect(delta('asyncgw_jobs_dead_lettered_total', { target: 'fail' })).toBe(1);
    expect(delta('asyncgw_job_run_duration_seconds_count', { target: 'flaky', outcome: 'failed' })).toBe(2);
    expect(delta('asyncgw_job_queue_wait_seconds_count', { target: 'echo' })).toBe(1);
    // Route templates, never raw ids, label the HTTP histogram.
    expect(delta('asyncgw_http_request_duration_seconds_count', { route: '/v1/jobs', method: 'POST', status: '200' })).toBe(3);
    expect(after).not.toContain(ok.body.id as string);
    // The dead letter shows in the gauge.
    expect(sample(after, 'asyncgw_dead_letters')).toBeGreaterThanOrEqual(1);
    // Every target's outbox backlog is reported, and drains to 0 once the ends above are relayed.
    await eventually(async () => {
      const now = await scrape();
      return ['echo', 'fail', 'flaky', 'idle'].every((target) => sample(now, 'asyncgw_outbox_entries', { target }) === 0);
    });
  });

  it('labels a job id route by its template', async () => {
    const job = await stack.request.post('/v1/jobs').set(bearer(tokens.acme)).send({ target: 'echo' });
    await stack.request.get(`/v1/jobs/${job.body.id as string}`).set(bearer(tokens.acme));
    await stack.request.get('/v1/jobs/job_AAAAAAAAAAAAAAAAAAAAAAAAAA').set(bearer(tokens.acme));
    const text = await scrape();
    expect(sample(text, 'asyncgw_http_request_duration_seconds_count', { route: '/v1/jobs/:id', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'asyncgw_http_request_duration_seconds_count', { route: '/v1/jobs/:id', status: '404' })).toBeGreaterThanOrEqual(1);
  });

  it('reports queue depth and the age of the job waiting longest, read from Redis at scrape time', async () => {
    // "idle" has no executor: what it holds waits, and its age grows.
    const submitted = Date.now();
    const res = await stack.request.post('/v1/jobs').set(bearer(tokens.acme)).send({ target: 'idle' });
    expect(res.status).toBe(202);
    const accepted = Date.now();
    await new Promise((r) => setTimeout(r, 300));
    const scrapeStart = Date.now();
    const text = await scrape();
    const scrapeEnd = Date.now();
    expect(sample(text, 'asyncgw_queue_jobs', { target: 'idle', state: 'waiting' })).toBe(1);
    const age = sample(text, 'asyncgw_queue_oldest_waiting_seconds', { target: 'idle' })!;
    // The job was created between `submitted` and `accepted`, and the age read between the scrape's ends.
    expect(age).toBeGreaterThanOrEqual((scrapeStart - accepted) / 1_000 - 0.001);
    expect(age).toBeLessThanOrEqual((scrapeEnd - submitted) / 1_000 + 0.001);
    expect(sample(text, 'asyncgw_queue_oldest_waiting_seconds', { target: 'echo' })).toBe(0);
  });

  it('counts workers per target from heartbeats; /readyz says which targets have none, and fails only when asked to be strict', async () => {
    const text = await scrape();
    expect(sample(text, 'asyncgw_workers_seen', { target: 'echo' })).toBe(1);
    expect(sample(text, 'asyncgw_workers_seen', { target: 'idle' })).toBe(0);

    const ready = await stack.request.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'degraded', checks: { redis: 'ok', workers: { echo: 1, flaky: 1, fail: 1, idle: 0 }, targetsWithoutWorkers: ['idle'] } });
    expect((await stack.request.get('/readyz?strict=true')).status).toBe(503);

    // A second executor for "idle" joins the roll-call at once, and leaves it when it stops.
    const extra = await stack.startExecutor(['idle']);
    const joined = await stack.request.get('/readyz?strict=true');
    expect(joined.status).toBe(200);
    expect(joined.body.status).toBe('ready');
    await extra.close(1_000);
    const left = await stack.request.get('/readyz');
    expect(left.body.checks.workers.idle).toBe(0);
  });

  it('lets a metrics key read /metrics and nothing else; a client key may not read it', async () => {
    expect((await stack.request.get('/metrics').set(bearer(tokens.acme))).status).toBe(403);
    expect((await stack.request.get('/metrics')).status).toBe(401);
    expect((await stack.request.get('/metrics').set(bearer(tokens.ops))).status).toBe(200);
    const submit = await stack.request.post('/v1/jobs').set(bearer(tokens.prom)).send({ target: 'echo' });
    expect(submit.status).toBe(403);
    expect((await stack.request.get('/v1/admin/targets').set(bearer(tokens.prom))).status).toBe(403);
  });

  describe('dashboard sessions', () => {
    const cookieOf = (res: { headers: Record<string, unknown> }) => {
      const set = res.headers['set-cookie'] as string[] | undefined;
      return set?.[0]?.split(';')[0] ?? '';
    };

    it('signs an admin in with a HttpOnly SameSite=Strict cookie that opens the operator API only', async () => {
      const signIn = await stack.request.post('/admin/session').send({ apiKey: tokens.ops });
      expect(signIn.status).toBe(204);
      const setCookie = (signIn.headers['set-cookie'] as unknown as string[])[0]!;
      expect(setCookie).toMatch(/^agw_admin=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=28800$/);
      const cookie = cookieOf(signIn);
      // The session stores no key: only the token's hash points at the key's id.
      const stored = await stack.keys(`${stack.config.server.keyPrefix}:admin-session:*`);
      expect(stored).toHaveLength(1);
      expect(await stack.redis.get(stored[0]!)).toBe('ops-key');

      expect((await stack.request.get('/v1/admin/targets').set('Cookie', cookie)).status).toBe(200);
      expect((await stack.request.get('/admin/session').set('Cookie', cookie)).body).toEqual({ keyId: 'ops-key', tenant: 'ops', role: 'admin' });
      expect((await stack.request.get('/admin/queues/api/queues').set('Cookie', cookie)).status).toBe(200);
      // Not a key for the job API.
      expect((await stack.request.get('/v1/jobs').set('Cookie', cookie)).status).toBe(401);

      // A state change needs our own Origin (a cross-site form post would carry another, or none).
      const pause = () => stack.request.post('/v1/admin/targets/idle/pause').set('Cookie', cookie).set('Host', 'gateway.test');
      expect((await pause()).status).toBe(403);
      expect((await pause().set('Origin', 'http://evil.example')).status).toBe(403);
      const paused = await pause().set('Origin', 'http://gateway.test');
      expect(paused.status).toBe(200);
      expect(paused.body.counts.paused).toBe(true);
      await stack.request.post('/v1/admin/targets/idle/resume').set('Cookie', cookie).set('Host', 'gateway.test').set('Origin', 'http://gateway.test');

      const signOut = await stack.request.delete('/admin/session').set('Cookie', cookie);
      expect(signOut.status).toBe(204);
      expect((await stack.request.get('/v1/admin/targets').set('Cookie', cookie)).status).toBe(401);
      expect(await stack.keys(`${stack.config.server.keyPrefix}:admin-session:*`)).toEqual([]);
    });

    it('refuses a client key, a wrong key and a malformed body, and creates no session', async () => {
      expect((await stack.request.post('/admin/session').send({ apiKey: tokens.acme })).status).toBe(403);
      expect((await stack.request.post('/admin/session').send({ apiKey: 'agk_nope' })).status).toBe(401);
      const malformed = await stack.request.post('/admin/session').send({ key: tokens.ops });
      expect(malformed.status).toBe(422);
      expect(malformed.body.code).toBe('validation_failed');
      expect(await stack.keys(`${stack.config.server.keyPrefix}:admin-session:*`)).toEqual([]);
    });

    it('serves the dashboard shell to anyone (it holds no data) and the raw queue view only to admins', async () => {
      const shell = await stack.request.get('/admin/');
      expect(shell.status).toBe(200);
      expect(shell.text).toContain('operator dashboard');
      expect((await stack.request.get('/admin')).status).toBe(301);
      expect((await stack.request.get('/admin/queues')).status).toBe(401);
      expect((await stack.request.get('/admin/queues').set(bearer(tokens.acme))).status).toBe(403);
      const board = await stack.request.get('/admin/queues').set(bearer(tokens.ops));
      expect(board.status).toBe(200);
      expect(board.text).toContain('async-gateway queues');
    });
  });

  it('shows one job to an admin with its tenant, attempts and deliveries, and lists a target\'s jobs', async () => {
    const job = await stack.request.post('/v1/jobs').set(bearer(tokens.acme)).set('Prefer', 'wait=10').send({ target: 'flaky', input: { failTimes: 1 } });
    const id = job.body.id as string;
    const view = await stack.request.get(`/v1/admin/jobs/${id}`).set(bearer(tokens.ops));
    expect(view.status).toBe(200);
    expect(view.body.tenant).toBe('acme');
    expect(view.body.job).toMatchObject({ id, status: 'succeeded', attempts: 2 });
    expect(view.body.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['failed', 'succeeded']);
    expect(view.body.deliveries).toEqual([]);
    // No trace viewer configured: no link to one.
    expect(view.body.traceUrl).toBeNull();
    expect(view.body.job.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect((await stack.request.get('/v1/admin/jobs/job_AAAAAAAAAAAAAAAAAAAAAAAAAA').set(bearer(tokens.ops))).status).toBe(404);

    const recent = await eventually(async () => {
      const r = await stack.request.get('/v1/admin/targets/flaky/jobs?view=recent&limit=5').set(bearer(tokens.ops));
      return r.body.items?.[0]?.id === id ? r : null;
    });
    expect(recent.body.items[0].status).toBe('succeeded');
    // "idle" has no executor (the one started earlier has stopped): its job stays in the queue.
    const waiting = await stack.request.post('/v1/jobs').set(bearer(tokens.acme)).send({ target: 'idle' });
    const live = await stack.request.get('/v1/admin/targets/idle/jobs?view=live').set(bearer(tokens.ops));
    expect(live.body.items.map((j: { id: string }) => j.id)).toContain(waiting.body.id);
    expect(live.body.items.every((j: { status: string }) => j.status === 'queued')).toBe(true);
    expect((await stack.request.get('/v1/admin/targets/idle/jobs?view=other').set(bearer(tokens.ops))).status).toBe(400);

    const activity = await stack.request.get('/v1/admin/activity?minutes=5').set(bearer(tokens.ops));
    expect(activity.status).toBe(200);
    expect(activity.body.bucketSeconds).toBe(60);
    expect(activity.body.targets.flaky).toHaveLength(5);
    const flakyDone = activity.body.targets.flaky.reduce((n: number, m: { counts: { succeeded?: number } }) => n + (m.counts.succeeded ?? 0), 0);
    expect(flakyDone).toBeGreaterThanOrEqual(2);
  });
});
