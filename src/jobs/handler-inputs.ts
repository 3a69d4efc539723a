import type { z } from 'zod';

/**
 * What the gateway needs of the in-code handlers: each one's input schema, by handler
 * name, checked at submit before the 202 (the worker checks it again before it runs).
 * The handlers themselves live in workers/handlers/ (schema and code together); the
 * runtime composition (src/runtime/gateway-runtime.ts) passes their registry to
 * JobService, so that src/jobs never imports workers/. `handlers` from
 * workers/handlers/index.ts fits this type as it is.
 */
export type HandlerInputs = ReadonlyMap<string, { readonly input: z.ZodType }>;
