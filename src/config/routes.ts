import jsonata from 'jsonata';
import type { z } from 'zod';
import type { RouteFileSchema } from './schema.js';

/**
 * Routes as the gateway runs them: every JSONata expression compiled once, at start-up,
 * with the evaluation budget (`server.expressionTimeoutMs`) built in, so that a bad
 * expression stops the process (exit 78, by path) instead of failing a request.
 */

/** A compiled JSONata expression and its source (for messages). */
export interface CompiledExpression {
  source: string;
  /** Where it sits in the config file, e.g. `routes.billing.switch.0.when`. */
  path: string;
  expression: jsonata.Expression;
}

export interface SwitchRule {
  /** Null: the default rule, which matches any input. */
  when: CompiledExpression | null;
  target: string;
}

export interface SwitchRoute {
  name: string;
  kind: 'switch';
  rules: readonly SwitchRule[];
}

/** A branch of a fan-out, or a step of a chain, as the gateway runs it. */
export interface RouteStep {
  /** Its name in the job document's `steps` and in `output`'s object (its target's by default). */
  name: string;
  target: string;
  /** Null: the step's input is the route's input (fan-out, first chain step) or the previous step's result (chain). */
  input: CompiledExpression | null;
  /** Fan-out only; null: the branch always runs. */
  when: CompiledExpression | null;
  /** Fan-out only: its failure does not fail the route's job. */
  optional: boolean;
}

/** A route whose job is made of steps, each an ordinary job: in parallel (fanOut) or one after another (chain). */
export interface StepRoute {
  name: string;
  kind: 'fanOut' | 'chain';
  steps: readonly RouteStep[];
  /** Null: a fan-out's result is `{ <step name>: <result> }`, a chain's its last step's result. */
  output: CompiledExpression | null;
}

export type Route = SwitchRoute | StepRoute;

type RouteFile = z.infer<typeof RouteFileSchema>;

/** A JSONata compile error's message, with the position jsonata reports. */
function compileProblem(err: unknown): string {
  const e = err as { message?: string; position?: number };
  return `${e.message ?? String(err)}${typeof e.position === 'number' ? ` (at character ${e.position})` : ''}`;
}

function compile(source: string, path: string, timeoutMs: number, problems: string[]): CompiledExpression | null {
  try {
    // `stack` bounds recursion depth the way `timeout` bounds time: a runaway recursive
    // function fails fast instead of exhausting Node's stack.
    return { source, path, expression: jsonata(source, { timeout: timeoutMs, stack: 500 }) };
  } catch (err) {
    problems.push(`${path}: not a valid JSONata expression: ${compileProblem(err)}`);
    return null;
  }
}

/**
 * Compiles a fanOut or chain route: every target known, step names unique (a step is named
 * after its target unless it has a `name`), every expression compiling.
 */
function compileSteps(name: string, raw: RouteFile, at: string, targets: ReadonlySet<string>, timeoutMs: number, problems: string[]): StepRoute {
  const kind = raw.fanOut !== undefined ? 'fanOut' : 'chain';
  const source: { name?: string | undefined; target: string; input?: string | undefined; when?: string | undefined; optional?: boolean }[] = raw.fanOut ?? raw.chain ?? [];
  const named = new Map<string, number>();
  const steps = source.map((step, i): RouteStep => {
    const path = `${at}.${kind}.${i}`;
    if (!targets.has(step.target)) problems.push(`${path}.target: no target named "${step.target}"`);
    const stepName = step.name ?? step.target;
    const first = named.get(stepName);
    if (first === undefined) named.set(stepName, i);
    else problems.push(`${path}: step name "${stepName}" is taken by ${kind}.${first}; give one of them a name`);
    return Object.freeze({
      name: stepName,
      target: step.target,
      when: step.when === undefined ? null : compile(step.when, `${path}.when`, timeoutMs, problems),
      input: step.input === undefined ? null : compile(step.input, `${path}.input`, timeoutMs, problems),
      optional: step.optional === true,
    });
  });
  const output = raw.output === undefined ? null : compile(raw.output, `${at}.output`, timeoutMs, problems);
  return Object.freeze({ name, kind, steps: Object.freeze(steps), output });
}

/**
 * Compiles the file's routes against the configured targets. Every problem is reported by
 * its path in `problems` (the caller lists them with the rest of the file's); the routes
 * returned are only meaningful when there are none.
 */
export function compileRoutes(file: Readonly<Record<string, RouteFile>>, targets: ReadonlySet<string>, timeoutMs: number, problems: string[]): Map<string, Route> {
  const routes = new Map<string, Route>();
  for (const [name, raw] of Object.entries(file)) {
    const at = `routes.${name}`;
    const kinds = (['fanOut', 'chain', 'switch'] as const).filter((k) => raw[k] !== undefined);
    if (kinds.length !== 1) {
      problems.push(`${at}: give exactly one of fanOut, chain or switch${kinds.length ? ` (it has ${kinds.join(' and ')})` : ''}`);
      continue;
    }
    if (raw.switch === undefined) {
      routes.set(name, compileSteps(name, raw, at, targets, timeoutMs, problems));
      continue;
    }
    if (raw.output !== undefined) problems.push(`${at}.output: a switch route's result is its target's; output is for fanOut and chain routes`);
    const rules: SwitchRule[] = [];
    raw.switch.forEach((rule, i) => {
      const path = `${at}.switch.${i}`;
      if (!targets.has(rule.target)) problems.push(`${path}.target: no target named "${rule.target}"`);
      if (rule.when === undefined && i < raw.switch!.length - 1) problems.push(`${path}: a rule without when matches every input, so it must be the last rule`);
      const when = rule.when === undefined ? null : compile(rule.when, `${path}.when`, timeoutMs, problems);
      rules.push(Object.freeze({ when, target: rule.target }));
    });
    routes.set(name, Object.freeze({ name, kind: 'switch', rules: Object.freeze(rules) }));
  }
  return routes;
}
