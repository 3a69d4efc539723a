import { ConfigError } from './load-config.js';

/** The OTLP encodings this gateway exports in: both are OTLP/HTTP. gRPC is not supported. */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

export type TracingEnv = { enabled: false } | { enabled: true; protocol: OtlpProtocol };

const set = (v: string | undefined): v is string => v !== undefined && v.trim() !== '';

/**
 * Whether this process exports traces, from OpenTelemetry's standard variables only (the
 * exporter itself reads the endpoint, headers, timeout and compression; the SDK reads
 * OTEL_TRACES_SAMPLER and OTEL_BSP_*). Off unless asked for: OTEL_TRACES_EXPORTER=otlp, or
 * an OTLP endpoint set with OTEL_TRACES_EXPORTER unset. OTEL_SDK_DISABLED=true and
 * OTEL_TRACES_EXPORTER=none turn it off whatever else is set. The protocol defaults to the
 * specification's http/protobuf. What cannot be honoured (another exporter, gRPC) is a
 * configuration error naming the variable, not a silent fallback.
 */
export function tracingEnv(env: NodeJS.ProcessEnv): TracingEnv {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return { enabled: false };
  const problems: string[] = [];
  let enabled: boolean;
  if (set(env.OTEL_TRACES_EXPORTER)) {
    const exporters = env.OTEL_TRACES_EXPORTER.split(',').map((e) => e.trim().toLowerCase()).filter(Boolean);
    if (exporters.includes('none')) return { enabled: false };
    const other = exporters.filter((e) => e !== 'otlp');
    if (other.length) problems.push(`OTEL_TRACES_EXPORTER: ${other.join(', ')} is not supported; use otlp or none`);
    enabled = exporters.includes('otlp');
  } else {
    enabled = set(env.OTEL_EXPORTER_OTLP_ENDPOINT) || set(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  }
  const which = set(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = (env[which]?.trim() || 'http/protobuf') as OtlpProtocol;
  if (enabled && !OTLP_PROTOCOLS.includes(protocol)) {
    problems.push(`${which}: ${protocol} is not supported; use ${OTLP_PROTOCOLS.join(' or ')} (OTLP over HTTP)`);
  }
  if (problems.length) throw new ConfigError('the tracing environment is invalid', problems);
  return enabled ? { enabled: true, protocol } : { enabled: false };
}
