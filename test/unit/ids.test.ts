import { describe, expect, it } from 'vitest';
import { isJobId, newJobId } from '../../src/core/ids.js';

describe('job ids', () => {
  it('makes unguessable ids of 128 random bits that pass the id check', () => {
    const ids = new Set(Array.from({ length: 1_000 }, newJobId));
    expect(ids.size).toBe(1_000);
    for (const id of ids) expect(isJobId(id)).toBe(true);
  });
  it.each(['job_../../etc', '*', 'bull:echo:1', `job_${'A'.repeat(23)}`, 'job_AAAAAAAAAAAAAAAAAAAAA{'])('refuses %s', (id) => {
    expect(isJobId(id)).toBe(false);
  });
});
