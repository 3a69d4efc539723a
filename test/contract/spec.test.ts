import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ERROR_CATALOGUE } from '../../src/core/errors.js';
import { withGeneratedSchemas } from '../../scripts/openapi-schemas.js';
import { loadSpec, loadSpecText } from './contract.js';

describe('openapi.yaml', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const { valid, errors, version, spec } = await loadSpec();
    expect(errors).toBeUndefined();
    expect(valid).toBe(true);
    expect(version).toBe('3.1');
    expect(spec.openapi).toBe('3.1.0');
  });

  it('carries the schemas generated from the zod source (npm run openapi:schemas)', () => {
    const text = loadSpecText();
    expect(parse(withGeneratedSchemas(text))).toEqual(parse(text));
  });

  it('documents exactly the codes of the error catalogue, each with its status', async () => {
    const { spec } = await loadSpec();
    const documented = [...(spec.info.description ?? '').matchAll(/^\| (\w+) \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
    const catalogue = Object.entries(ERROR_CATALOGUE).map(([code, { status }]) => [code, status]);
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(catalogue));
    const statuses = new Set(
      Object.values(spec.paths ?? {}).flatMap((item) =>
        Object.values(item as Record<string, { responses?: Record<string, unknown> }>).flatMap((op) => Object.keys(op?.responses ?? {})),
      ),
    );
    for (const [, status] of catalogue) expect(statuses.has(String(status))).toBe(true);
  });
});
