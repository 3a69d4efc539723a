import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signatureHeader } from '../../../src/webhooks/signature.js';
import { startGateway, type LiveGateway } from './support/gateway.js';

const run = promisify(execFile);
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const TSC = fileURLToPath(new URL('../../../node_modules/typescript/bin/tsc', import.meta.url));

/** The environment without npm's own variables (from an enclosing `npm test`), so the child npm sees only its arguments. */
const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));

/** The program a user would write in an empty project, against the installed tarball. */
const SMOKE = `
import { GatewayClient, GatewayError, verifyWebhook } from '@async-gateway/client';
import { webhookHandler } from '@async-gateway/client/express';

const { body, headers } = JSON.parse(process.env.WEBHOOK);
const event = verifyWebhook(body, headers, process.env.WEBHOOK_SECRET);
let refused = false;
try {
  verifyWebhook(body + ' ', headers, process.env.WEBHOOK_SECRET);
} catch (err) {
  refused = err.name === 'WebhookVerificationError';
}

const gw = new GatewayClient({ baseUrl: process.env.GATEWAY_URL });
const job = await gw.submit({ target: 'echo', input: { from: 'tarball' } });
const done = await job.wait({ timeoutMs: 20000 });
const result = await job.result();
let notFound;
try {
  await gw.job('job_' + 'A'.repeat(22)).refresh();
} catch (err) {
  notFound = err instanceof GatewayError ? err.code : String(err);
}
console.log(JSON.stringify({ eventType: event.type, refused, status: done.status, result, notFound, helper: typeof webhookHandler({ secret: process.env.WEBHOOK_SECRET, onEvent() {} }) }));
`;

/** A TypeScript user of the installed types (exports map "types", NodeNext resolution). */
const TYPED = `
import { GatewayClient, type JobDocument, type WebhookEvent, verifyWebhook } from '@async-gateway/client';
import { webhookHandler } from '@async-gateway/client/express';
const gw = new GatewayClient({ baseUrl: 'http://localhost:8080' });
export async function f(): Promise<JobDocument['status']> {
  const job = await gw.submit({ target: 'echo', input: {} }, { idempotencyKey: 'k' });
  const e: WebhookEvent = verifyWebhook('', {}, 'whsec_');
  void e;
  void webhookHandler({ secret: 's', onEvent: (ev) => void ev.data.id });
  return (await job.wait({ timeoutMs: 1 })).status;
}
// @ts-expect-error: unknown fields are refused by the generated SubmitRequest type
void gw.submit({ target: 'echo', bogus: 1 });
`;

describe('npm pack', () => {
  let work: string;
  let gw: LiveGateway;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'agw-client-pack-'));
    gw = await startGateway();
  });
  afterAll(async () => {
    await gw?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('makes a tarball (built by prepack) that installs offline into an empty project and works there', async () => {
    const packed = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: PACKAGE_DIR, env: cleanEnv() });
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string; size: number; files: { path: string }[] }[];
    const files = info!.files.map((f) => f.path).sort();
    expect(files).toEqual(expect.arrayContaining(['README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/express.js', 'dist/express.d.ts', 'dist/generated/openapi.d.ts']));
    expect(files.every((f) => f === 'README.md' || f === 'package.json' || f.startsWith('dist/'))).toBe(true);
    expect(files.some((f) => f.endsWith('.map'))).toBe(false);

    const app = join(work, 'app');
    await run('mkdir', ['-p', app]);
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'smoke', version: '1.0.0', private: true, type: 'module' }));
    await run('npm', ['install', join(work, info!.filename), '--offline', '--no-audit', '--no-fund'], { cwd: app, env: cleanEnv() });
    const installed = JSON.parse(await readFile(join(app, 'node_modules/@async-gateway/client/package.json'), 'utf8')) as Record<string, unknown>;
    expect(installed.dependencies).toBeUndefined();
    const lock = JSON.parse(await readFile(join(app, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
    // Zero dependencies: the project holds the client and nothing else.
    expect(Object.keys(lock.packages).sort()).toEqual(['', 'node_modules/@async-gateway/client']);

    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const body = JSON.stringify({ type: 'job.succeeded', timestamp: new Date().toISOString(), data: { id: 'job_x' } });
    const at = Math.floor(Date.now() / 1_000);
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(at), 'webhook-signature': signatureHeader([secret], 'msg_1', at, body) };
    await writeFile(join(app, 'x.mjs'), SMOKE);
    const out = await run('node', ['x.mjs'], { cwd: app, env: { ...cleanEnv(), GATEWAY_URL: gw.url, WEBHOOK_SECRET: secret, WEBHOOK: JSON.stringify({ body, headers }) } });
    expect(JSON.parse(out.stdout)).toEqual({
      eventType: 'job.succeeded',
      refused: true,
      status: 'succeeded',
      result: { echo: { from: 'tarball' } },
      notFound: 'job_not_found',
      helper: 'function',
    });

    await writeFile(join(app, 'typed.ts'), TYPED);
    await writeFile(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022', 'dom'], types: [], strict: true, noEmit: true }, files: ['typed.ts'] }),
    );
    await run('node', [TSC, '-p', app], { cwd: app });
  }, 120_000);
});
