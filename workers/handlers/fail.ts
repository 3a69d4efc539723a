import { z } from 'zod';
import { defineHandler } from './define-handler.js';
import { PermanentError } from './permanent-error.js';

/** Fails permanently with `input.message`: no retry will help. */
export const fail = defineHandler({
  name: 'fail',
  input: z.looseObject({ message: z.string().max(1_000).default('failed on purpose') }).prefault({}),
  async run(input) {
    throw new PermanentError(input.message, { code: 'handler_failed' });
  },
});
