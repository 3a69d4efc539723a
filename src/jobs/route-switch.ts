import type { GatewayConfig } from '../config/schema.js';
import type { CompiledExpression, SwitchRoute } from '../config/routes.js';
import { ApiError } from '../core/errors.js';
import type { JobObserver } from '../observability/job-observer.js';

/** jsonata's own error codes for the evaluation guardrails (server.expressionTimeoutMs, the stack bound). */
const BUDGET_CODES: Readonly<Record<string, string>> = { D1012: 'took longer than its time budget', D1011: 'recursed too deep' };

function failure(expr: CompiledExpression, err: unknown): ApiError {
  const e = err as { code?: string; message?: string };
  const why = (e.code && BUDGET_CODES[e.code]) ?? e.message ?? String(err);
  return new ApiError('expression_failed', `${expr.path} failed on this input: ${why}`, { errors: [{ path: '/input', message: `${expr.path}: ${why}` }] });
}

/**
 * Picks a switch route's target for a submit's input: the first rule whose `when` is true
 * (a rule without one is the default). Runs before anything is stored, so a refusal
 * (`unknown_route`, `no_route_match`, `expression_failed`) leaves nothing behind.
 */
export class RouteSwitch {
  constructor(
    private readonly config: Pick<GatewayConfig, 'routes'>,
    private readonly observer: Pick<JobObserver, 'routed'>,
  ) {}

  async choose(routeName: string, input: unknown): Promise<string> {
    const route = this.config.routes.get(routeName);
    if (!route) {
      throw new ApiError('unknown_route', `no route named "${routeName}"`, {
        errors: [{ path: '/route', message: this.config.routes.size ? `known routes: ${[...this.config.routes.keys()].join(', ')}` : 'no routes are configured' }],
      });
    }
    let target: string | null;
    try {
      target = await this.firstMatch(route, input);
    } catch (err) {
      this.observer.routed(route.name, 'error');
      throw err;
    }
    this.observer.routed(route.name, target ?? 'none');
    if (target === null) throw new ApiError('no_route_match', `no rule of route "${route.name}" matches this input, and it has no default rule`);
    return target;
  }

  private async firstMatch(route: SwitchRoute, input: unknown): Promise<string | null> {
    for (const rule of route.rules) {
      if (rule.when === null) return rule.target;
      let verdict: unknown;
      try {
        verdict = await rule.when.expression.evaluate(input);
      } catch (err) {
        throw failure(rule.when, err);
      }
      // A missing field makes a comparison undefined, not false: both mean "not this rule".
      if (verdict === true) return rule.target;
      if (verdict !== false && verdict !== undefined) {
        const type = Array.isArray(verdict) ? 'an array' : verdict === null ? 'null' : `a ${typeof verdict}`;
        throw failure(rule.when, { message: `when must give true or false, it gave ${type}` });
      }
    }
    return null;
  }
}
