import { describe, expect, it } from 'vitest';
import { buildConfig, ConfigError } from '../../src/config/load-config.js';
import { routeNamed, RouteSwitch } from '../../src/jobs/route-switch.js';
import { ApiError } from '../../src/core/errors.js';
import { handlerNames } from '../../workers/handlers/index.js';

const TARGETS = { 'billing-eu': { kind: 'handler', handler: 'echo' }, 'billing-global': { kind: 'handler', handler: 'echo' } };

const problemsOf = (routes: unknown, server: object = {}): string[] => {
  try {
    buildConfig({ server, targets: TARGETS, routes }, handlerNames);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
};

/** A RouteSwitch over routes built from a config document, counting what it reports. */
function switchOf(routes: unknown, server: object = {}) {
  const config = buildConfig({ server, targets: TARGETS, routes }, handlerNames);
  const routed: string[] = [];
  const chooser = new RouteSwitch({ routed: (route, target) => void routed.push(`${route}->${target}`) });
  const choose = async (name: string, input: unknown) => {
    const route = routeNamed(config, name);
    if (route.kind !== 'switch') throw new Error(`${name} is not a switch route`);
    return chooser.choose(route, input);
  };
  return { routes: { choose }, routed };
}

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

describe('routes in the config', () => {
  it('compiles switch rules at start-up; every bad rule is reported by its path', () => {
    const compilable = {
      ok: { switch: [{ when: 'region = "eu"', target: 'billing-eu' }, { target: 'billing-global' }] },
      syntax: { switch: [{ when: 'region = ', target: 'billing-eu' }] },
      missing: { switch: [{ when: 'true', target: 'billing-us' }] },
      early: { switch: [{ target: 'billing-global' }, { when: 'true', target: 'billing-eu' }] },
      both: { switch: [{ target: 'billing-eu' }], chain: [{ target: 'billing-eu' }] },
      none: {},
    };
    // The schema's problems stop the build before any route is compiled.
    const shapes = problemsOf({ ...compilable, Bad: { switch: [{ target: 'billing-eu' }] }, empty: { switch: [] } });
    expect(shapes.map((p) => p.split(': ')[0]).sort()).toEqual(['routes.Bad', 'routes.empty.switch']);
    // With those fixed, the compile's problems come out, each by its path.
    const compiled = problemsOf(compilable);
    expect(compiled.map((p) => p.split(': ')[0])).toEqual([
      'routes.syntax.switch.0.when',
      'routes.missing.switch.0.target',
      'routes.early.switch.0',
      'routes.both',
      'routes.none',
    ]);
    expect(compiled[0]).toMatch(/not a valid JSONata expression: .+ \(at character \d+\)/);
    expect(compiled[1]).toBe('routes.missing.switch.0.target: no target named "billing-us"');
  });

  it('checks fanOut and chain routes in full, by path', () => {
    const problems = problemsOf({
      fan: {
        fanOut: [
          { target: 'billing-eu', input: '{ "amount": total' },
          { target: 'billing-eu', when: 'delivery = "ship"' },
          { name: 'global', target: 'billing-us', optional: true },
        ],
        output: '$merge([',
      },
      chained: { chain: [{ target: 'billing-eu' }, { name: 'store', target: 'billing-global', input: '{ "url": url, "owner": $input.owner' }] },
      sw: { switch: [{ target: 'billing-eu' }], output: 'x' },
    });
    expect(problems.map((p) => p.split(': ')[0])).toEqual([
      'routes.fan.fanOut.0.input',
      'routes.fan.fanOut.1',
      'routes.fan.fanOut.2.target',
      'routes.fan.output',
      'routes.chained.chain.1.input',
      'routes.sw.output',
    ]);
    expect(problems[1]).toBe('routes.fan.fanOut.1: step name "billing-eu" is taken by fanOut.0; give one of them a name');
    // Well-formed ones are accepted.
    expect(problemsOf({ ok: { chain: [{ target: 'billing-eu' }, { target: 'billing-global', input: '{ "id": id }' }] }, fan: { fanOut: [{ target: 'billing-eu' }, { target: 'billing-global', optional: true }] } })).toEqual([]);
    // The schema refuses a field no branch has, by path.
    expect(problemsOf({ fan: { fanOut: [{ target: 'billing-eu', colour: 'red' }] } }).map((p) => p.split(': ')[0])).toEqual(['routes.fan.fanOut.0']);
  });

  it('picks the first rule whose when is true; the default catches the rest; a missing field is not a match', async () => {
    const { routes, routed } = switchOf({
      billing: { switch: [{ when: 'region = "eu"', target: 'billing-eu' }, { when: 'amount > 1000 and vip', target: 'billing-eu' }, { target: 'billing-global' }] },
    });
    expect(await routes.choose('billing', { region: 'eu' })).toBe('billing-eu');
    expect(await routes.choose('billing', { region: 'us', amount: 5000, vip: true })).toBe('billing-eu');
    expect(await routes.choose('billing', { region: 'us', amount: 5000 })).toBe('billing-global');
    expect(await routes.choose('billing', undefined)).toBe('billing-global');
    expect(routed).toEqual(['billing->billing-eu', 'billing->billing-eu', 'billing->billing-global', 'billing->billing-global']);
  });

  it('refuses: an unknown route, no match without a default, a when that is not boolean, an expression that errs', async () => {
    const { routes, routed } = switchOf({
      strict: { switch: [{ when: 'region = "eu"', target: 'billing-eu' }] },
      typed: { switch: [{ when: 'region', target: 'billing-eu' }] },
      erring: { switch: [{ when: '$number(amount) > 1', target: 'billing-eu' }] },
    });
    expect((await refusal(routes.choose('nope', {}))).code).toBe('unknown_route');
    expect((await refusal(routes.choose('strict', { region: 'us' }))).code).toBe('no_route_match');
    const typed = await refusal(routes.choose('typed', { region: 'eu' }));
    expect([typed.code, typed.message]).toEqual(['expression_failed', 'routes.typed.switch.0.when failed on this input: when must give true or false, it gave a string']);
    const erring = await refusal(routes.choose('erring', { amount: 'lots' }));
    expect(erring.code).toBe('expression_failed');
    expect(erring.message).toMatch(/^routes\.erring\.switch\.0\.when failed on this input: /);
    expect(routed).toEqual(['strict->none', 'typed->error', 'erring->error']);
  });

  it('bounds an evaluation: past server.expressionTimeoutMs, or recursing without end, it fails instead of hanging', async () => {
    const { routes } = switchOf(
      {
        // Each call recurses twice: exponential work that never finishes in time.
        slow: { switch: [{ when: '($f := function($n) { $n <= 0 ? 0 : $f($n - 1) + $f($n - 1) }; $f(40) > 0)', target: 'billing-eu' }] },
        deep: { switch: [{ when: '($f := function($n) { $f($n + 1) }; $f(0))', target: 'billing-eu' }] },
      },
      { expressionTimeoutMs: 20 },
    );
    const slow = await refusal(routes.choose('slow', {}));
    expect(slow.message).toBe('routes.slow.switch.0.when failed on this input: took longer than its time budget');
    const deep = await refusal(routes.choose('deep', {}));
    expect(deep.message).toMatch(/^routes\.deep\.switch\.0\.when failed on this input: (recursed too deep|took longer than its time budget)$/);
  });
});
