import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_TARGETS, eventually, startStack, testConfig, type TestStack } from '../support/test-stack.js';
import { expectToMatchSpec } from './contract.js';

/** Real responses of the real app, each checked against openapi.yaml. */
describe('responses match openapi.yaml', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({
      config: testConfig({ targets: { ...DEMO_TARGETS, echo: { ...DEMO_TARGETS.echo, maxBodyBytes: 512 } } }),
    });
  });
  afterAll(async () => {
    await stack.close();
  });
  const r = () => stack.request;

  it('submit: 202, 200 with Prefer: wait, and each refusal', async () => {
    await expectToMatchSpec('post', '/v1/jobs', await r().post('/v1/jobs').send({ target: 'echo', input: { delayMs: 2_000 }, metadata: { a: 'b' } }));
    await expectToMatchSpec('post', '/v1/jobs', await r().post('/v1/jobs').set('Prefer', 'wait=10').send({ target: 'echo' }));
    await expectToMatchSpec('post', '/v1/jobs', await r().post('/v1/jobs').send({ target: 'nope' }));
    await expectToMatchSpec('post', '/v1/jobs', await r().post('/v1/jobs').send({ target: 'echo', priority: 'x' }));
    await expectToMatchSpec('post', '/v1/jobs', await r().post('/v1/jobs').set('Content-Type', 'application/json').send('{"x'));
    await expectToMatchSpec('post', '/v1/jobs', await r().post('/v1/jobs').set('Content-Type', 'text/plain').send('x'));
    await expectToMatchSpec('post', '/v1/jobs', await r().post('/v1/jobs').send({ target: 'echo', input: { s: 'x'.repeat(1_000) } }));
  });

  it('reads: job, long-poll, result in every state, events, list, 404', async () => {
    const slow = (await r().post('/v1/jobs').send({ target: 'echo', input: { delayMs: 5_000 } })).body.id as string;
    const done = (await r().post('/v1/jobs').set('Prefer', 'wait=10').send({ target: 'echo', input: { n: 1 } })).body.id as string;
    const failed = (await r().post('/v1/jobs').set('Prefer', 'wait=10').send({ target: 'fail' })).body.id as string;
    await expectToMatchSpec('get', `/v1/jobs/${slow}`, await r().get(`/v1/jobs/${slow}`));
    await expectToMatchSpec('get', `/v1/jobs/${done}`, await r().get(`/v1/jobs/${done}?wait=1`));
    await expectToMatchSpec('get', `/v1/jobs/${slow}/result`, await r().get(`/v1/jobs/${slow}/result`));
    await expectToMatchSpec('get', `/v1/jobs/${done}/result`, await r().get(`/v1/jobs/${done}/result`));
    await expectToMatchSpec('get', `/v1/jobs/${failed}/result`, await r().get(`/v1/jobs/${failed}/result`));
    await expectToMatchSpec('get', `/v1/jobs/${done}/events`, await r().get(`/v1/jobs/${done}/events`));
    await expectToMatchSpec('get', `/v1/jobs/${done}/deliveries`, await r().get(`/v1/jobs/${done}/deliveries`));
    await expectToMatchSpec('get', '/v1/jobs/job_AAAAAAAAAAAAAAAAAAAAAAAAAA', await r().get('/v1/jobs/job_AAAAAAAAAAAAAAAAAAAAAAAAAA'));
    await expectToMatchSpec('get', `/v1/jobs/${done}`, await r().get(`/v1/jobs/${done}?wait=x`));
    const page = await r().get('/v1/jobs?limit=1');
    await expectToMatchSpec('get', '/v1/jobs', page);
    await expectToMatchSpec('get', '/v1/jobs', await r().get(`/v1/jobs?limit=1&cursor=${String(page.body.nextCursor)}`));
    await expectToMatchSpec('get', '/v1/jobs', await r().get('/v1/jobs?status=nope'));
    await r().post(`/v1/jobs/${slow}/cancel`);
  });

  it('cancel: 200 for a queued job, 202 or 200 for a running one, 409 once finished', async () => {
    await r().post('/v1/admin/targets/flaky/pause');
    const queued = (await r().post('/v1/jobs').send({ target: 'flaky' })).body.id as string;
    await expectToMatchSpec('post', `/v1/jobs/${queued}/cancel`, await r().post(`/v1/jobs/${queued}/cancel`));
    await expectToMatchSpec('post', `/v1/jobs/${queued}/cancel`, await r().post(`/v1/jobs/${queued}/cancel`));
    await r().post('/v1/admin/targets/flaky/resume');
    const running = (await r().post('/v1/jobs').send({ target: 'echo', input: { delayMs: 20_000 } })).body.id as string;
    await eventually(async () => (await r().get(`/v1/jobs/${running}`)).body.status === 'running');
    await expectToMatchSpec('delete', `/v1/jobs/${running}`, await r().delete(`/v1/jobs/${running}`));
  });

  it('admin: targets, pause/resume, dead letters and bulk actions', async () => {
    await expectToMatchSpec('get', '/v1/admin/targets', await r().get('/v1/admin/targets'));
    await expectToMatchSpec('get', '/v1/admin/targets/echo', await r().get('/v1/admin/targets/echo'));
    await expectToMatchSpec('get', '/v1/admin/targets/nope', await r().get('/v1/admin/targets/nope'));
    await expectToMatchSpec('post', '/v1/admin/targets/echo/pause', await r().post('/v1/admin/targets/echo/pause'));
    await expectToMatchSpec('post', '/v1/admin/targets/echo/resume', await r().post('/v1/admin/targets/echo/resume'));
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await r().post('/v1/jobs').set('Prefer', 'wait=10').send({ target: 'fail' })).body.id as string);
    await expectToMatchSpec('get', '/v1/admin/dead-letters', await r().get('/v1/admin/dead-letters'));
    await expectToMatchSpec('get', `/v1/admin/dead-letters/${ids[0]}`, await r().get(`/v1/admin/dead-letters/${ids[0]}`));
    await expectToMatchSpec('post', `/v1/admin/dead-letters/${ids[0]}/replay`, await r().post(`/v1/admin/dead-letters/${ids[0]}/replay`));
    await expectToMatchSpec('delete', `/v1/admin/dead-letters/${ids[1]}`, await r().delete(`/v1/admin/dead-letters/${ids[1]}`));
    await expectToMatchSpec('get', `/v1/admin/dead-letters/${ids[1]}`, await r().get(`/v1/admin/dead-letters/${ids[1]}`));
    await expectToMatchSpec('post', '/v1/admin/dead-letters/replay', await r().post('/v1/admin/dead-letters/replay').send({ ids: [ids[2]] }));
    await expectToMatchSpec('post', '/v1/admin/dead-letters/purge', await r().post('/v1/admin/dead-letters/purge').send({ all: true }));
    await expectToMatchSpec('post', '/v1/admin/dead-letters/purge', await r().post('/v1/admin/dead-letters/purge').send({}));
    await expectToMatchSpec('get', '/v1/admin/webhook-dead-letters', await r().get('/v1/admin/webhook-dead-letters'));
    const missing = `/v1/admin/webhook-dead-letters/${ids[0]}/redeliver`;
    await expectToMatchSpec('post', missing, await r().post(missing));
    await expectToMatchSpec('get', `/v1/admin/jobs/${ids[0]}`, await r().get(`/v1/admin/jobs/${ids[0]}`));
    await expectToMatchSpec('get', '/v1/admin/jobs/job_AAAAAAAAAAAAAAAAAAAAAAAAAA', await r().get('/v1/admin/jobs/job_AAAAAAAAAAAAAAAAAAAAAAAAAA'));
    await expectToMatchSpec('get', '/v1/admin/targets/fail/jobs', await r().get('/v1/admin/targets/fail/jobs?view=recent'));
    await expectToMatchSpec('get', '/v1/admin/targets/fail/jobs', await r().get('/v1/admin/targets/fail/jobs?view=x'));
    await expectToMatchSpec('get', '/v1/admin/targets/nope/jobs', await r().get('/v1/admin/targets/nope/jobs'));
    await expectToMatchSpec('get', '/v1/admin/activity', await r().get('/v1/admin/activity?minutes=3'));
    await expectToMatchSpec('get', '/v1/admin/activity', await r().get('/v1/admin/activity?minutes=0'));
  });

  it('the check itself fails for a response that breaks the contract', async () => {
    const res = await r().post('/v1/jobs').send({ target: 'echo' });
    res.body.status = 'done';
    await expect(expectToMatchSpec('post', '/v1/jobs', res)).rejects.toThrow(/does not match openapi.yaml/);
    delete res.headers['operation-location'];
    res.body.status = 'queued';
    await expect(expectToMatchSpec('post', '/v1/jobs', res)).rejects.toThrow(/lacks required header Operation-Location/);
    res.status = 418;
    await expect(expectToMatchSpec('post', '/v1/jobs', res)).rejects.toThrow(/does not document status 418/);
  });

  it('health: healthz, readyz, openapi.yaml, unknown route', async () => {
    await expectToMatchSpec('get', '/healthz', await r().get('/healthz'));
    await expectToMatchSpec('get', '/readyz', await r().get('/readyz'));
    await expectToMatchSpec('get', '/readyz', await r().get('/readyz?strict=true'));
    await expectToMatchSpec('get', '/metrics', await r().get('/metrics'));
    await expectToMatchSpec('get', '/admin/session', await r().get('/admin/session'));
    await expectToMatchSpec('post', '/admin/session', await r().post('/admin/session').send({ apiKey: 'agk_x' }));
    await expectToMatchSpec('post', '/admin/session', await r().post('/admin/session').send({}));
    await expectToMatchSpec('delete', '/admin/session', await r().delete('/admin/session'));
    await expectToMatchSpec('get', '/openapi.yaml', await r().get('/openapi.yaml'));
  });
});
