import { describe, expect, it } from 'vitest';
import { handlers, PermanentError, RetryableError, type HandlerContext } from '../../workers/handlers/index.js';

const ctx = (over: Partial<HandlerContext> = {}): HandlerContext & { reported: unknown[] } => {
  const reported: unknown[] = [];
  return {
    jobId: 'job_test',
    attempt: 1,
    maxAttempts: 3,
    signal: new AbortController().signal,
    progress: async (v) => {
      reported.push(v);
    },
    reported,
    ...over,
  };
};

const run = (name: string, input: unknown, c: HandlerContext) => {
  const h = handlers.get(name)!;
  return h.run(h.input.parse(input), c);
};

describe('demo handlers', () => {
  it('echo returns its input and reports progress in quarters', async () => {
    const c = ctx();
    await expect(run('echo', { delayMs: 20, a: 1 }, c)).resolves.toEqual({ echo: { delayMs: 20, a: 1 } });
    expect(c.reported).toEqual([25, 50, 75, 100]);
  });

  it('echo stops as soon as its signal aborts', async () => {
    const ac = new AbortController();
    const p = run('echo', { delayMs: 60_000 }, ctx({ signal: ac.signal }));
    ac.abort('cancel');
    await expect(p).rejects.toThrow();
  });

  it('flaky fails retryably while attempt <= failTimes, then succeeds', async () => {
    await expect(run('flaky', { failTimes: 2 }, ctx({ attempt: 2 }))).rejects.toBeInstanceOf(RetryableError);
    await expect(run('flaky', { failTimes: 2 }, ctx({ attempt: 3 }))).resolves.toEqual({ succeededOnAttempt: 3 });
  });

  it('fail fails permanently with its message', async () => {
    await expect(run('fail', { message: 'boom' }, ctx())).rejects.toEqual(expect.objectContaining({ message: 'boom', code: 'handler_failed' }));
    await expect(run('fail', {}, ctx())).rejects.toBeInstanceOf(PermanentError);
  });
});
