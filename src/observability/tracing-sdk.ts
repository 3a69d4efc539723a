import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { TracingEnv } from '../config/tracing-env.js';
import type { Logger } from '../core/logger.js';
import { Tracing } from './tracing.js';

/** Which process exports: its default service name is `async-gateway-<role>`. */
export type TracingRole = 'gateway' | 'executor' | 'notifier' | 'all-in-one';

export interface TracingRuntime {
  tracing: Tracing;
  /** Exports what is still buffered, then stops; call last at shutdown. */
  shutdown(): Promise<void>;
}

/** At most one log line a minute about exports failing (a collector that is down fails every batch). */
const DIAG_LOG_INTERVAL_MS = 60_000;

/**
 * Starts the OpenTelemetry SDK for this process when the environment asks for it
 * (config/tracing-env.ts), else returns null and loads nothing more: no provider, no
 * exporter, no timer. Everything else is the SDK's own reading of the standard variables:
 * the exporter's OTEL_EXPORTER_OTLP_* (endpoint, headers, timeout, compression), the
 * provider's OTEL_TRACES_SAMPLER(_ARG), the batch processor's OTEL_BSP_*, and the
 * resource's OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (which win over our defaults).
 */
export function startTracing(settings: TracingEnv, role: TracingRole, logger: Logger): TracingRuntime | null {
  if (!settings.enabled) return null;
  diag.setLogger(throttledDiag(logger), DiagLogLevel.WARN);
  const exporter = settings.protocol === 'http/json' ? new OtlpJsonExporter() : new OtlpProtobufExporter();
  const resource = defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: `async-gateway-${role}` }))
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
  logger.info({ event: 'tracing.started', protocol: settings.protocol, serviceName: resource.attributes[ATTR_SERVICE_NAME] }, 'exporting traces over OTLP/HTTP');
  return {
    tracing: new Tracing(provider.getTracer('async-gateway')),
    shutdown: () => provider.shutdown().catch((err: unknown) => logger.warn({ event: 'tracing.shutdown_failed', err }, 'could not export the last spans')),
  };
}

/** The SDK's own complaints (an export that failed, a bad variable) as our log lines, a few at most. */
function throttledDiag(logger: Logger): DiagLogger {
  let lastAt = 0;
  let suppressed = 0;
  const say = (level: 'warn' | 'error') => (message: string, ...args: unknown[]) => {
    const now = Date.now();
    if (now - lastAt < DIAG_LOG_INTERVAL_MS) {
      suppressed += 1;
      return;
    }
    lastAt = now;
    const detail = args.map(describe).join(' ');
    logger[level]({ event: 'tracing.sdk_problem', suppressedSinceLast: suppressed, ...(detail && { detail }) }, `OpenTelemetry: ${readable(message)}`);
    suppressed = 0;
  };
  const ignore = () => undefined;
  return { error: say('error'), warn: say('warn'), info: ignore, debug: ignore, verbose: ignore };
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** The SDK's error handler passes an export failure as the error serialised to JSON: its message is what a reader wants. */
function readable(message: string): string {
  if (!message.startsWith('{')) return message;
  try {
    const parsed = JSON.parse(message) as { message?: unknown };
    return typeof parsed.message === 'string' ? `export failed: ${parsed.message}` : message;
  } catch {
    return message;
  }
}
