import type { z } from 'zod';

export interface HandlerContext {
  jobId: string;
  /** 1 for the first attempt. */
  attempt: number;
  maxAttempts: number;
  /** Fires on the per-attempt timeout, on cancel and on shutdown; pass it on to I/O. */
  signal: AbortSignal;
  /** Reports progress (a percentage, or a small object) to pollers and SSE clients. */
  progress(value: number | Record<string, unknown>): Promise<void>;
}

export interface Handler<S extends z.ZodType = z.ZodType> {
  name: string;
  /** Checked by the gateway before it answers 202, and again by the worker. */
  input: S;
  run(input: z.infer<S>, ctx: HandlerContext): Promise<unknown>;
}

/**
 * Declares an in-code target handler.
 *
 * @example
 * export const hello = defineHandler({
 *   name: 'hello',
 *   input: z.object({ name: z.string() }),
 *   run: async ({ name }) => ({ greeting: `hello ${name}` }),
 * });
 */
export function defineHandler<S extends z.ZodType>(handler: Handler<S>): Handler<S> {
  return Object.freeze(handler);
}
