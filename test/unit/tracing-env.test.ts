import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/load-config.js';
import { tracingEnv } from '../../src/config/tracing-env.js';

describe('tracingEnv (which OTEL_* variables turn tracing on)', () => {
  it.each([
    ['nothing set', {}],
    ['only a protocol', { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }],
    ['OTEL_TRACES_EXPORTER=none beside an endpoint', { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }],
    ['OTEL_SDK_DISABLED=true beside otlp', { OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' }],
    ['OTEL_SDK_DISABLED=TRUE (any case) beside an unsupported protocol', { OTEL_SDK_DISABLED: 'TRUE', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }],
    ['an empty endpoint', { OTEL_EXPORTER_OTLP_ENDPOINT: ' ' }],
  ])('is off with %s', (_what, env) => {
    expect(tracingEnv(env)).toEqual({ enabled: false });
  });

  it.each([
    ['OTEL_TRACES_EXPORTER=otlp', { OTEL_TRACES_EXPORTER: 'otlp' }, 'http/protobuf'],
    ['an endpoint alone', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, 'http/protobuf'],
    ['a traces endpoint alone', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }, 'http/protobuf'],
    ['the JSON encoding', { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, 'http/json'],
    ['a traces protocol over the general one', { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' }, 'http/json'],
    ['OTEL_SDK_DISABLED=false', { OTEL_SDK_DISABLED: 'false', OTEL_TRACES_EXPORTER: ' OTLP ' }, 'http/protobuf'],
  ])('is on with %s', (_what, env, protocol) => {
    expect(tracingEnv(env)).toEqual({ enabled: true, protocol });
  });

  it.each([
    [{ OTEL_TRACES_EXPORTER: 'zipkin' }, 'OTEL_TRACES_EXPORTER: zipkin is not supported; use otlp or none'],
    [{ OTEL_TRACES_EXPORTER: 'otlp,console' }, 'OTEL_TRACES_EXPORTER: console is not supported; use otlp or none'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL: grpc is not supported; use http/protobuf or http/json (OTLP over HTTP)'],
    [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/xml' }, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: http/xml is not supported; use http/protobuf or http/json (OTLP over HTTP)'],
  ])('refuses what it cannot honour, naming the variable: %o', (env, problem) => {
    let caught: unknown;
    try {
      tracingEnv(env);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems).toEqual([problem]);
  });
});
