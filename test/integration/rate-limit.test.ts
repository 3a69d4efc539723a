import { describe, expect, it } from 'vitest';
import { DEMO_TARGETS, eventually, startStack, testConfig } from '../support/test-stack.js';

describe('target rate limit', () => {
  it('starts no more than rateLimit.max jobs per rateLimit.durationMs', async () => {
    const stack = await startStack({
      config: testConfig({ targets: { echo: { ...DEMO_TARGETS.echo, rateLimit: { max: 2, durationMs: 1_000 } } } }),
    });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) ids.push((await stack.request.post('/v1/jobs').send({ target: 'echo' })).body.id as string);
      const docs = await eventually(async () => {
        const all = await Promise.all(ids.map(async (id) => (await stack.request.get(`/v1/jobs/${id}`)).body));
        return all.every((d) => d.status === 'succeeded') ? all : null;
      }, 20_000);
      const starts = docs.map((d) => Date.parse(d.startedAt as string)).sort((a, b) => a - b);
      // The third start waits for the window of the first two to pass: a lower bound set by the limiter.
      expect(starts[2]! - starts[0]!).toBeGreaterThanOrEqual(900);
    } finally {
      await stack.close();
    }
  });
});
