import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SubmitRequestSchema } from '../../src/core/job-schema.js';
import { startStack, type TestStack } from '../support/test-stack.js';

/**
 * Property-based checks over the submit schema and the id routes: whatever arrives, the
 * gateway answers with a 2xx or a problem+json 4xx, never a 5xx, and a 202 only for a
 * body the schema accepts.
 */
describe('fuzzing', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ executor: false });
  });
  afterAll(async () => {
    await stack.close();
  });

  const envelope = fc.record(
    {
      target: fc.oneof(fc.constantFrom('echo', 'flaky', 'fail'), fc.string()),
      input: fc.jsonValue({ maxDepth: 4 }),
      priority: fc.oneof(fc.integer({ min: -5, max: 20 }), fc.double(), fc.string()),
      delay: fc.oneof(fc.integer({ min: -10, max: 1_000 }), fc.constant(1e300), fc.string()),
      runAt: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.string()),
      ttl: fc.oneof(fc.nat(), fc.integer({ min: -100, max: 0 })),
      metadata: fc.dictionary(fc.string({ maxLength: 70 }), fc.oneof(fc.string({ maxLength: 300 }), fc.integer())),
      extra: fc.anything(),
    },
    { requiredKeys: [] },
  );

  it('answers any submit body with a 2xx or a 4xx problem, and 202 only when the schema accepts it', async () => {
    await fc.assert(
      fc.asyncProperty(envelope, async (body) => {
        const res = await stack.request.post('/v1/jobs').send(body);
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) expect(res.type).toBe('application/problem+json');
        // Judged on what was sent: JSON drops a key whose value is undefined (a seed once drew
        // `{target: 'echo', extra: undefined}`, which the strict schema refuses as an object).
        if (res.status === 202) expect(SubmitRequestSchema.safeParse(JSON.parse(JSON.stringify(body))).success).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('answers any text as a body with a 4xx problem', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), async (text) => {
        const res = await stack.request.post('/v1/jobs').set('Content-Type', 'application/json').send(text);
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 200 },
    );
  });

  it('answers any job id with 404 (or 400 for broken encoding), never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ minLength: 1, maxLength: 300 }), fc.constantFrom('*', 'bull:echo:1', '../..', '%2e%2e%2f', 'job_' + 'A'.repeat(22) + '/x')), async (id) => {
        for (const path of [`/v1/jobs/${encodeURIComponent(id)}`, `/v1/jobs/${encodeURIComponent(id)}/result`, `/v1/jobs/${encodeURIComponent(id)}/cancel`]) {
          const res = path.endsWith('/cancel') ? await stack.request.post(path) : await stack.request.get(path);
          expect([400, 404]).toContain(res.status);
        }
      }),
      { numRuns: 150 },
    );
  });
});
