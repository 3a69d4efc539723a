import { describe, expect, it } from 'vitest';
import { buildConfig, ConfigError } from '../../src/config/load-config.js';
import { loadEnv } from '../../src/config/env.js';
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

  it('requires at least one target', () => {
    expect(problemsOf({ targets: {} })).toEqual([expect.stringMatching(/^targets: at least one target/)]);
  });
});

describe('loadEnv', () => {
  it('applies defaults', () => {
    expect(loadEnv({})).toMatchObject({ PORT: 8080, REDIS_URL: 'redis://127.0.0.1:6379', LOG_LEVEL: 'info', AUTO_REDIS: true });
  });
  it('parses booleans explicitly: "false" is false', () => {
    expect(loadEnv({ AUTO_REDIS: 'false' }).AUTO_REDIS).toBe(false);
  });
  it('reports every bad variable', () => {
    expect(() => loadEnv({ PORT: 'eighty', REDIS_URL: 'http://x', LOG_LEVEL: 'loud' })).toThrow(/PORT[\s\S]*REDIS_URL[\s\S]*LOG_LEVEL/);
  });
});
