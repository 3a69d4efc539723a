import { describe, expect, it } from 'vitest';
import { RetryUntilDone } from '../../src/jobs/retry-until-done.js';

describe('RetryUntilDone', () => {
  it('tries a task again until it succeeds, then forgets it', async () => {
    const events: string[] = [];
    let calls = 0;
    const retry = new RetryUntilDone(5, 10, (event, key) => events.push(`${event}:${key}`));
    retry.add('job_a', async () => {
      calls++;
      if (calls < 3) throw new Error('Redis is still down');
    });
    expect(retry.pending).toBe(1);
    await expect.poll(() => retry.pending).toBe(0);
    expect(calls).toBe(3);
    expect(events).toEqual(['failed:job_a', 'failed:job_a', 'done:job_a']);
  });

  it('keeps at most maxPending tasks, and says which it drops', async () => {
    const events: string[] = [];
    const retry = new RetryUntilDone(3_600_000, 2, (event, key) => events.push(`${event}:${key}`));
    const never = () => Promise.reject(new Error('down'));
    retry.add('a', never);
    retry.add('b', never);
    retry.add('a', never); // the same key again replaces, does not count twice
    retry.add('c', never);
    expect(retry.pending).toBe(2);
    expect(events).toEqual(['dropped:c']);
  });

  it('makes one last round on close, and keeps what still fails', async () => {
    let done = false;
    const retry = new RetryUntilDone(3_600_000, 10, () => undefined);
    retry.add('ok', async () => {
      done = true;
    });
    retry.add('bad', () => Promise.reject(new Error('down')));
    await retry.close();
    expect(done).toBe(true);
    expect(retry.pending).toBe(1);
  });
});
