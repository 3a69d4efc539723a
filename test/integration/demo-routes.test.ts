import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startStack, testConfig, type TestStack } from '../support/test-stack.js';

/**
 * The README's Routes walk-through, call for call, against the demo config's targets and
 * routes (config/demo.yaml, what `npm start` runs): the answers it shows are these.
 */
describe("the README's route walk-through on the demo config", () => {
  let stack: TestStack;
  beforeAll(async () => {
    const demo = parse(readFileSync('config/demo.yaml', 'utf8')) as { targets: Record<string, unknown>; routes: Record<string, unknown> };
    stack = await startStack({ config: testConfig({ targets: demo.targets, routes: demo.routes }) });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('switch: echo-or-fail sends {"fail": true} to fail', async () => {
    const res = await stack.request.post('/v1/jobs').send({ route: 'echo-or-fail', input: { fail: true } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ target: 'fail', route: 'echo-or-fail', status: 'queued' });
  });

  it('fanOut: echo-and-retry merges both branches, the retried one on its second attempt', async () => {
    const res = await stack.request.post('/v1/jobs').set('Prefer', 'wait=10').send({ route: 'echo-and-retry', input: { id: 'ord_7', retry: true } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ target: 'route:echo-and-retry', route: 'echo-and-retry', status: 'succeeded', result: { order: 'ord_7', retriedOnAttempt: 2 } });
    expect((res.body.steps as { name: string; target: string; status: string }[]).map((s) => [s.name, s.target, s.status])).toEqual([
      ['echo', 'echo', 'succeeded'],
      ['retry', 'flaky', 'succeeded'],
    ]);
  });

  it("chain: echo-then-echo runs its second step on the first one's result and the route's input", async () => {
    const res = await stack.request.post('/v1/jobs').send({ route: 'echo-then-echo', input: { owner: 'ann' } });
    expect(res.status).toBe(202);
    expect((res.body.steps as { name: string; status: string; jobId: string | null }[]).map((s) => [s.name, s.status, s.jobId === null])).toEqual([
      ['echo', 'queued', false],
      ['again', 'pending', true],
    ]);
    const done = await stack.request.get(`/v1/jobs/${res.body.id as string}?wait=10`);
    expect(done.body).toMatchObject({ status: 'succeeded', result: { echo: { previous: { owner: 'ann' }, owner: 'ann' } } });
  });
});
