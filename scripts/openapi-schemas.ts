/**
 * openapi.yaml's `components.schemas` entries for the public shapes are generated
 * from the zod schemas in src/core/job-schema.ts, so the contract cannot drift from
 * the code. `--write` rewrites them in place; without it, exits 1 when out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import * as S from '../src/core/job-schema.js';

export const OPENAPI_PATH = fileURLToPath(new URL('../openapi.yaml', import.meta.url));

// HttpResult is not among them: no response body is one (GET /v1/jobs/{id}/result replays
// it as the upstream's own answer), and JobDocument.result's description gives its shape.
const GENERATED: Record<string, z.ZodType> = {
  JobStatus: S.JobStatusSchema,
  JobError: S.JobErrorSchema,
  Attempt: S.AttemptSchema,
  Metadata: S.MetadataSchema,
  SubmitRequest: S.SubmitRequestSchema,
  JobDocument: S.JobDocumentSchema,
  JobList: S.JobListSchema,
  BatchRequest: S.BatchRequestSchema,
  BatchDocument: S.BatchDocumentSchema,
  Problem: S.ProblemSchema,
  Delivery: S.DeliverySchema,
};

export const GENERATED_NAMES = Object.keys(GENERATED);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const isObject = (node: Json): node is { [k: string]: Json } => node !== null && typeof node === 'object' && !Array.isArray(node);

/**
 * Tidies zod's JSON Schema 2020-12 for an OpenAPI 3.1 components block: drops the
 * `$schema` and `$id` keys (the OpenAPI document sets the dialect), zod's long date-time
 * regexes (the `format` says it), the safe-integer bounds zod puts on every `.int()`,
 * `propertyNames: {type: string}` (every JSON object key is a string), and flattens an
 * `anyOf` nested bare in an `anyOf` (a nullable union).
 */
function tidy(node: Json): Json {
  if (Array.isArray(node)) return node.map(tidy);
  if (!isObject(node)) return node;
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$id' || k === '$schema') continue;
    if (k === 'pattern' && node.format === 'date-time') continue;
    if (k === 'maximum' && v === Number.MAX_SAFE_INTEGER) continue;
    if (k === 'minimum' && v === Number.MIN_SAFE_INTEGER) continue;
    if (k === 'propertyNames' && isObject(v) && Object.keys(v).length === 1 && v.type === 'string') continue;
    if (k === 'anyOf' && Array.isArray(v)) {
      out[k] = v.map(tidy).flatMap((member) => (isObject(member) && Object.keys(member).length === 1 && Array.isArray(member.anyOf) ? member.anyOf : [member]));
      continue;
    }
    out[k] = tidy(v);
  }
  return out;
}

export function generateSchemas(): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(GENERATED)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io: 'output',
    uri: (id) => `#/components/schemas/${id}`,
  });
  return Object.fromEntries(Object.entries(schemas).map(([id, s]) => [id, tidy(s as Json)]));
}

/** The spec text with the generated schemas put in place (other schemas untouched). */
export function withGeneratedSchemas(text: string): string {
  const doc = parseDocument(text);
  for (const [id, schema] of Object.entries(generateSchemas())) doc.setIn(['components', 'schemas', id], doc.createNode(schema));
  return doc.toString({ lineWidth: 0 });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const current = readFileSync(OPENAPI_PATH, 'utf8');
  const next = withGeneratedSchemas(current);
  if (process.argv.includes('--write')) {
    writeFileSync(OPENAPI_PATH, next);
  } else if (next !== current) {
    process.stderr.write('openapi.yaml is out of date: run npm run openapi:schemas\n');
    process.exit(1);
  }
}
