import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { adaptiveConcurrencyOf, ConfigFileSchema, type GatewayConfig, type Target } from './schema.js';
import { compileRoutes } from './routes.js';

/** Raised when the config file is missing, unreadable or invalid; `problems` lists every bad field by path. */
export class ConfigError extends Error {
  readonly code = 'invalid_config';
  constructor(
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super(problems.length ? `${message}:\n${problems.map((p) => `  - ${p}`).join('\n')}` : message);
    this.name = 'ConfigError';
  }
}

/** `targets.echo.attempts: expected number` — one line per zod issue. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const path = issue.path.length ? issue.path.map(String).join('.') : '(root)';
    return `${path}: ${issue.message}`;
  });
}

function parseText(text: string, fileName: string): unknown {
  const ext = extname(fileName).toLowerCase();
  try {
    return ext === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${fileName} is not valid ${ext === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
}

/**
 * Validates a parsed config document, merges `defaults` into each target and
 * freezes the result. `handlerNames` are the handlers the workers ship, so a
 * target naming a missing one is refused here rather than at its first job.
 */
export function buildConfig(doc: unknown, handlerNames: readonly string[], source = 'config'): GatewayConfig {
  const parsed = ConfigFileSchema.safeParse(doc);
  if (!parsed.success) {
    // Unknown handlers are reported along with the schema's problems, so that one run lists every bad field.
    throw new ConfigError(`${source} is invalid`, [...formatIssues(parsed.error.issues), ...unknownHandlers(doc, handlerNames)]);
  }
  const { server, defaults, webhooks, auth, tenants, tracing, targets: fileTargets, routes: fileRoutes } = parsed.data;
  const problems: string[] = [...unknownHandlers(doc, handlerNames)];
  const targets = new Map<string, Target>();
  for (const [name, raw] of Object.entries(fileTargets)) {
    const merged = { ...defaults, ...stripUndefined(raw), name } as Target;
    const { min, max, default: dflt } = merged.priority;
    if (!(min <= dflt && dflt <= max)) problems.push(`targets.${name}.priority: must satisfy min <= default <= max`);
    // Only an http target's upstream shows latency and 429s to adapt to; a handler target inherits no default for it.
    if (merged.kind === 'handler' && raw.adaptiveConcurrency !== undefined) problems.push(`targets.${name}.adaptiveConcurrency: only http targets adapt their concurrency`);
    const adaptive = adaptiveConcurrencyOf(merged);
    if (adaptive && adaptive.min > adaptive.max) problems.push(`targets.${name}.adaptiveConcurrency: min (${adaptive.min}) is above max (${adaptive.max})`);
    targets.set(name, deepFreeze(merged));
  }
  const seen = new Set<string>();
  auth.keys.forEach((k, i) => {
    if (seen.has(k.sha256)) problems.push(`auth.keys.${i}.sha256: the same key is listed twice`);
    seen.add(k.sha256);
  });
  // Compiled expressions are jsonata's objects: frozen by compileRoutes as far as is safe, not deep-frozen here.
  const routes = compileRoutes(fileRoutes, new Set(targets.keys()), server.expressionTimeoutMs, problems);
  if (problems.length) throw new ConfigError(`${source} is invalid`, problems);
  return Object.freeze({ server: deepFreeze(server), webhooks: deepFreeze(webhooks), auth: deepFreeze(auth), tenants: deepFreeze(tenants), tracing: deepFreeze(tracing), targets, routes });
}

export function loadConfigFile(path: string, handlerNames: readonly string[]): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return buildConfig(parseText(text, path), handlerNames, path);
}

/** `targets.<name>.handler` entries naming a handler the workers do not ship, read from the raw document. */
function unknownHandlers(doc: unknown, handlerNames: readonly string[]): string[] {
  const targets = (doc as { targets?: unknown } | null)?.targets;
  if (!targets || typeof targets !== 'object') return [];
  const out: string[] = [];
  for (const [name, t] of Object.entries(targets)) {
    const handler = (t as { kind?: unknown; handler?: unknown } | null)?.handler;
    if ((t as { kind?: unknown })?.kind === 'handler' && typeof handler === 'string' && !handlerNames.includes(handler)) {
      out.push(`targets.${name}.handler: unknown handler "${handler}" (known: ${handlerNames.join(', ')})`);
    }
  }
  return out;
}

function stripUndefined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
