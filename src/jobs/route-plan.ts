import type { StepRoute } from '../config/routes.js';
import { HttpResultSchema } from '../core/job-schema.js';
import { boundedJson, evaluate, ExpressionFailed, verdictOf } from './route-expressions.js';

/**
 * What a fanOut or chain route's expressions compute, apart from where the values go: the
 * steps a submit starts with (over the request's input, before the 202), and the route's
 * result (over its steps' results, once they exist). Every expression gets the route's
 * input as `$input`.
 */

/** A step as a submit plans it: `input` for one that starts now, `skipped` for a branch whose `when` is false, `later` for a chain's later steps. */
export type PlannedStep = { kind: 'start'; input: unknown } | { kind: 'skipped' } | { kind: 'later' };

/** The steps a submit of `input` starts with; an ExpressionFailed says which expression failed on it. */
export async function plannedSteps(route: StepRoute, input: unknown): Promise<PlannedStep[]> {
  const bindings = { input };
  if (route.kind === 'chain') {
    const first = route.steps[0]!;
    const firstInput = first.input ? await evaluate(first.input, input, bindings) : input;
    return route.steps.map((_, i) => (i === 0 ? { kind: 'start', input: firstInput } : { kind: 'later' }));
  }
  const planned: PlannedStep[] = [];
  for (const step of route.steps) {
    if (step.when && !verdictOf(step.when, await evaluate(step.when, input, bindings))) {
      planned.push({ kind: 'skipped' });
      continue;
    }
    planned.push({ kind: 'start', input: step.input ? await evaluate(step.input, input, bindings) : input });
  }
  return planned;
}

/** A chain step's input, from the previous step's result (`$input`: the route's input). */
export async function nextInput(route: StepRoute, index: number, previous: unknown, input: unknown): Promise<unknown> {
  const step = route.steps[index]!;
  return step.input ? evaluate(step.input, previous, { input }) : previous;
}

/**
 * A step's result as the route's expressions see it: a handler's return value; an http
 * target's upstream body, parsed, when it is JSON (else the whole `{status, contentType,
 * body, bodyEncoding}` answer, as the step's own document shows it).
 */
export function stepValue(resultJson: string | null): unknown {
  if (resultJson === null) return null;
  const value = JSON.parse(resultJson) as unknown;
  const http = HttpResultSchema.safeParse(value);
  if (!http.success || http.data.bodyEncoding !== 'utf8' || !/[/+]json\b/i.test(http.data.contentType ?? '')) return value;
  try {
    return JSON.parse(http.data.body) as unknown;
  } catch {
    return value;
  }
}

/**
 * The route's result as JSON: `output` over `{ <step name>: <value> }` (a skipped branch is
 * left out, a failed optional one is null), or by default that object (fanOut) or the last
 * step's value (chain); at most `maxBytes`. An ExpressionFailed when `output` fails or is too big.
 */
export async function routeOutput(route: StepRoute, values: Readonly<Record<string, unknown>>, input: unknown, maxBytes: number): Promise<string> {
  if (route.output) return boundedJson(route.output, await evaluate(route.output, values, { input }), maxBytes);
  const value = route.kind === 'chain' ? values[route.steps[route.steps.length - 1]!.name] : values;
  const json = JSON.stringify(value ?? null);
  if (Buffer.byteLength(json) > maxBytes) throw new ExpressionFailed(`routes.${route.name}`, `its result is more than the ${maxBytes} bytes allowed`);
  return json;
}
