import { z } from 'zod';
import { ConfigError, formatIssues } from './load-config.js';

/** What differs per deployment. Parsed once by each entry point, never at import time. */
const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  /** The gateway's listening address; unset: every interface (what a container wants). */
  HOST: z.string().min(1).optional(),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'),
  /** A Redis Cluster's seed nodes, `host:port,host:port`: every process then uses cluster connections. */
  REDIS_CLUSTER_NODES: z
    .string()
    .transform((v, ctx) => {
      const nodes = v.split(',').map((n) => n.trim()).filter(Boolean).map((n) => {
        const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(n);
        const port = m ? Number(m[2]) : 0;
        if (!m || port < 1 || port > 65_535) ctx.addIssue({ code: 'custom', message: `"${n}" is not host:port` });
        return { host: m ? m[1]!.replace(/^\[|\]$/g, '') : n, port };
      });
      if (nodes.length === 0) ctx.addIssue({ code: 'custom', message: 'lists no node (host:port,host:port)' });
      return nodes;
    })
    .optional(),
  /** Credentials for every node of REDIS_CLUSTER_NODES (a single Redis takes them in REDIS_URL). */
  REDIS_USERNAME: z.string().min(1).optional(),
  REDIS_PASSWORD: z.string().min(1).optional(),
  /**
   * Replicas that must hold a submitted job before the gateway answers 202 (Redis's WAIT);
   * 0 answers once the master has it. Not confirmed within REDIS_WAIT_TIMEOUT_MS: 503.
   */
  REDIS_WAIT_REPLICAS: z.coerce.number().int().min(0).max(16).default(0),
  REDIS_WAIT_TIMEOUT_MS: z.coerce.number().int().min(1).max(60_000).default(1_000),
  /** TLS to every node of REDIS_CLUSTER_NODES (a single Redis: a rediss:// URL). */
  REDIS_TLS: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
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

/** The seed nodes of a Redis Cluster, and what every node is reached with. */
export interface RedisClusterTarget {
  nodes: ReadonlyArray<{ host: string; port: number }>;
  username?: string | undefined;
  password?: string | undefined;
  tls?: boolean | undefined;
}

/** Where Redis is: a `redis://` or `rediss://` URL, or a Redis Cluster's seed nodes. */
export type RedisTarget = string | RedisClusterTarget;

export function loadEnv(rawEnv: NodeJS.ProcessEnv = process.env): Readonly<Env> {
  // A variable set to nothing (`REDIS_URL=`, or compose's `${X-}` of an unset X) is unset.
  const env = Object.fromEntries(Object.entries(rawEnv).filter(([, v]) => v !== ''));
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError('environment is invalid', formatIssues(parsed.error.issues));
  const problems: string[] = [];
  const cluster = parsed.data.REDIS_CLUSTER_NODES !== undefined;
  // REDIS_URL has a default: only one the operator set conflicts.
  if (cluster && env.REDIS_URL !== undefined) problems.push('REDIS_URL and REDIS_CLUSTER_NODES: both are set; set REDIS_URL for a single Redis or REDIS_CLUSTER_NODES for a cluster, not both');
  if (!cluster) {
    for (const name of ['REDIS_USERNAME', 'REDIS_PASSWORD'] as const) {
      if (parsed.data[name] !== undefined) problems.push(`${name}: applies to REDIS_CLUSTER_NODES only; a single Redis takes its credentials in REDIS_URL (redis://user:password@host:6379)`);
    }
    if (parsed.data.REDIS_TLS) problems.push('REDIS_TLS: applies to REDIS_CLUSTER_NODES only; a single Redis over TLS is a rediss:// REDIS_URL');
  }
  if (problems.length) throw new ConfigError('environment is invalid', problems);
  return Object.freeze(parsed.data);
}

/** The Redis every connection of this process goes to. */
export function redisTarget(env: Readonly<Env>): RedisTarget {
  if (!env.REDIS_CLUSTER_NODES) return env.REDIS_URL;
  return { nodes: env.REDIS_CLUSTER_NODES, username: env.REDIS_USERNAME, password: env.REDIS_PASSWORD, tls: env.REDIS_TLS };
}

/** REDIS_WAIT_REPLICAS and its timeout, as the gateway runtime takes them; undefined when no replica is waited for. */
export function replicaWait(env: Readonly<Env>): { replicas: number; timeoutMs: number } | undefined {
  return env.REDIS_WAIT_REPLICAS > 0 ? { replicas: env.REDIS_WAIT_REPLICAS, timeoutMs: env.REDIS_WAIT_TIMEOUT_MS } : undefined;
}

/** How a log line names the Redis it uses: the URL without credentials, or the seed nodes. */
export function describeRedis(target: RedisTarget, redactUrl: (url: string) => string): string {
  if (typeof target === 'string') return redactUrl(target);
  return `cluster ${target.nodes.map((n) => `${n.host.includes(':') ? `[${n.host}]` : n.host}:${n.port}`).join(',')}${target.tls ? ' (TLS)' : ''}`;
}
