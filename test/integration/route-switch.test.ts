import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/observability/metrics.js';
import { apiKeys, bearer } from '../support/api-keys.js';
import { sample } from '../support/prom.js';
import { startStack, testConfig, type TestStack } from '../support/test-stack.js';

const { tokens, auth } = apiKeys({ acme: 'client', prom: 'metrics' });

/**
 * Switch routes end to end on the in-process stack: a submit names a route, its rules pick
 * the target by the input, and the job is that target's ordinary job with the route on its
 * document. Every refusal happens before anything is stored.
 */
describe('switch routes', () => {
  let stack: TestStack;
  const metrics = createMetrics({ process: 'all-in-one' });
  const submit = (body: object) => stack.request.post('/v1/jobs').set(bearer(tokens.acme)).send(body);
  /** The job records and the tenant's job list: a refused submit must add to neither. */
  const stored = async () => ({
    records: (await stack.keys(`${stack.config.server.keyPrefix}:job:*`)).filter((k) => /\}:job_[A-Za-z0-9_-]+$/.test(k)).sort(),
    listed: ((await stack.request.get('/v1/jobs?limit=100').set(bearer(tokens.acme))).body.items as { id: string }[]).map((j) => j.id),
  });

  beforeAll(async () => {
    stack = await startStack({
      metrics,
      config: testConfig({
        targets: { 'billing-eu': { kind: 'handler', handler: 'echo' }, 'billing-global': { kind: 'handler', handler: 'echo' } },
        routes: {
          'billing-by-region': { switch: [{ when: 'region = "eu"', target: 'billing-eu' }, { target: 'billing-global' }] },
          'eu-only': { switch: [{ when: 'region = "eu"', target: 'billing-eu' }] },
          picky: { switch: [{ when: 'region', target: 'billing-eu' }] },
        },
        auth,
      }),
    });
  });
  afterAll(async () => {
    await stack.close();
  });

  it("runs the job on the first matching rule's target, or on the default; the document names the route", async () => {
    const eu = await stack.request.post('/v1/jobs').set(bearer(tokens.acme)).set('Prefer', 'wait=10').send({ route: 'billing-by-region', input: { region: 'eu', amount: 10 } });
    expect(eu.status).toBe(200);
    expect(eu.body).toMatchObject({ target: 'billing-eu', route: 'billing-by-region', status: 'succeeded', result: { echo: { region: 'eu', amount: 10 } } });
    const other = await submit({ route: 'billing-by-region', input: { region: 'us' } });
    expect(other.status).toBe(202);
    expect(other.body).toMatchObject({ target: 'billing-global', route: 'billing-by-region' });
    // The job reads back with its route, like any job of its target.
    const read = await stack.request.get(`/v1/jobs/${other.body.id as string}?wait=10`).set(bearer(tokens.acme));
    expect(read.body).toMatchObject({ status: 'succeeded', target: 'billing-global', route: 'billing-by-region' });
    // A job submitted to a target has no route.
    const direct = await stack.request.post('/v1/jobs').set(bearer(tokens.acme)).set('Prefer', 'wait=10').send({ target: 'billing-eu', input: {} });
    expect(direct.body).toMatchObject({ status: 'succeeded' });
    expect(direct.body).not.toHaveProperty('route');
  });

  it('refuses before storing anything: no match, a non-boolean when, an unknown route, target and route together', async () => {
    const before = await stored();
    expect(before.listed.length).toBeGreaterThan(0);
    const noMatch = await submit({ route: 'eu-only', input: { region: 'us' } });
    expect([noMatch.status, noMatch.body.code]).toEqual([422, 'no_route_match']);
    const picky = await submit({ route: 'picky', input: { region: 'eu' } });
    expect([picky.status, picky.body.code]).toEqual([422, 'expression_failed']);
    expect(picky.body.errors).toEqual([{ path: '/input', message: 'routes.picky.switch.0.when: when must give true or false, it gave a string' }]);
    const unknown = await submit({ route: 'nope', input: {} });
    expect([unknown.status, unknown.body.code]).toEqual([422, 'unknown_route']);
    expect(unknown.body.errors[0].message).toBe('known routes: billing-by-region, eu-only, picky');
    const both = await submit({ route: 'eu-only', target: 'billing-eu', input: { region: 'eu' } });
    expect([both.status, both.body.code]).toEqual([422, 'validation_failed']);
    expect(both.body.errors).toEqual([{ path: '/target', message: 'give target or route, exactly one' }]);
    const neither = await submit({ input: {} });
    expect([neither.status, neither.body.code]).toEqual([422, 'validation_failed']);
    expect(await stored()).toEqual(before);
  });

  it('an Idempotency-Key replays the first answer: the rules are not run again', async () => {
    const send = () => stack.request.post('/v1/jobs').set(bearer(tokens.acme)).set('Idempotency-Key', '"route-once"').send({ route: 'billing-by-region', input: { region: 'eu' } });
    const first = await send();
    const again = await send();
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toMatchObject({ id: first.body.id, target: 'billing-eu', route: 'billing-by-region' });
  });

  it('counts each decision per route and target', async () => {
    const res = await stack.request.get('/metrics').set(bearer(tokens.prom));
    // Two: the first test's, and the idempotent pair's first (its replay ran no rule).
    expect(sample(res.text, 'asyncgw_jobs_routed_total', { route: 'billing-by-region', target: 'billing-eu' })).toBe(2);
    expect(sample(res.text, 'asyncgw_jobs_routed_total', { route: 'billing-by-region', target: 'billing-global' })).toBe(1);
    expect(sample(res.text, 'asyncgw_jobs_routed_total', { route: 'eu-only', target: 'none' })).toBe(1);
    expect(sample(res.text, 'asyncgw_jobs_routed_total', { route: 'picky', target: 'error' })).toBe(1);
  });
});
