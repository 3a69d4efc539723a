import { z } from 'zod';
import { defineHandler } from './define-handler.js';
import { RetryableError } from './permanent-error.js';

/** Fails retryably while the attempt number is at most `input.failTimes`, then succeeds. */
export const flaky = defineHandler({
  name: 'flaky',
  input: z.looseObject({ failTimes: z.number().int().min(0).max(100).default(1) }).prefault({}),
  async run(input, ctx) {
    if (ctx.attempt <= input.failTimes) {
      throw new RetryableError(`flaky: attempt ${ctx.attempt} of ${input.failTimes} planned failures`, undefined, {
        code: 'flaky_failure',
      });
    }
    return { succeededOnAttempt: ctx.attempt };
  },
});
