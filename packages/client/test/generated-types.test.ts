import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { OUTPUT_PATH, renderTypes } from '../scripts/generate-types.js';

describe('src/generated/openapi.ts', () => {
  it('is what openapi.yaml generates (else: npm run client:types)', async () => {
    const committed = await readFile(OUTPUT_PATH, 'utf8');
    const fresh = await renderTypes();
    // toBe on the whole text would print the two files; say what to run instead.
    expect(committed === fresh, 'packages/client/src/generated/openapi.ts is stale: run `npm run client:types`').toBe(true);
  });
});
