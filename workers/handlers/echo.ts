import { z } from 'zod';
import { defineHandler } from './define-handler.js';
import { abortableSleep } from './abortable-sleep.js';

const STEPS = 4;

/** Returns `{echo: input}` after `input.delayMs`, reporting progress at each quarter. */
export const echo = defineHandler({
  name: 'echo',
  input: z.looseObject({ delayMs: z.number().int().min(0).max(3_600_000).optional() }).prefault({}),
  async run(input, ctx) {
    const delayMs = input.delayMs ?? 0;
    if (delayMs > 0) {
      for (let step = 1; step <= STEPS; step++) {
        await abortableSleep(delayMs / STEPS, ctx.signal);
        await ctx.progress(Math.round((step / STEPS) * 100));
      }
    }
    return { echo: input };
  },
});
