import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_TARGETS, startStack, testConfig, type TestStack } from '../support/test-stack.js';

describe('bad input on POST /v1/jobs', () => {
  let stack: TestStack;
  let keysBefore: string[];
  beforeAll(async () => {
    stack = await startStack({
      config: testConfig({ targets: { echo: { ...DEMO_TARGETS.echo, maxBodyBytes: 1_024 } } }),
      executor: false,
    });
    keysBefore = await jobKeys();
  });
  afterAll(async () => {
    // Every refusal left nothing behind (the tenant's request-rate counter aside).
    expect((await jobKeys()).sort()).toEqual(keysBefore.sort());
    await stack.close();
  });

  const post = () => stack.request.post('/v1/jobs');
  const jobKeys = async () => (await stack.keys(`${stack.config.server.keyPrefix}:*`)).filter((k) => !k.includes(':rate:'));

  it('answers 400 for malformed or truncated JSON', async () => {
    for (const body of ['{"target": "echo",', '{target: echo}', 'null x', '{"target":"echo"}}']) {
      const res = await post().set('Content-Type', 'application/json').send(body);
      expect(res.status).toBe(400);
      expect(res.type).toBe('application/problem+json');
      expect(res.body.code).toBe('malformed_json');
    }
  });

  it('answers 422 naming /target for an empty JSON body', async () => {
    const res = await post().set('Content-Type', 'application/json').send('');
    expect(res.status).toBe(422);
    expect(res.body.errors[0].path).toBe('/target');
  });

  it('answers 415 for a wrong or missing content type', async () => {
    const form = await post().set('Content-Type', 'application/x-www-form-urlencoded').send('target=echo');
    expect(form.status).toBe(415);
    const text = await post().set('Content-Type', 'text/plain').send('{"target":"echo"}');
    expect(text.status).toBe(415);
    const none = await post().unset('Content-Type').send(Buffer.from('{"target":"echo"}'));
    expect(none.status).toBe(415);
    expect(none.body.code).toBe('unsupported_media_type');
  });

  it('answers 413 for a body over the limit, and for input over the target limit', async () => {
    const huge = await post().send({ target: 'echo', input: { blob: 'x'.repeat(200_000) } });
    expect(huge.status).toBe(413);
    const overTarget = await post().send({ target: 'echo', input: { blob: 'x'.repeat(2_000) } });
    expect(overTarget.status).toBe(413);
    expect(overTarget.body.code).toBe('payload_too_large');
  });

  it('answers 422 with JSON paths for invalid fields, unknown fields and bad input', async () => {
    const res = await post().send({ target: 'echo', priority: 'high', delay: -5, colour: 'red', metadata: { 'bad key': 'x' } });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('validation_failed');
    const paths = (res.body.errors as { path: string }[]).map((e) => e.path).sort();
    expect(paths).toEqual(['/', '/delay', '/metadata/bad key', '/priority'].sort());
    expect(res.body.errors.find((e: { path: string }) => e.path === '/').message).toContain('colour');

    const input = await post().send({ target: 'echo', input: { delayMs: -1 } });
    expect(input.status).toBe(422);
    expect(input.body.errors).toEqual([{ path: '/input/delayMs', message: expect.any(String) }]);

    const both = await post().send({ target: 'echo', delay: 10, runAt: new Date().toISOString() });
    expect(both.status).toBe(422);
    expect(both.body.errors[0].path).toBe('/runAt');
  });

  it('refuses NaN-like and fractional numbers', async () => {
    for (const priority of ['1.5', '1e400', '-1']) {
      const res = await post().set('Content-Type', 'application/json').send(`{"target":"echo","priority":${priority}}`);
      expect(res.status).toBe(422);
    }
  });

  it('answers 404 problem for unknown routes', async () => {
    const res = await stack.request.get('/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('route_not_found');
  });
});
