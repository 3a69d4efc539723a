import type { CompiledExpression } from '../config/routes.js';
import { ApiError } from '../core/errors.js';

/** jsonata's own error codes for the evaluation guardrails (server.expressionTimeoutMs, the stack bound). */
const BUDGET_CODES: Readonly<Record<string, string>> = { D1012: 'took longer than its time budget', D1011: 'recursed too deep' };

/** An expression of a route that failed on the value it was given: `why` says how, `path` where it sits in the config. */
export class ExpressionFailed extends Error {
  constructor(
    readonly path: string,
    readonly why: string,
  ) {
    super(`${path} failed: ${why}`);
  }
}

/** Evaluates a route's expression (its time budget is built in at compile time); a failure is an ExpressionFailed. */
export async function evaluate(expr: CompiledExpression, value: unknown, bindings?: Record<string, unknown>): Promise<unknown> {
  try {
    return await expr.expression.evaluate(value, bindings);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    throw new ExpressionFailed(expr.path, (e.code && BUDGET_CODES[e.code]) ?? e.message ?? String(err));
  }
}

/** A `when`'s verdict: true or false (a missing field makes a comparison undefined: false too); anything else fails it. */
export function verdictOf(expr: CompiledExpression, verdict: unknown): boolean {
  if (verdict === true) return true;
  if (verdict === false || verdict === undefined) return false;
  const type = Array.isArray(verdict) ? 'an array' : verdict === null ? 'null' : `a ${typeof verdict}`;
  throw new ExpressionFailed(expr.path, `when must give true or false, it gave ${type}`);
}

/**
 * An expression's value as JSON, refused past `maxBytes` (the target's maxBodyBytes for a
 * step's input, the largest of the route's for its output): evaluation is bounded in size as
 * in time. An undefined value (nothing matched) is JSON null.
 */
export function boundedJson(expr: CompiledExpression, value: unknown, maxBytes: number): string {
  const json = JSON.stringify(value ?? null);
  const bytes = Buffer.byteLength(json);
  if (bytes > maxBytes) throw new ExpressionFailed(expr.path, `its value is ${bytes} bytes, more than the ${maxBytes} allowed`);
  return json;
}

/** The 422 of an expression that failed on a submit's input: nothing is stored. */
export function refusal(f: ExpressionFailed): ApiError {
  return new ApiError('expression_failed', `${f.path} failed on this input: ${f.why}`, { errors: [{ path: '/input', message: `${f.path}: ${f.why}` }] });
}
