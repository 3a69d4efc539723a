import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/observability/metrics.js';
import { sample } from '../support/prom.js';
import { eventually, startStack, testConfig, type TestStack } from '../support/test-stack.js';

/**
 * What a held-open breaker does to the jobs of its target, in one process: they wait
 * queued with `deferred`, spend no attempt, and the metrics say so; a job whose ttl runs out
 * meanwhile is not run late but ends expired; closing the breaker runs the rest.
 */
describe('jobs behind an open circuit breaker', () => {
  let stack: TestStack;
  const metrics = createMetrics({ process: 'all-in-one' });
  const scrape = async () => (await stack.request.get('/metrics')).text;

  beforeAll(async () => {
    stack = await startStack({
      metrics,
      config: testConfig({
        targets: {
          guarded: { kind: 'handler', handler: 'echo', circuitBreaker: {} },
          plain: { kind: 'handler', handler: 'echo' },
          // Opens after two retryable failures, half-opens 200 ms later.
          shaky: { kind: 'handler', handler: 'flaky', attempts: 3, backoff: { initialDelayMs: 10, multiplier: 1, maxDelayMs: 10, jitter: 0 }, circuitBreaker: { minAttempts: 2, openMs: 200, maxOpenMs: 200 } },
        },
      }),
    });
  });
  afterAll(async () => {
    await stack.close();
  });

  it('keeps them queued without attempts, expires the stale one, and runs the rest once closed', async () => {
    expect(sample(await scrape(), 'asyncgw_circuit_state', { target: 'guarded' })).toBe(0);
    // Only targets with a breaker have the gauge.
    expect(sample(await scrape(), 'asyncgw_circuit_state', { target: 'plain' })).toBeUndefined();

    await stack.request.post('/v1/admin/targets/guarded/circuit').send({ state: 'open' }).expect(200);
    const stale = (await stack.request.post('/v1/jobs').send({ target: 'guarded', input: { n: 0 }, ttl: 200 }).expect(202)).body;
    const fresh = (await stack.request.post('/v1/jobs').send({ target: 'guarded', input: { n: 1 } }).expect(202)).body;
    const other = await stack.request.post('/v1/jobs').set('Prefer', 'wait=10').send({ target: 'plain', input: { n: 2 } });
    expect(other.body.status).toBe('succeeded'); // another target's jobs are not held back

    await eventually(() => stack.logs.lines.some((l) => l.event === 'circuit.deferred' && (l.jobId === stale.id || l.jobId === fresh.id)), 10_000, 20);
    const listed = await stack.request.get('/v1/jobs?target=guarded');
    for (const doc of listed.body.items) expect(doc).toMatchObject({ status: 'queued', attempts: 0, deferred: { reason: 'circuit_open', until: null } });
    expect(listed.body.items).toHaveLength(2);
    const scraped = await scrape();
    expect(sample(scraped, 'asyncgw_circuit_state', { target: 'guarded' })).toBe(2);
    expect(sample(scraped, 'asyncgw_job_attempts_deferred_total', { target: 'guarded', reason: 'circuit_open' })).toBeGreaterThan(0);
    expect(sample(scraped, 'asyncgw_job_attempts_started_total', { target: 'guarded' }) ?? 0).toBe(0);

    // Past the stale job's ttl, then closed.
    await eventually(() => Date.now() > Date.parse(stale.createdAt) + 300, 5_000, 20);
    await stack.request.post('/v1/admin/targets/guarded/circuit').send({ state: 'closed' }).expect(200);
    const staleEnd = (await stack.request.get(`/v1/jobs/${stale.id}?wait=10`)).body;
    const freshEnd = (await stack.request.get(`/v1/jobs/${fresh.id}?wait=10`)).body;
    expect(staleEnd).toMatchObject({ status: 'failed', attempts: 0, error: { code: 'expired' } });
    expect(freshEnd).toMatchObject({ status: 'succeeded', attempts: 1, result: { echo: { n: 1 } } });
    expect(freshEnd).not.toHaveProperty('deferred');
    expect(sample(await scrape(), 'asyncgw_circuit_state', { target: 'guarded' })).toBe(0);
    expect(stack.logs.lines.filter((l) => l.event === 'circuit.forced').map((l) => l.state)).toEqual(['open', 'closed']);
  });

  it('counts the transitions the executor makes: open on failures, half-open, closed by a successful probe', async () => {
    const before = await scrape();
    const count = (text: string, to: string) => sample(text, 'asyncgw_circuit_transitions_total', { target: 'shaky', to }) ?? 0;
    // Each job fails its first attempt retryably: two failures open it; their retries wait, then one probes and closes it.
    const jobs = await Promise.all([0, 1].map(async () => (await stack.request.post('/v1/jobs').send({ target: 'shaky', input: { failTimes: 1 } }).expect(202)).body.id as string));
    for (const id of jobs) expect((await stack.request.get(`/v1/jobs/${id}?wait=10`)).body).toMatchObject({ status: 'succeeded', attempts: 2 });
    const after = await scrape();
    expect(['open', 'half_open', 'closed'].map((to) => count(after, to) - count(before, to))).toEqual([1, 1, 1]);
    expect(stack.logs.lines.filter((l) => l.target === 'shaky' && String(l.event).startsWith('circuit.') && l.event !== 'circuit.deferred').map((l) => l.event)).toEqual(['circuit.opened', 'circuit.half_open', 'circuit.closed']);
  });
});
