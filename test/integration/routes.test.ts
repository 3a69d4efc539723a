import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeys } from '../../src/core/keys.js';
import { apiKeys, bearer } from '../support/api-keys.js';
import { sample } from '../support/prom.js';
import { eventually, startStack, testConfig, type TestStack } from '../support/test-stack.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

const { tokens, auth } = apiKeys({ acme: 'client', other: 'client', ops: 'admin' });

interface Step {
  name: string;
  target: string;
  status: string;
  jobId: string | null;
}

/**
 * fanOut and chain routes end to end on the in-process stack, against a real loopback
 * upstream and the in-code handlers: one status URL for the route's job, each step an
 * ordinary job at its own URL, the route moved on by its steps' ends through the outboxes.
 */
describe('fanOut and chain routes', () => {
  let stack: TestStack;
  let upstream: Upstream;
  const submit = (body: object, headers: Record<string, string> = {}) => stack.request.post('/v1/jobs').set(bearer(tokens.acme)).set(headers).send(body);
  const read = (id: string, query = '') => stack.request.get(`/v1/jobs/${id}${query}`).set(bearer(tokens.acme));
  const routeEnds = async (labels: Record<string, string>) => sample(await stack.gateway.metrics.registry.metrics(), 'asyncgw_route_jobs_ended_total', labels);
  const records = async () => (await stack.keys(`${stack.config.server.keyPrefix}:job:*`)).filter((k) => /\}:job_[A-Za-z0-9_-]+$/.test(k)).sort();

  beforeAll(async () => {
    upstream = await startUpstream();
    upstream.respondWith((req) => {
      if (req.url === '/billing') return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'inv_1', got: JSON.parse(req.body.toString()) as unknown }) };
      // Down for its first call, up from then on: a step that fails, then succeeds on replay.
      if (req.url === '/charge') return upstream.requests.filter((r) => r.url === '/charge').length === 1 ? { status: 500 } : { status: 200, headers: { 'content-type': 'application/json' }, body: '{"paid":true}' };
      if (req.url === '/pay') return upstream.requests.filter((r) => r.url === '/pay').length === 1 ? { status: 500 } : { status: 200, headers: { 'content-type': 'application/json' }, body: '{"paid":true}' };
      if (req.url === '/resize') return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: 'http://img.test/small.png' }) };
      return { status: 404 };
    });
    stack = await startStack({
      config: testConfig({
        targets: {
          billing: { kind: 'http', url: `${upstream.url}/billing`, attempts: 1 },
          resize: { kind: 'http', url: `${upstream.url}/resize`, attempts: 1 },
          charge: { kind: 'http', url: `${upstream.url}/charge`, attempts: 1 },
          pay: { kind: 'http', url: `${upstream.url}/pay`, attempts: 1 },
          echo: { kind: 'handler', handler: 'echo' },
          store: { kind: 'handler', handler: 'echo' },
          fail: { kind: 'handler', handler: 'fail', attempts: 1 },
        },
        routes: {
          'order-placed': {
            fanOut: [
              { target: 'billing', input: '{ "amount": total, "currency": currency }' },
              { name: 'shipping', target: 'echo', when: 'delivery = "ship"', input: '{ "parcel": $input.id }' },
              { name: 'email', target: 'fail', optional: true, input: '{ "message": "mail server down" }' },
            ],
            output: '{ "invoice": billing.id, "tracking": shipping.echo.parcel, "emailed": email != null }',
          },
          'resize-and-store': {
            chain: [{ target: 'resize' }, { target: 'store', input: '{ "url": url, "owner": $input.owner }' }],
          },
          'charge-then-store': { chain: [{ target: 'charge' }, { target: 'store' }] },
          'pay-and-pack': {
            fanOut: [
              { target: 'pay' },
              { name: 'pack', target: 'echo', input: '{ "delayMs": 1500, "box": $input.box }' },
            ],
          },
          'slow-then-store': { chain: [{ target: 'echo', input: '{ "delayMs": 5000 }' }, { target: 'store' }] },
          'must-all': {
            fanOut: [
              { name: 'slow', target: 'echo', input: '{ "delayMs": 5000 }' },
              { name: 'broken', target: 'fail', input: '{ "message": "card declined" }' },
            ],
          },
          'bad-next': { chain: [{ target: 'echo' }, { target: 'store', input: '$error("no url in " & $string(echo))' }] },
          'bad-output': { fanOut: [{ target: 'echo' }], output: 'echo.$error("cannot merge")' },
          'strict-when': { fanOut: [{ target: 'echo', when: 'region' }] },
          'only-eu': { fanOut: [{ target: 'echo', when: 'region = "eu"' }] },
          slow: { fanOut: [{ target: 'echo', input: '($f := function($n) { $n > 0 ? $f($n - 1) + $f($n - 1) : 0 }; { "n": $f(40) })' }] },
          wrong: { fanOut: [{ target: 'echo', input: '"a string"' }] },
        },
        server: { expressionTimeoutMs: 20 },
        auth,
      }),
    });
  });
  afterAll(async () => {
    await stack?.close();
    await upstream?.close();
  });

  it('fans out: every branch runs on its own input, the route answers with output over their results, each step at its own URL', async () => {
    const res = await submit({ route: 'order-placed', input: { id: 'ord_7', total: 42, currency: 'EUR', delivery: 'ship' } }, { Prefer: 'wait=15' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ route: 'order-placed', target: 'route:order-placed', status: 'succeeded', error: null });
    // The optional branch failed; the route did not.
    expect(res.body.result).toEqual({ invoice: 'inv_1', tracking: 'ord_7', emailed: false });
    const steps = res.body.steps as Step[];
    expect(steps.map((s) => [s.name, s.target, s.status])).toEqual([
      ['billing', 'billing', 'succeeded'],
      ['shipping', 'echo', 'succeeded'],
      ['email', 'fail', 'failed'],
    ]);
    expect(await routeEnds({ route: 'order-placed', outcome: 'succeeded', code: '', step: '' })).toBe(1);
    // The upstream got the branch's input, computed from the request's.
    expect(JSON.parse(upstream.requests.find((r) => r.url === '/billing')!.body.toString())).toEqual({ amount: 42, currency: 'EUR' });
    // Each step is an ordinary job of the same tenant, naming its route; another tenant sees none of them.
    const shipping = await read(steps[1]!.jobId!);
    expect(shipping.body).toMatchObject({ status: 'succeeded', target: 'echo', route: 'order-placed', routeJobId: res.body.id, result: { echo: { parcel: 'ord_7' } } });
    expect(res.body.routeJobId).toBeUndefined();
    expect((await stack.request.get(`/v1/jobs/${steps[1]!.jobId!}`).set(bearer(tokens.other))).status).toBe(404);
    expect((await stack.request.get(`/v1/jobs/${res.body.id as string}`).set(bearer(tokens.other))).status).toBe(404);
    // /result serves the route's output.
    expect((await stack.request.get(`/v1/jobs/${res.body.id as string}/result`).set(bearer(tokens.acme))).body).toEqual(res.body.result);
    // The route's events tell each step's change, then its end.
    const events = await stack.gateway.store.eventsAfter(res.body.id as string, null);
    const stepEvents = events.filter((e) => e.event.type === 'step').map((e) => `${e.event.step}:${e.event.status}`);
    expect(stepEvents).toEqual(expect.arrayContaining(['billing:running', 'billing:succeeded', 'shipping:succeeded', 'email:failed']));
    expect(events.at(-1)!.event).toMatchObject({ type: 'status', status: 'succeeded' });
  });

  it('skips a branch whose when is false: it has no job, and its name is missing from output', async () => {
    const res = await submit({ route: 'order-placed', input: { id: 'ord_8', total: 5, currency: 'USD', delivery: 'pickup' } }, { Prefer: 'wait=15' });
    expect(res.body).toMatchObject({ status: 'succeeded', result: { invoice: 'inv_1', emailed: false } });
    expect(res.body.result).not.toHaveProperty('tracking');
    expect((res.body.steps as Step[])[1]).toEqual({ name: 'shipping', target: 'echo', status: 'skipped', jobId: null });
  });

  it("chains: the first step runs at once, the next on the previous one's result with $input, and the route's result is the last one's", async () => {
    const res = await submit({ route: 'resize-and-store', input: { image: 'big.png', owner: 'ann' } });
    expect(res.status).toBe(202);
    const first = res.body.steps as Step[];
    expect(first.map((s) => [s.name, s.status])).toEqual([
      ['resize', 'queued'],
      ['store', 'pending'],
    ]);
    expect(first[1]!.jobId).toBeNull();
    const done = await read(res.body.id as string, '?wait=15');
    expect(done.body).toMatchObject({ status: 'succeeded', result: { echo: { url: 'http://img.test/small.png', owner: 'ann' } } });
    expect((done.body.steps as Step[]).map((s) => s.status)).toEqual(['succeeded', 'succeeded']);
    // The upstream saw the route's input as it was; the second step the transformed result.
    expect(JSON.parse(upstream.requests.find((r) => r.url === '/resize')!.body.toString())).toEqual({ image: 'big.png', owner: 'ann' });
    const store = await read((done.body.steps as Step[])[1]!.jobId!);
    expect(store.body).toMatchObject({ target: 'store', route: 'resize-and-store', status: 'succeeded' });
    expect(done.body.startedAt).not.toBeNull();
  });

  it('fails the route as soon as a required branch fails, naming it, and cancels the branches still running', async () => {
    const res = await submit({ route: 'must-all', input: {} }, { Prefer: 'wait=15' });
    expect(res.body).toMatchObject({ status: 'failed', error: { code: 'step_failed', retryable: false } });
    expect(res.body.error.message).toBe('step "broken" failed: handler_failed: card declined');
    const slow = (res.body.steps as Step[])[0]!;
    const ended = await read(`${slow.jobId!}`, '?wait=10');
    expect(ended.body.status).toBe('canceled');
    await eventually(async () => ((await read(res.body.id as string)).body.steps as Step[])[0]!.status === 'canceled');
    // Counted once per route, with the step that failed it (the cancel's own moves add nothing).
    expect(await routeEnds({ route: 'must-all' })).toBe(1);
    expect(await routeEnds({ route: 'must-all', outcome: 'failed', code: 'step_failed', step: 'broken' })).toBe(1);
  });

  it('ends transform_failed when an expression over results fails, with its path, and creates no later step', async () => {
    const next = await submit({ route: 'bad-next', input: { a: 1 } }, { Prefer: 'wait=15' });
    expect(next.body).toMatchObject({ status: 'failed', error: { code: 'transform_failed', retryable: false } });
    expect(next.body.error.message).toMatch(/^routes\.bad-next\.chain\.1\.input failed: no url in /);
    expect((next.body.steps as Step[]).map((s) => s.status)).toEqual(['succeeded', 'pending']);
    const output = await submit({ route: 'bad-output', input: {} }, { Prefer: 'wait=15' });
    expect(output.body).toMatchObject({ status: 'failed', error: { code: 'transform_failed' } });
    expect(output.body.error.message).toBe('routes.bad-output.output failed: cannot merge');
    expect(await routeEnds({ route: 'bad-next', outcome: 'failed', code: 'transform_failed', step: '' })).toBe(1);
  });

  it("repairs a partial failure: replaying the failed step's dead letter re-opens the route, which then runs to its end", async () => {
    const res = await submit({ route: 'charge-then-store', input: { amount: 3 } }, { Prefer: 'wait=15' });
    expect(res.body).toMatchObject({ status: 'failed', error: { code: 'step_failed' } });
    expect(res.body.error.message).toMatch(/^step "charge" failed: upstream_status: /);
    const [charge, store] = res.body.steps as Step[];
    expect([charge!.status, store!.status]).toEqual(['failed', 'pending']);
    const replayed = await stack.request.post(`/v1/admin/dead-letters/${charge!.jobId!}/replay`).set(bearer(tokens.ops));
    expect(replayed.status).toBe(202);
    await eventually(async () => (await read(res.body.id as string)).body.status === 'succeeded', 15_000);
    const done = (await read(res.body.id as string)).body;
    expect(done).toMatchObject({ status: 'succeeded', error: null, finishedAt: expect.any(String), result: { echo: { paid: true } } });
    expect((done.steps as Step[]).map((s) => s.status)).toEqual(['succeeded', 'succeeded']);
    // Its events tell the failure, the re-open and the second end.
    const statuses = (await stack.gateway.store.eventsAfter(res.body.id as string, null)).filter((e) => e.event.type === 'status').map((e) => e.event.status);
    expect(statuses).toEqual(['queued', 'running', 'failed', 'running', 'succeeded']);
  });

  it("repairs a fan-out whose failure canceled a branch: replaying the failed branch runs the canceled one again, and the route ends with both", async () => {
    const res = await submit({ route: 'pay-and-pack', input: { box: 7 } }, { Prefer: 'wait=15' });
    const id = res.body.id as string;
    expect(res.body).toMatchObject({ status: 'failed', error: { code: 'step_failed' } });
    expect(res.body.error.message).toMatch(/^step "pay" failed: upstream_status: /);
    const [pay, pack] = res.body.steps as Step[];
    // The branch still running when the route failed is canceled, in its own record and in the route's.
    expect((await read(pack!.jobId!, '?wait=10')).body.status).toBe('canceled');
    await eventually(async () => ((await read(id)).body.steps as Step[])[1]!.status === 'canceled');
    const replayed = await stack.request.post(`/v1/admin/dead-letters/${pay!.jobId!}/replay`).set(bearer(tokens.ops));
    expect(replayed.status).toBe(202);
    // The canceled branch's second run holds an in-flight slot of its tenant, as any run does.
    const inFlight = createKeys(stack.config.server.keyPrefix).tenantInFlight('acme');
    await eventually(async () => (await stack.redis.zscore(inFlight, pack!.jobId!)) !== null);
    await eventually(async () => (await read(id)).body.status === 'succeeded', 15_000);
    const done = (await read(id)).body;
    expect(done).toMatchObject({ status: 'succeeded', error: null, result: { pay: { paid: true }, pack: { echo: { delayMs: 1500, box: 7 } } } });
    expect((done.steps as Step[]).map((s) => s.status)).toEqual(['succeeded', 'succeeded']);
    // The canceled branch ran again as the same job: canceled, then queued, running and succeeded once more.
    const packed = (await stack.gateway.store.eventsAfter(pack!.jobId!, null)).filter((e) => e.event.type === 'status').map((e) => e.event.status);
    expect(packed.slice(packed.indexOf('canceled'))).toEqual(['canceled', 'queued', 'running', 'succeeded']);
    const statuses = (await stack.gateway.store.eventsAfter(id, null)).filter((e) => e.event.type === 'status').map((e) => e.event.status);
    expect(statuses).toEqual(['queued', 'running', 'failed', 'running', 'succeeded']);
    // Each run's end gave its slot back: none of the three jobs holds one.
    await eventually(async () => (await Promise.all([id, pay!.jobId!, pack!.jobId!].map((j) => stack.redis.zscore(inFlight, j)))).every((score) => score === null));
  });

  it('cancels mid-route: the running step is canceled and the chain starts no next step', async () => {
    const res = await submit({ route: 'slow-then-store', input: {} });
    const id = res.body.id as string;
    await eventually(async () => (await read(id)).body.status === 'running');
    const canceled = await stack.request.post(`/v1/jobs/${id}/cancel`).set(bearer(tokens.acme));
    expect(canceled.body.status).toBe('canceled');
    const step = ((await read(id)).body.steps as Step[])[0]!;
    expect((await read(step.jobId!, '?wait=10')).body.status).toBe('canceled');
    await eventually(async () => ((await read(id)).body.steps as Step[])[0]!.status === 'canceled');
    const after = (await read(id)).body;
    expect(after.status).toBe('canceled');
    expect((after.steps as Step[])[1]).toMatchObject({ status: 'pending', jobId: null });
  });

  it('refuses with a 422 before storing anything: an expression failing on the input, one over its time budget, no branch running, an input its target refuses, a batch with such an item', async () => {
    const before = await records();
    const when = await submit({ route: 'strict-when', input: { region: 'eu' } });
    expect([when.status, when.body.code]).toEqual([422, 'expression_failed']);
    expect(when.body.detail).toBe('routes.strict-when.fanOut.0.when failed on this input: when must give true or false, it gave a string');
    const slow = await submit({ route: 'slow', input: {} });
    expect([slow.status, slow.body.code, slow.body.detail]).toEqual([422, 'expression_failed', 'routes.slow.fanOut.0.input failed on this input: took longer than its time budget']);
    const none = await submit({ route: 'only-eu', input: { region: 'us' } });
    expect([none.status, none.body.code]).toEqual([422, 'no_route_match']);
    const wrong = await submit({ route: 'wrong', input: {} });
    expect([wrong.status, wrong.body.code]).toEqual([422, 'validation_failed']);
    expect(wrong.body.detail).toMatch(/^step "echo": /);
    // A batch's route items are checked as the submits are: one bad item refuses the batch, pointed at it.
    const batch = await stack.request.post('/v1/batches').set(bearer(tokens.acme)).send({ jobs: [{ route: 'order-placed', input: { total: 1, currency: 'EUR' } }, { route: 'strict-when', input: { region: 'eu' } }] });
    expect([batch.status, batch.body.code]).toEqual([422, 'validation_failed']);
    expect(batch.body.errors).toEqual([{ path: '/jobs/1/input', message: 'routes.strict-when.fanOut.0.when: when must give true or false, it gave a string' }]);
    expect(await records()).toEqual(before);
    expect(await stack.keys(`${stack.config.server.keyPrefix}:batch:*`)).toEqual([]);
  });

  it("takes fanOut and chain routes in a batch: each item's route job is one of the batch's jobs, and the batch ends when they have", async () => {
    const res = await stack.request
      .post('/v1/batches')
      .set(bearer(tokens.acme))
      .send({ jobs: [{ route: 'order-placed', input: { id: 'ord_9', total: 9, currency: 'EUR', delivery: 'ship' } }, { route: 'resize-and-store', input: { owner: 'bo' } }, { target: 'echo', input: { plain: true } }] });
    expect(res.status).toBe(202);
    const [fanOut, chain, plain] = res.body.jobs as { id: string; status: string }[];
    expect((await read(fanOut!.id)).body).toMatchObject({ target: 'route:order-placed' });
    const ended = await stack.request.get(`/v1/batches/${res.body.id as string}?wait=15`).set(bearer(tokens.acme));
    expect(ended.body.counts).toMatchObject({ succeeded: 3 });
    expect((await read(fanOut!.id)).body.result).toEqual({ invoice: 'inv_1', tracking: 'ord_9', emailed: false });
    expect((await read(chain!.id)).body).toMatchObject({ status: 'succeeded', result: { echo: { url: 'http://img.test/small.png', owner: 'bo' } } });
    expect((await read(plain!.id)).body.status).toBe('succeeded');
    // Each route's job, on the route's outbox, took itself off the batch's pending set (which its last end deletes): a batch callback would fire.
    await eventually(async () => (await stack.keys(`${stack.config.server.keyPrefix}:batch:*${res.body.id as string}:pending`)).length === 0);
  });
});
