import { describe, expect, it } from 'vitest';
import { adaptiveConcurrencyOf } from '../../src/config/schema.js';
import { buildConfig, ConfigError } from '../../src/config/load-config.js';
import { handlerNames } from '../../workers/handlers/index.js';

const problemsOf = (doc: unknown): string[] => {
  try {
    buildConfig(doc, handlerNames);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
};

describe('buildConfig', () => {
  it('merges defaults into each target and freezes the result', () => {
    const config = buildConfig({ defaults: { attempts: 7 }, targets: { echo: { kind: 'handler', handler: 'echo', timeoutMs: 5 } } }, handlerNames);
    const echo = config.targets.get('echo')!;
    expect(echo).toMatchObject({ name: 'echo', attempts: 7, timeoutMs: 5, concurrency: 10, retentionMs: 86_400_000 });
    expect(Object.isFrozen(echo)).toBe(true);
    expect(Object.isFrozen(echo.backoff)).toBe(true);
    expect(config.server.keyPrefix).toBe('ag');
  });

  it('reports every bad field at once, by path', () => {
    const problems = problemsOf({
      server: { maxWaitSeconds: -1 },
      targets: {
        echo: { kind: 'handler', handler: 'echo', attempts: 'x' },
        up: { kind: 'http', url: 'ftp://example.test/x', colour: 'red' },
        Bad_Name: { kind: 'handler', handler: 'echo' },
        w: { kind: 'queue' },
      },
    });
    const paths = problems.map((p) => p.split(':')[0]);
    expect(paths).toEqual(
      expect.arrayContaining(['server.maxWaitSeconds', 'targets.echo.attempts', 'targets.up.url', 'targets.up', 'targets.Bad_Name', 'targets.w.kind']),
    );
    expect(problems.find((p) => p.startsWith('targets.up:'))).toContain('colour');
  });

  it("takes a trace viewer URL with {traceId} in it, and refuses one without it or that is not http(s)", () => {
    const echo = { echo: { kind: 'handler', handler: 'echo' } };
    expect(buildConfig({ tracing: { viewerUrl: 'http://jaeger:16686/trace/{traceId}' }, targets: echo }, handlerNames).tracing.viewerUrl).toBe('http://jaeger:16686/trace/{traceId}');
    expect(buildConfig({ targets: echo }, handlerNames).tracing).toEqual({});
    expect(problemsOf({ tracing: { viewerUrl: 'http://jaeger:16686/search' }, targets: echo })).toEqual(['tracing.viewerUrl: must contain {traceId}, where the trace id goes']);
    expect(problemsOf({ tracing: { viewerUrl: 'javascript:alert({traceId})' }, targets: echo })).toEqual(['tracing.viewerUrl: must be an http(s) URL']);
    expect(problemsOf({ tracing: { endpoint: 'http://c:4318' }, targets: echo })[0]).toMatch(/^tracing: .*endpoint/);
  });

  it('fills a circuit breaker from its defaults, inherits one from `defaults`, and reports its bad fields by path', () => {
    const built = buildConfig({ defaults: { circuitBreaker: { openMs: 5_000 } }, targets: { a: { kind: 'handler', handler: 'echo' }, b: { kind: 'handler', handler: 'echo', circuitBreaker: { probes: 3 } } } }, handlerNames);
    expect(built.targets.get('a')!.circuitBreaker).toEqual({ failureRatio: 0.5, minAttempts: 10, windowMs: 30_000, openMs: 5_000, maxOpenMs: 300_000, probes: 1 });
    // A target's own breaker replaces the default one as a whole.
    expect(built.targets.get('b')!.circuitBreaker).toMatchObject({ openMs: 15_000, probes: 3 });
    expect(buildConfig({ targets: { c: { kind: 'handler', handler: 'echo' } } }, handlerNames).targets.get('c')!.circuitBreaker).toBeUndefined();
    const problems = problemsOf({
      targets: { x: { kind: 'handler', handler: 'echo', circuitBreaker: { failureRatio: 0, openMs: 60_000, maxOpenMs: 1_000, window: 5 } }, y: { kind: 'http', url: 'http://127.0.0.1:1/', circuitBreaker: { failureRatio: 1.5, probes: 0 } } },
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['targets.x.circuitBreaker', 'targets.x.circuitBreaker.failureRatio', 'targets.x.circuitBreaker.maxOpenMs', 'targets.y.circuitBreaker.failureRatio', 'targets.y.circuitBreaker.probes']);
  });

  it('resolves adaptiveConcurrency against the concurrency, for http targets only', () => {
    const up = { kind: 'http', url: 'http://127.0.0.1:1/' };
    const built = buildConfig({ defaults: { adaptiveConcurrency: true }, targets: { a: { ...up, concurrency: 40 }, b: { ...up, adaptiveConcurrency: { min: 2, latencyTolerance: 2 } }, h: { kind: 'handler', handler: 'echo' }, f: { ...up, adaptiveConcurrency: false } } }, handlerNames);
    expect(adaptiveConcurrencyOf(built.targets.get('a')!)).toEqual({ min: 1, max: 40, latencyTolerance: 1.5 });
    expect(adaptiveConcurrencyOf(built.targets.get('b')!)).toEqual({ min: 2, max: 10, latencyTolerance: 2 });
    // A handler target does not inherit it, and `false` turns a default off.
    expect(adaptiveConcurrencyOf(built.targets.get('h')!)).toBeNull();
    expect(adaptiveConcurrencyOf(built.targets.get('f')!)).toBeNull();
    expect(problemsOf({ targets: { h: { kind: 'handler', handler: 'echo', adaptiveConcurrency: true }, u: { ...up, adaptiveConcurrency: { min: 5, max: 2 } }, v: { ...up, adaptiveConcurrency: { latencyTolerance: 1 } } } })).toEqual([
      'targets.v.adaptiveConcurrency.latencyTolerance: Too small: expected number to be >=1.05',
    ]);
    expect(problemsOf({ targets: { h: { kind: 'handler', handler: 'echo', adaptiveConcurrency: true }, u: { ...up, adaptiveConcurrency: { min: 5, max: 2 } } } }).sort()).toEqual([
      'targets.h.adaptiveConcurrency: only http targets adapt their concurrency',
      'targets.u.adaptiveConcurrency: min (5) is above max (2)',
    ]);
  });

  it('refuses an unknown handler and an inverted priority range', () => {
    expect(problemsOf({ targets: { x: { kind: 'handler', handler: 'nope' } } })).toEqual([
      expect.stringMatching(/^targets\.x\.handler: unknown handler "nope"/),
    ]);
    expect(problemsOf({ targets: { x: { kind: 'handler', handler: 'echo', priority: { min: 5, max: 1, default: 0 } } } })[0]).toMatch(/^targets\.x\.priority/);
  });

  it('reports an unknown handler together with schema problems elsewhere', () => {
    const problems = problemsOf({ targets: { a: { kind: 'handler', handler: 'nope' }, b: { kind: 'handler', handler: 'echo', attempts: 'x' } } });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['targets.a.handler', 'targets.b.attempts']);
  });

  it("refuses a target that forwards the gateway's own credentials, naming the field, and checks header mappings", () => {
    const http = (extra: object) => ({ kind: 'http', url: 'http://upstream.test/x', ...extra });
    const problems = problemsOf({
      targets: {
        a: http({ forwardHeaders: ['content-type', 'authorization', 'cookie'] }),
        b: http({ forwardHeaders: ['proxy-authorization'] }),
        c: http({ forwardHeadersAs: { authorization: 'x-auth', 'x-host': 'host' } }),
        d: http({ headers: { Authorization: 'Bearer configured' }, forwardHeadersAs: { 'x-upstream-authorization': 'authorization' } }),
        e: http({ forwardHeaders: ['x-token'], forwardHeadersAs: { 'x-token': 'x-other', 'x-a': 'x-b', 'x-c': 'x-b' } }),
      },
    });
    const byPath = (path: string) => problems.filter((p) => p.startsWith(`${path}:`));
    expect(byPath('targets.a.forwardHeaders.1')[0]).toMatch(/gateway's own credentials.*forwardHeadersAs/);
    expect(byPath('targets.a.forwardHeaders.2')).toHaveLength(1);
    expect(byPath('targets.a.forwardHeaders.0')).toEqual([]);
    expect(byPath('targets.b.forwardHeaders.0')).toHaveLength(1);
    expect(byPath('targets.c.forwardHeadersAs.authorization')[0]).toMatch(/own credentials/);
    expect(byPath('targets.c.forwardHeadersAs.x-host')[0]).toMatch(/hop-by-hop/);
    expect(byPath('targets.d.forwardHeadersAs.x-upstream-authorization')[0]).toMatch(/also set in headers/);
    expect(byPath('targets.e.forwardHeadersAs.x-token')[0]).toMatch(/also in forwardHeaders/);
    expect(byPath('targets.e.forwardHeadersAs')[0]).toMatch(/two client headers map to "x-b"/);
    // The documented way is accepted.
    expect(problemsOf({ targets: { ok: http({ forwardHeadersAs: { 'x-upstream-authorization': 'authorization' } }) } })).toEqual([]);
  });

  it('requires at least one target', () => {
    expect(problemsOf({ targets: {} })).toEqual([expect.stringMatching(/^targets: at least one target/)]);
  });
});
