import type { GatewayConfig } from '../config/schema.js';
import type { Route, SwitchRoute } from '../config/routes.js';
import { ApiError } from '../core/errors.js';
import type { JobObserver } from '../observability/job-observer.js';
import { evaluate, ExpressionFailed, refusal, verdictOf } from './route-expressions.js';

/** The route named `name`, or the 422 `unknown_route` listing the known ones. */
export function routeNamed(config: Pick<GatewayConfig, 'routes'>, name: string): Route {
  const route = config.routes.get(name);
  if (route) return route;
  throw new ApiError('unknown_route', `no route named "${name}"`, {
    errors: [{ path: '/route', message: config.routes.size ? `known routes: ${[...config.routes.keys()].join(', ')}` : 'no routes are configured' }],
  });
}

/**
 * Picks a switch route's target for a submit's input: the first rule whose `when` is true
 * (a rule without one is the default). Runs before anything is stored, so a refusal
 * (`no_route_match`, `expression_failed`) leaves nothing behind.
 */
export class RouteSwitch {
  constructor(private readonly observer: Pick<JobObserver, 'routed'>) {}

  async choose(route: SwitchRoute, input: unknown): Promise<string> {
    let target: string | null;
    try {
      target = await this.firstMatch(route, input);
    } catch (err) {
      this.observer.routed(route.name, 'error');
      throw err instanceof ExpressionFailed ? refusal(err) : err;
    }
    this.observer.routed(route.name, target ?? 'none');
    if (target === null) throw new ApiError('no_route_match', `no rule of route "${route.name}" matches this input, and it has no default rule`);
    return target;
  }

  private async firstMatch(route: SwitchRoute, input: unknown): Promise<string | null> {
    for (const rule of route.rules) {
      if (rule.when === null) return rule.target;
      if (verdictOf(rule.when, await evaluate(rule.when, input))) return rule.target;
    }
    return null;
  }
}
