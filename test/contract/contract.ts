import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { OpenAPIV3_1 } from 'openapi-types';
import type { Response } from 'supertest';
import { parse } from 'yaml';
import { OPENAPI_PATH } from '../../scripts/openapi-schemas.js';

type Spec = OpenAPIV3_1.Document;
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export function loadSpecText(): string {
  return readFileSync(OPENAPI_PATH, 'utf8');
}

interface LoadedSpec {
  valid: boolean;
  errors: unknown;
  /** The OpenAPI version the validator checked the document against (`3.1`). */
  version: string;
  /** Every $ref resolved: for walking paths, responses and headers. */
  spec: Spec;
}

let loaded: Promise<LoadedSpec> | undefined;

/** openapi.yaml, checked against the OpenAPI schema of its version and with every $ref resolved. */
export function loadSpec(): Promise<LoadedSpec> {
  loaded ??= (async () => {
    const validator = new Validator();
    const result = await validator.validate(parse(loadSpecText()) as Record<string, unknown>);
    return { valid: result.valid, errors: result.errors, version: validator.version, spec: validator.resolveRefs() as unknown as Spec };
  })();
  return loaded;
}

/** The base URI under which Ajv holds the whole document; its `#/components/…` refs resolve inside it. */
const SPEC_URI = 'https://async-gateway.invalid/openapi.yaml';

/**
 * Response bodies are checked with Ajv's JSON Schema 2020-12 dialect, OpenAPI 3.1's own.
 * The unresolved document is added whole, so a response schema compiles by its JSON pointer
 * with the components it names reachable. Formats (`date-time`, `uri`) are not checked.
 */
let bodies: { ajv: Ajv2020; raw: Spec; compiled: Map<string, ValidateFunction> } | undefined;
function bodyValidators() {
  if (!bodies) {
    const raw = parse(loadSpecText()) as Spec;
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    ajv.addSchema(raw as object, SPEC_URI);
    bodies = { ajv, raw, compiled: new Map() };
  }
  return bodies;
}

/** A JSON pointer (RFC 6901) as a URI fragment. */
const pointer = (...segments: string[]) => segments.map((s) => `/${encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))}`).join('');

/** The validator for one documented response body: the schema at `<response>/content/<type>/schema`. */
function bodyValidator(template: string, method: Method, status: string, mediaType: string): ValidateFunction {
  const { ajv, raw, compiled } = bodyValidators();
  const response = (raw.paths?.[template] as Record<string, OpenAPIV3_1.OperationObject>)[method]!.responses![status]!;
  const at = '$ref' in response ? pointer(...response.$ref.replace(/^#\//, '').split('/').map(decodeJsonPointer)) : pointer('paths', template, method, 'responses', status);
  const ref = `${SPEC_URI}#${at}${pointer('content', mediaType, 'schema')}`;
  let validate = compiled.get(ref);
  if (!validate) {
    validate = ajv.compile({ $ref: ref });
    compiled.set(ref, validate);
  }
  return validate;
}
const decodeJsonPointer = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');

/** The spec's path template that matches a concrete path (`/v1/jobs/job_x` → `/v1/jobs/{id}`). */
function matchPath(spec: Spec, path: string): string {
  const bare = path.split('?')[0]!;
  const templates = Object.keys(spec.paths ?? {}).sort((a, b) => b.split('{').length - a.split('{').length);
  const exact = templates.find((t) => t === bare);
  if (exact) return exact;
  const hit = templates.find((t) => new RegExp(`^${t.replace(/\{path\}/g, '.*').replace(/\{[^}]+\}/g, '[^/]+')}$`).test(bare));
  if (!hit) throw new Error(`openapi.yaml has no path for ${bare}`);
  return hit;
}

const headerAjv = new Ajv2020({ coerceTypes: true, strict: false, validateFormats: false });

/**
 * Checks a real response against openapi.yaml: the status is documented for the
 * operation, the content type is one documented for it, the body fits that content's
 * schema (JSON Schema 2020-12), and every required documented header is present and
 * fits its schema.
 */
export async function expectToMatchSpec(method: Method, path: string, res: Response): Promise<void> {
  const { spec } = await loadSpec();
  const template = matchPath(spec, path);
  const call = `${method.toUpperCase()} ${path} → ${res.status}`;
  const operation = (spec.paths?.[template] as Record<string, OpenAPIV3_1.OperationObject> | undefined)?.[method];
  if (!operation) throw new Error(`openapi.yaml has no ${method.toUpperCase()} ${template}`);
  const documented = operation.responses?.[String(res.status)] as OpenAPIV3_1.ResponseObject | undefined;
  if (!documented) throw new Error(`${method.toUpperCase()} ${template} does not document status ${res.status}`);

  const contentTypes = Object.keys(documented.content ?? {});
  const isJson = res.type === 'application/problem+json' || res.type === 'application/json';
  if (contentTypes.length === 0) {
    if (res.text) throw new Error(`${call} does not match openapi.yaml: a body where none is documented`);
  } else {
    const mediaType = contentTypes.find((t) => t === res.type) ?? contentTypes.find((t) => t === '*/*');
    if (!mediaType) throw new Error(`${call} has content type ${res.type}, documented: ${contentTypes.join(', ')}`);
    // A media type without a schema (`'*/*': {}`) is any bytes.
    if (documented.content![mediaType]!.schema !== undefined) {
      const validate = bodyValidator(template, method, String(res.status), mediaType);
      const body: unknown = isJson ? res.body : res.text;
      if (!validate(body)) throw new Error(`${call} does not match openapi.yaml: ${JSON.stringify(validate.errors)}`);
    }
  }

  for (const [name, h] of Object.entries(documented.headers ?? {}) as [string, OpenAPIV3_1.HeaderObject][]) {
    const value = res.headers[name.toLowerCase()];
    if (value === undefined) {
      if (h.required) throw new Error(`${call} lacks required header ${name}`);
      continue;
    }
    if (h.schema && !headerAjv.validate(h.schema, value)) {
      throw new Error(`header ${name}: ${String(value)} does not fit ${JSON.stringify(h.schema)}`);
    }
  }
}
