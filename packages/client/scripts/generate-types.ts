/**
 * Generates packages/client/src/generated/openapi.ts from the gateway's openapi.yaml
 * (openapi-typescript). `npm run client:types` writes it; `--check` exits 1 when the
 * committed file is not what openapi.yaml generates (test/generated-types.test.ts runs
 * the same comparison inside `npm test`).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';

export const SPEC_PATH = fileURLToPath(new URL('../../../openapi.yaml', import.meta.url));
export const OUTPUT_PATH = fileURLToPath(new URL('../src/generated/openapi.ts', import.meta.url));

const HEADER = `/**
 * GENERATED FILE: do not edit. The types of the gateway's openapi.yaml, made by
 * openapi-typescript; regenerate with \`npm run client:types\` (at the repository root).
 * A test in npm test fails when this file is not current with openapi.yaml.
 */

`;

export async function renderTypes(specPath = SPEC_PATH): Promise<string> {
  const ast = await openapiTS(pathToFileURL(specPath), { silent: true });
  return HEADER + astToString(ast);
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  let rendered: string;
  try {
    rendered = await renderTypes();
  } catch (err) {
    process.stderr.write(`client:types: cannot generate types from ${SPEC_PATH}: ${(err as Error).message.split('\n')[0]}\n`);
    process.exit(1);
  }
  if (check) {
    const current = await readFile(OUTPUT_PATH, 'utf8').catch(() => '');
    if (current !== rendered) {
      process.stderr.write(`${OUTPUT_PATH} is not current with openapi.yaml: run npm run client:types\n`);
      process.exit(1);
    }
    return;
  }
  await writeFile(OUTPUT_PATH, rendered);
  process.stdout.write(`wrote ${OUTPUT_PATH}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
