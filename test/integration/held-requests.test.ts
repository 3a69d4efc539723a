import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys, bearer } from '../support/api-keys.js';
import { sample } from '../support/prom.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { DEMO_TARGETS, eventually, startStack, testConfig, type TestStack } from '../support/test-stack.js';

/**
 * Held requests (long-polls, Prefer: wait, event streams) are capped per tenant and per
 * gateway, and the safety recheck behind them costs one batched read per interval, not a
 * record read per waiter. No executor runs: jobs stay queued until the test cancels them.
 */
describe('held requests: limits and their cost', () => {
  const { tokens, auth } = apiKeys({ acme: 'client', beta: 'client', ops: 'admin' });
  let redisServer: RedisServer;
  let stack: TestStack;
  let server: Server;
  let base: string;
  beforeAll(async () => {
    // A private Redis: the command counts below must be this gateway's alone.
    redisServer = await startRedisServer();
    stack = await startStack({
      executor: false,
      redis: redisServer.url,
      config: testConfig({
        auth,
        targets: DEMO_TARGETS,
        server: { maxWaiting: 5, eventsHeartbeatSeconds: 1 },
        tenants: { defaults: { maxWaiting: 3 }, overrides: { ops: { maxWaiting: 200 } } },
      }),
    });
    server = stack.gateway.app.listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await stack.close();
    await redisServer.destroy();
  });

  const as = (who: keyof typeof tokens) => bearer(tokens[who]);
  const submit = async (who: keyof typeof tokens) => {
    const res = await fetch(`${base}/v1/jobs`, { method: 'POST', headers: { ...as(who), 'content-type': 'application/json' }, body: '{"target":"echo"}' });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  };
  const held = async () => sample(await (await fetch(`${base}/metrics`, { headers: as('ops') })).text(), 'asyncgw_held_requests') ?? 0;
  /** Starts a request that the gateway holds; resolves with its answer when released. */
  const hold = (path: string, who: keyof typeof tokens, signal?: AbortSignal) => fetch(`${base}${path}`, { headers: as(who), ...(signal && { signal }) });

  it('refuses a tenant beyond maxWaiting with 429 too_many_waiting, and the gateway beyond server.maxWaiting with 503 gateway_busy', async () => {
    const job = await submit('acme');
    const waits = [hold(`/v1/jobs/${job}?wait=30`, 'acme'), hold(`/v1/jobs/${job}?wait=30`, 'acme'), hold(`/v1/jobs/${job}/events`, 'acme')];
    await eventually(async () => (await held()) === 3);

    for (const path of [`/v1/jobs/${job}?wait=30`, `/v1/jobs/${job}/events`]) {
      const refused = await fetch(`${base}${path}`, { headers: as('acme') });
      expect(refused.status, path).toBe(429);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(await refused.json()).toMatchObject({ code: 'too_many_waiting', status: 429 });
    }
    // Not held, so not limited: a plain poll, and a wait on a job that has already finished.
    expect((await fetch(`${base}/v1/jobs/${job}`, { headers: as('acme') })).status).toBe(200);
    const done = await submit('acme');
    await fetch(`${base}/v1/jobs/${done}/cancel`, { method: 'POST', headers: as('acme') });
    const finished = await fetch(`${base}/v1/jobs/${done}?wait=30`, { headers: as('acme') });
    expect(finished.status).toBe(200);
    expect(((await finished.json()) as { status: string }).status).toBe('canceled');

    // Prefer: wait at the limit: the job is admitted at once, the preference not applied.
    const preferred = await fetch(`${base}/v1/jobs`, { method: 'POST', headers: { ...as('acme'), 'content-type': 'application/json', prefer: 'respond-async, wait=30' }, body: '{"target":"echo"}' });
    expect(preferred.status).toBe(202);
    expect(preferred.headers.get('preference-applied')).toBe('respond-async');

    // Another tenant has its own count, until the gateway's ceiling (5) is reached.
    const other = await submit('beta');
    const betaWaits = [hold(`/v1/jobs/${other}?wait=30`, 'beta'), hold(`/v1/jobs/${other}?wait=30`, 'beta')];
    await eventually(async () => (await held()) === 5);
    const busy = await fetch(`${base}/v1/jobs/${other}?wait=30`, { headers: as('beta') });
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(await busy.json()).toMatchObject({ code: 'gateway_busy' });

    // The job ends: every held request answers, and the holds are given back.
    await fetch(`${base}/v1/jobs/${job}/cancel`, { method: 'POST', headers: as('acme') });
    await fetch(`${base}/v1/jobs/${other}/cancel`, { method: 'POST', headers: as('beta') });
    for (const answer of await Promise.all([...waits, ...betaWaits])) expect(answer.status).toBe(200);
    await eventually(async () => (await held()) === 0);
    const metrics = await (await fetch(`${base}/metrics`, { headers: as('ops') })).text();
    expect(sample(metrics, 'asyncgw_held_requests_refused_total', { limit: 'tenant' })).toBe(3);
    expect(sample(metrics, 'asyncgw_held_requests_refused_total', { limit: 'gateway' })).toBe(1);
  });

  it('gives a hold back when its client goes away', async () => {
    const job = await submit('acme');
    const gone = new AbortController();
    const waits = [0, 1, 2].map(() => hold(`/v1/jobs/${job}?wait=30`, 'acme', gone.signal).catch(() => 'aborted'));
    await eventually(async () => (await held()) === 3);
    gone.abort();
    expect(await Promise.all(waits)).toEqual(['aborted', 'aborted', 'aborted']);
    await eventually(async () => (await held()) === 0);
    await fetch(`${base}/v1/jobs/${job}/cancel`, { method: 'POST', headers: as('acme') });
  });

  it('sends a heartbeat comment on an idle event stream', async () => {
    const job = await submit('ops');
    const ac = new AbortController();
    const res = await hold(`/v1/jobs/${job}/events`, 'ops', ac.signal);
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes(': keep-alive')) text += new TextDecoder().decode((await reader.read()).value);
    ac.abort();
    await fetch(`${base}/v1/jobs/${job}/cancel`, { method: 'POST', headers: as('ops') });
  });

  it('rechecks 100 waiters with one batched read per interval, never a record read per waiter', async () => {
    // Room for 100: this gateway's ceiling is 5.
    const roomy = await startStack({ executor: false, redis: redisServer.url, config: testConfig({ auth, targets: DEMO_TARGETS, server: { keyPrefix: stack.config.server.keyPrefix }, tenants: { defaults: { maxWaiting: 200 } } }) });
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    server = roomy.gateway.app.listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const gateway = roomy.gateway;
    const ids = await Promise.all(Array.from({ length: 50 }, () => submit('ops')));
    const ac = new AbortController();
    // 50 long-polls and 50 event streams, all idle: their jobs never change.
    const waits = ids.flatMap((id) => [hold(`/v1/jobs/${id}?wait=60`, 'ops', ac.signal), hold(`/v1/jobs/${id}/events`, 'ops', ac.signal)].map((p) => p.catch(() => null)));
    await eventually(async () => (await held()) === 100);
    const probe = new Redis(redisServer.url);
    try {
      const calls = async (command: string) => {
        const m = new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(await probe.info('commandstats'));
        return m ? Number(m[1]) : 0;
      };
      // Past the first sweep, which wakes each waiter once (a change may have slipped by unseen).
      const firstSweep = gateway.watcher.sweeps;
      await eventually(() => gateway.watcher.sweeps >= firstSweep + 2, 10_000);
      const reads = await calls('hgetall');
      const sweeps = gateway.watcher.sweeps;
      await eventually(() => gateway.watcher.sweeps >= sweeps + 3, 10_000);
      // Three intervals: with a re-read per waiter per interval this would be 300 record reads.
      expect((await calls('hgetall')) - reads).toBe(0);
    } finally {
      probe.disconnect();
      ac.abort();
      await Promise.all(waits);
      await roomy.close();
    }
  });
});
