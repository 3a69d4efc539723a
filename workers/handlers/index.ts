import type { Handler } from './define-handler.js';
import { echo } from './echo.js';
import { fail } from './fail.js';
import { flaky } from './flaky.js';

export { defineHandler, type Handler, type HandlerContext } from './define-handler.js';
export { PermanentError, RetryableError } from './permanent-error.js';

/** Every handler a `handler` target may name. Add yours here. */
export const handlers: ReadonlyMap<string, Handler> = new Map<string, Handler>(
  [echo, flaky, fail].map((h) => [h.name, h as unknown as Handler]),
);

export const handlerNames: readonly string[] = [...handlers.keys()];
