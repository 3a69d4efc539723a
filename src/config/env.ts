import { z } from 'zod';
import { ConfigError, formatIssues } from './load-config.js';

/** What differs per deployment. Parsed once by each entry point, never at import time. */
const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  /** The gateway's listening address; unset: every interface (what a container wants). */
  HOST: z.string().min(1).optional(),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'),
  GATEWAY_CONFIG: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Comma-separated targets an executor serves; empty means all of them. */
  EXECUTOR_TARGETS: z.string().default(''),
  /** How long SIGTERM waits for running jobs before handing them back. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(25_000),
  /** Production guard: refuse to start when no API keys are configured (the gateway would run open). */
  REQUIRE_API_KEYS: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** `npm start` only: start a private redis-server when none answers (explicit: "false" means false). */
  AUTO_REDIS: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  /**
   * Worker processes only: the port of their /metrics, /healthz and /readyz endpoint.
   * Unset: 9464 for an executor, 9465 for a notifier; 0 picks a free port (logged);
   * "off" serves none. The gateway serves /metrics on its own port.
   */
  METRICS_PORT: z.union([z.literal('off'), z.coerce.number().int().min(0).max(65_535)]).optional(),
  METRICS_HOST: z.string().min(1).default('0.0.0.0'),
});

export type Env = z.infer<typeof EnvSchema>;

export function loadEnv(env: NodeJS.ProcessEnv = process.env): Readonly<Env> {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError('environment is invalid', formatIssues(parsed.error.issues));
  return Object.freeze(parsed.data);
}
