import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv } from 'ajv';
import { createRequire } from 'node:module';
import type { OpenAPIV3 } from 'openapi-types';
import type { Response } from 'supertest';
import { parse } from 'yaml';
import { OPENAPI_PATH } from '../../scripts/openapi-schemas.js';

type Spec = OpenAPIV3.Document;

// A CommonJS module whose class is its `default` export: under ESM the import is the module object.
// A CommonJS module whose class is its `default` export; required directly to keep its shape.
interface ResponseValidator {
  validateResponse(status: number, body: unknown): { errors: unknown[] } | undefined;
}
const { default: OpenAPIResponseValidator } = createRequire(import.meta.url)('openapi-response-validator') as {
  default: new (args: { responses: unknown; components: unknown }) => ResponseValidator;
};
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export function loadSpecText(): string {
  return readFileSync(OPENAPI_PATH, 'utf8');
}

let resolved: Promise<{ valid: boolean; errors: unknown; spec: Spec }> | undefined;

/** openapi.yaml, checked against the OpenAPI 3.0 schema and with every $ref resolved. */
export function loadSpec(): Promise<{ valid: boolean; errors: unknown; spec: Spec }> {
  resolved ??= (async () => {
    const validator = new Validator();
    const result = await validator.validate(parse(loadSpecText()) as Record<string, unknown>);
    return { valid: result.valid, errors: result.errors, spec: validator.resolveRefs() as unknown as Spec };
  })();
  return resolved;
}

/** The spec's path template that matches a concrete path (`/v1/jobs/job_x` → `/v1/jobs/{id}`). */
function matchPath(spec: Spec, path: string): string {
  const bare = path.split('?')[0]!;
  const templates = Object.keys(spec.paths).sort((a, b) => b.split('{').length - a.split('{').length);
  const exact = templates.find((t) => t === bare);
  if (exact) return exact;
  const hit = templates.find((t) => new RegExp(`^${t.replace(/\{path\}/g, '.*').replace(/\{[^}]+\}/g, '[^/]+')}$`).test(bare));
  if (!hit) throw new Error(`openapi.yaml has no path for ${bare}`);
  return hit;
}

const ajv = new Ajv({ coerceTypes: true, strict: false });

/**
 * Checks a real response against openapi.yaml: the status is documented for the
 * operation, the body fits the documented schema (openapi-response-validator), and every
 * required documented header is present and fits its schema.
 */
export async function expectToMatchSpec(method: Method, path: string, res: Response): Promise<void> {
  const { spec } = await loadSpec();
  const template = matchPath(spec, path);
  const operation = (spec.paths[template] as Record<string, OpenAPIV3.OperationObject>)[method];
  if (!operation) throw new Error(`openapi.yaml has no ${method.toUpperCase()} ${template}`);
  const documented = operation.responses[String(res.status)] as OpenAPIV3.ResponseObject | undefined;
  if (!documented) throw new Error(`${method.toUpperCase()} ${template} does not document status ${res.status}`);

  const validator = new OpenAPIResponseValidator({ responses: operation.responses, components: spec.components });
  const isJson = res.type === 'application/problem+json' || res.type === 'application/json';
  const body: unknown = res.status === 204 ? null : isJson ? res.body : res.text;
  const error = validator.validateResponse(res.status, body);
  if (error) throw new Error(`${method.toUpperCase()} ${path} → ${res.status} does not match openapi.yaml: ${JSON.stringify(error.errors)}`);

  const contentTypes = Object.keys(documented.content ?? {});
  if (contentTypes.length && !contentTypes.some((t) => t === '*/*' || res.type === t)) {
    throw new Error(`${method.toUpperCase()} ${path} → ${res.status} has content type ${res.type}, documented: ${contentTypes.join(', ')}`);
  }
  for (const [name, h] of Object.entries(documented.headers ?? {}) as [string, OpenAPIV3.HeaderObject][]) {
    const value = res.headers[name.toLowerCase()];
    if (value === undefined) {
      if (h.required) throw new Error(`${method.toUpperCase()} ${path} → ${res.status} lacks required header ${name}`);
      continue;
    }
    if (h.schema && !ajv.validate(h.schema, value)) {
      throw new Error(`header ${name}: ${String(value)} does not fit ${JSON.stringify(h.schema)}`);
    }
  }
}
