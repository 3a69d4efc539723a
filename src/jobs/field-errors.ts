import type { z } from 'zod';
import type { FieldError } from '../core/errors.js';

/** zod issues as RFC 6901 JSON pointers (`/input/items/0`), one entry per issue. */
export function zodToFieldErrors(issues: readonly z.core.$ZodIssue[], base = ''): FieldError[] {
  return issues.map((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const path = base + issue.path.map((p) => `/${String(p).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
    const message = keys.length ? `unknown field${keys.length > 1 ? 's' : ''}: ${keys.join(', ')}` : issue.message;
    return { path: path || '/', message };
  });
}
