import { describe, expect, it } from 'vitest';
import { isJobId, jobSlotTag, newJobId, slotTag } from '../../src/core/ids.js';
import { createKeys } from '../../src/core/keys.js';

describe('job ids', () => {
  it('makes unguessable ids of 128 random bits that pass the id check', () => {
    const ids = new Set(Array.from({ length: 1_000 }, () => newJobId('echo')));
    expect(ids.size).toBe(1_000);
    for (const id of ids) expect(isJobId(id)).toBe(true);
  });
  it.each(['job_../../etc', '*', 'bull:echo:1', `job_${'A'.repeat(27)}`, `job_${'A'.repeat(25)}{`])('refuses %s', (id) => {
    expect(isJobId(id)).toBe(false);
  });
});

describe('slot tags', () => {
  it("carries its target's tag, so a job's keys follow from its id", () => {
    for (const target of ['echo', 'orders', 'a-very-long-target-name-0123456789']) {
      const id = newJobId(target);
      expect(jobSlotTag(id)).toBe(slotTag(target));
      expect(slotTag(target)).toMatch(/^[A-Za-z0-9_-]{4}$/);
    }
    // A pure function of the name: the same in every process and version.
    expect(slotTag('echo')).toBe('stIe');
  });

  it("puts a job's keys, its target's queue, dead letters and outbox under one hash tag", () => {
    const keys = createKeys('ag');
    const id = newJobId('orders');
    const tagOf = (key: string) => /\{([^}]*)\}/.exec(key)?.[1];
    const tag = slotTag('orders');
    for (const key of [keys.job(id), keys.jobEvents(id), keys.jobAttempts(id), keys.jobDeliveries(id), keys.targetDeadLetters('orders'), keys.outbox('orders'), `${keys.bullPrefix()}:${keys.queueName('orders')}:wait`]) {
      expect(tagOf(key)).toBe(tag);
    }
    expect(tagOf(keys.tenantInFlight('acme'))).toBe('acme');
  });
});
