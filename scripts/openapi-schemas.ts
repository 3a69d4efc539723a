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

const GENERATED: Record<string, z.ZodType> = {
  JobStatus: S.JobStatusSchema,
  JobError: S.JobErrorSchema,
  Attempt: S.AttemptSchema,
  HttpResult: S.HttpResultSchema,
  Metadata: S.MetadataSchema,
  SubmitRequest: S.SubmitRequestSchema,
  JobDocument: S.JobDocumentSchema,
  JobList: S.JobListSchema,
  Problem: S.ProblemSchema,
  Delivery: S.DeliverySchema,
};

export const GENERATED_NAMES = Object.keys(GENERATED);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Drops what OpenAPI 3.0 tooling does not need: `$id`s and zod's long date-time regexes. */
function tidy(node: Json): Json {
  if (Array.isArray(node)) return node.map(tidy);
  if (node && typeof node === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === '$id') continue;
      if (k === 'pattern' && node.format === 'date-time') continue;
      if (k === 'maximum' && v === Number.MAX_SAFE_INTEGER) continue;
      out[k] = tidy(v);
    }
    return out;
  }
  return node;
}

export function generateSchemas(): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(GENERATED)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    target: 'openapi-3.0',
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
