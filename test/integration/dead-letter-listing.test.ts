import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, testConfig, type TestStack } from '../support/test-stack.js';

describe('the dead-letter list of one target', () => {
  let stack: TestStack;
  /** Dead letters by target, newest first (the list's order). */
  const ids: Record<'x' | 'y', string[]> = { x: [], y: [] };
  /** Every dead letter, newest first. */
  const all: string[] = [];
  beforeAll(async () => {
    stack = await startStack({
      config: testConfig({
        targets: {
          x: { kind: 'handler', handler: 'fail', attempts: 1 },
          y: { kind: 'handler', handler: 'fail', attempts: 1 },
        },
      }),
    });
    // Interleaved, so that a page of the unfiltered index holds both targets: y x y y x y y.
    for (const t of ['y', 'x', 'y', 'y', 'x', 'y', 'y'] as const) {
      const res = await stack.request.post('/v1/jobs').set('Prefer', 'wait=10').send({ target: t });
      expect(res.body).toMatchObject({ status: 'failed', deadLettered: true });
      ids[t].unshift(res.body.id as string);
      all.unshift(res.body.id as string);
      // Distinct failure times, so that "newest first" has one answer.
      await new Promise((r) => setTimeout(r, 5));
    }
  });
  afterAll(async () => {
    await stack.close();
  });

  const list = async (query: Record<string, string | number>) => {
    const res = await stack.request.get('/v1/admin/dead-letters').query(query);
    expect(res.status).toBe(200);
    return { ids: (res.body.items as { id: string; target: string }[]).map((j) => j.id), total: res.body.total as number };
  };

  it('fills a page with that target\'s dead letters only, and counts only them', async () => {
    expect(await list({ target: 'x', limit: 2 })).toEqual({ ids: ids.x, total: 2 });
    expect(await list({ target: 'y', limit: 3 })).toEqual({ ids: ids.y.slice(0, 3), total: 5 });
  });

  it('pages through one target with offset, without gaps or repeats', async () => {
    const pages: string[] = [];
    for (let offset = 0; offset < 6; offset += 2) {
      const page = await list({ target: 'y', limit: 2, offset });
      expect(page.total).toBe(5);
      pages.push(...page.ids);
    }
    expect(pages).toEqual(ids.y);
  });

  it('still lists every target without a filter', async () => {
    const page = await list({ limit: 50 });
    expect(page.total).toBe(7);
    expect(page.ids).toEqual(all);
  });

  it('pages across targets newest first, merging their own indexes, without gaps or repeats', async () => {
    const pages: string[] = [];
    for (let offset = 0; offset < 9; offset += 3) {
      const page = await list({ limit: 3, offset });
      expect(page.total).toBe(7);
      pages.push(...page.ids);
    }
    expect(pages).toEqual(all);
  });

  it('takes a replayed or purged dead letter out of its target\'s list', async () => {
    const [purged, replayed] = ids.y;
    expect((await stack.request.delete(`/v1/admin/dead-letters/${purged}`)).status).toBe(204);
    // A replay of a `fail` job dead-letters it again: wait for that, then it is listed anew.
    expect((await stack.request.post(`/v1/admin/dead-letters/${replayed}/replay`)).status).toBe(202);
    expect((await stack.request.get(`/v1/jobs/${replayed}?wait=10`)).body).toMatchObject({ status: 'failed', deadLettered: true });
    const y = await list({ target: 'y', limit: 50 });
    expect(y.total).toBe(4);
    expect(y.ids).not.toContain(purged);
    expect(y.ids[0]).toBe(replayed);
    expect((await list({ target: 'x', limit: 50 })).total).toBe(2);
  });
});
