import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { dispatchWindow, FairQueues, type TenantShare } from '../../src/core/fair-queue.js';
import { createKeys } from '../../src/core/keys.js';
import { slotTag } from '../../src/core/ids.js';
import { deleteMatching } from '../support/redis-keys.js';
import { testConfig, uniquePrefix } from '../support/test-stack.js';

/**
 * The lanes' round-robin (fair-queue.lua) on a real Redis, BullMQ's side played by the test:
 * its waiting set is a sorted set the test fills, and a job "added" is reported so at once.
 * Each take's order is the order BullMQ would get the jobs in.
 */
describe('FairQueues', () => {
  const redis = new Redis(inject('redisUrl'));
  const prefix = uniquePrefix();
  const keys = createKeys(prefix);
  const fair = new FairQueues(redis, keys);
  const template = testConfig({ targets: { echo: { kind: 'handler', handler: 'echo', concurrency: 2, fairness: 'tenant' } } }).targets.get('echo')!;
  let n = 0;
  afterAll(async () => {
    await deleteMatching(redis, `${prefix}:*`);
    redis.disconnect();
  });

  /** A fresh fair target (window 4), its stand-in for BullMQ's waiting set, and helpers over them. */
  function fresh() {
    const name = `fair${++n}`;
    const target = { ...template, name };
    const waiting = `${prefix}:q:{${slotTag(name)}}${name}:prioritized`;
    let seq = 0;
    const job = async (tenant: string, bullPriority = 1) => {
      const id = `${tenant}${++seq}`;
      await redis.hset(`${keys.targetJobPrefix(name)}${id}`, 'status', 'queued', 'priority', String(target.priority.max - bullPriority + 1));
      return { id, tenant, bullPriority };
    };
    /** Pushes with BullMQ's window full, so nothing is taken yet. */
    const backlog = async (tenant: string, count: number, share: TenantShare = { weight: 1 }, bullPriority = 1) => {
      await redis.zadd(waiting, 0, 'x1', 0, 'x2', 0, 'x3', 0, 'x4');
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const j = await job(tenant, bullPriority);
        expect(await fair.push(target, waiting, j, share)).toEqual([]);
        ids.push(j.id);
      }
      await redis.del(waiting);
      return ids;
    };
    /** One take with BullMQ's queue empty, reported added: the next `window` jobs in dispatch order. */
    const take = async () => {
      const taken = await fair.take(target, waiting);
      await fair.added(name, waiting, taken.map((t) => t.id));
      return taken.map((t) => t.id);
    };
    const end = (id: string) => redis.hset(`${keys.targetJobPrefix(name)}${id}`, 'status', 'succeeded');
    return { name, target, waiting, job, backlog, take, end };
  }

  it('fills BullMQ only up to its window, counting the jobs already waiting there', async () => {
    const t = fresh();
    expect(dispatchWindow(t.target)).toBe(4);
    await t.backlog('a', 6);
    await redis.zadd(t.waiting, 0, 'x1', 0, 'x2', 0, 'x3');
    expect(await t.take()).toEqual(['a1']);
    expect((await fair.sizes(t.name)).waiting).toBe(5);
    await redis.del(t.waiting);
    expect(await t.take()).toEqual(['a2', 'a3', 'a4', 'a5']);
    // Taken but not reported added: it holds its room until it is.
    const held = await fair.take(t.target, t.waiting);
    expect(held.map((j) => j.id)).toEqual(['a6']);
    expect((await fair.sizes(t.name)).waiting).toBe(0);
  });

  it('a tenant that arrives behind a backlog is served at once, then in turn with it', async () => {
    const t = fresh();
    await t.backlog('a', 10);
    expect(await t.take()).toEqual(['a1', 'a2', 'a3', 'a4']);
    await t.backlog('b', 3);
    expect(await t.take()).toEqual(['b11', 'a5', 'b12', 'a6']);
    expect(await t.take()).toEqual(['b13', 'a7', 'a8', 'a9']);
  });

  it('a push into an empty window is taken at once (and other tenants wait their turn)', async () => {
    const t = fresh();
    const j = await t.job('c');
    expect(await fair.push(t.target, t.waiting, j, { weight: 1 })).toEqual([{ id: j.id, bullPriority: 1 }]);
  });

  it('weights share the turns: weight 2 gets two jobs for every one of weight 1', async () => {
    const t = fresh();
    await t.backlog('a', 8, { weight: 2 });
    await t.backlog('b', 8, { weight: 1 });
    const order = [...(await t.take()), ...(await t.take()), ...(await t.take())];
    expect(order.filter((id) => id.startsWith('a'))).toHaveLength(8);
    expect(order.filter((id) => id.startsWith('b'))).toHaveLength(4);
  });

  it('a higher priority goes first whoever has the turn', async () => {
    const t = fresh();
    await t.backlog('a', 3, { weight: 1 }, 2);
    await t.backlog('b', 2, { weight: 1 }, 1);
    expect(await t.take()).toEqual(['b4', 'b5', 'a1', 'a2']);
  });

  it('maxRunning: a tenant at its cap is passed over until one of its jobs ends', async () => {
    const t = fresh();
    await t.backlog('a', 5, { weight: 1, maxRunning: 2 });
    await t.backlog('b', 5);
    expect(await t.take()).toEqual(['a1', 'b6', 'a2', 'b7']);
    expect(await t.take()).toEqual(['b8', 'b9', 'b10']);
    await t.end('a1');
    expect(await t.take()).toEqual(['a3']);
  });

  it('a job taken out of its lane, or ended while there, is never dispatched', async () => {
    const t = fresh();
    const ids = await t.backlog('a', 3);
    expect(await fair.remove(t.name, t.waiting, { id: ids[0]!, tenant: 'a', bullPriority: 1 })).toBe(true);
    expect(await fair.remove(t.name, t.waiting, { id: ids[0]!, tenant: 'a', bullPriority: 1 })).toBe(false);
    await t.end(ids[1]!);
    expect((await fair.sizes(t.name)).waiting).toBe(2);
    expect(await t.take()).toEqual([ids[2]]);
    expect((await fair.sizes(t.name)).waiting).toBe(0);
  });

  it('a job that ended in its lane costs its tenant no turn', async () => {
    const t = fresh();
    const a = await t.backlog('a', 3);
    await t.backlog('b', 3);
    await t.end(a[0]!);
    await t.end(a[1]!);
    // a's two ended jobs are dropped at its turn, and a3 goes in their place, before b's.
    expect(await t.take()).toEqual(['a3', 'b4', 'b5', 'b6']);
  });

  it('jobs taken by a process that died before adding them are handed out again after the lease, if still queued', async () => {
    const t = fresh();
    await t.backlog('a', 2, { weight: 1 }, 3);
    const lost = await fair.take(t.target, t.waiting);
    expect(lost.map((j) => j.id)).toEqual(['a1', 'a2']);
    expect(await fair.recover(t.name, t.waiting, 60_000)).toEqual([]);
    await t.end('a2');
    // The record's own priority comes back with it (bull priority 3 of range 0-10: priority 8).
    expect(await fair.recover(t.name, t.waiting, 0)).toEqual([{ id: 'a1', priority: 8 }]);
    await fair.added(t.name, t.waiting, ['a1']);
    expect(await fair.recover(t.name, t.waiting, 0)).toEqual([]);
  });

  it('a tenant whose lane ran empty comes back with its own time, not ahead of the others', async () => {
    const t = fresh();
    await t.backlog('b', 1);
    await t.backlog('a', 6);
    expect(await t.take()).toEqual(['a2', 'b1', 'a3', 'a4']);
    // b's lane ran empty at time 1; a is at 3 now. Back, b starts from the clock (2), not from 1.
    await t.backlog('b', 3);
    expect(await t.take()).toEqual(['b8', 'a5', 'b9', 'a6']);
  });

  it('stats: lanes by tenant (most waiting first, every priority), jobs being dispatched, a capped tenant\'s live jobs, and the longest-waiting job', async () => {
    const t = fresh();
    expect(await fair.stats(t.target)).toEqual({ view: { activeTenants: 0, waiting: 0, scheduled: 0, dispatching: 0, window: 4, tenants: [] }, oldestId: null, firstScheduledId: null });
    await t.backlog('a', 2, { weight: 2, maxRunning: 2 });
    await t.backlog('c', 3);
    await t.backlog('c', 1, { weight: 1 }, 2);
    // a1 is taken and not yet reported added (dispatching); a2 stays, c's four wait.
    await redis.zadd(t.waiting, 0, 'x1', 0, 'x2', 0, 'x3');
    expect((await fair.take(t.target, t.waiting)).map((j) => j.id)).toEqual(['a1']);
    await redis.del(t.waiting);
    expect(await fair.stats(t.target)).toEqual({
      view: {
        activeTenants: 2,
        waiting: 5,
        scheduled: 0,
        dispatching: 1,
        window: 4,
        tenants: [
          { tenant: 'c', waiting: 4, weight: 1, maxRunning: null, running: null },
          { tenant: 'a', waiting: 1, weight: 2, maxRunning: 2, running: 1 },
        ],
      },
      oldestId: 'a2',
      firstScheduledId: null,
    });
    // An ended job no longer counts against the cap, though the set is pruned only at the cap.
    await t.end('a1');
    const after = await fair.stats(t.target, 1);
    expect(after.view.tenants).toEqual([{ tenant: 'c', waiting: 4, weight: 1, maxRunning: null, running: null }]);
    expect((await fair.stats(t.target)).view.tenants[1]).toMatchObject({ tenant: 'a', running: 0 });
  });

  it('a delayed job is scheduled, not taken; once due it joins its lane and is round-robined with the waiting jobs', async () => {
    const t = fresh();
    const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
    // a schedules 6 jobs for the same moment, 150 ms from now; b has 2 due now, behind a full window.
    await redis.zadd(t.waiting, 0, 'x1', 0, 'x2', 0, 'x3', 0, 'x4');
    const scheduled = [];
    for (let i = 0; i < 6; i++) {
      const j = await t.job('a');
      expect(await fair.push(t.target, t.waiting, { ...j, delayMs: 150 }, { weight: 1 })).toEqual([]);
      scheduled.push(j.id);
    }
    await t.backlog('b', 2);
    const before = await fair.stats(t.target);
    expect(before.view).toMatchObject({ waiting: 2, scheduled: 6, activeTenants: 1 });
    expect(before.firstScheduledId).toBe('a1');
    expect(await fair.list(t.target, 10)).toEqual({ waiting: ['b7', 'b8'], scheduled });
    // Not due: a take moves only b's jobs; a's stay scheduled.
    expect(await t.take()).toEqual(['b7', 'b8']);
    // A scheduled job canceled before it is due never shows up.
    expect(await fair.remove(t.name, t.waiting, { id: 'a6', tenant: 'a', bullPriority: 1 })).toBe(true);
    await wait(170);
    await t.backlog('b', 3);
    // Due: a's five join its lane at the clock (1), b comes back at its own time (2, after its
    // two turns): a catches up one turn, then they alternate (ties by name).
    expect(await t.take()).toEqual(['a1', 'a2', 'b9', 'a3']);
    expect(await t.take()).toEqual(['b10', 'a4', 'b11', 'a5']);
    expect((await fair.stats(t.target)).view).toMatchObject({ waiting: 0, scheduled: 0 });
  });
});
