import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys, bearer } from '../support/api-keys.js';
import { freePort } from '../support/free-port.js';
import { runCli } from '../../src/cli/run.js';
import { DEMO_TARGETS, startStack, testConfig, type TestStack } from '../support/test-stack.js';

const BIN = fileURLToPath(new URL('../../bin/async-gateway.mjs', import.meta.url));
const { tokens, auth } = apiKeys({ acme: 'client', ops: 'admin' });

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The operator CLI against a listening gateway: its commands in-process, and the installed binary as a child process. */
describe('operator CLI', () => {
  let stack: TestStack;
  let server: Server;
  let url: string;
  const ids: Record<string, string> = {};

  /** In this process, as the entry point calls it: most cases, and counted by coverage. */
  const cli = async (args: string[], env: Record<string, string> = {}): Promise<Run> => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(args, { out: (t) => (stdout += t), err: (t) => (stderr += t), env: { ASYNC_GATEWAY_URL: url, ASYNC_GATEWAY_KEY: tokens.ops, ...env } });
    return { code, stdout, stderr };
  };
  /** `bin/async-gateway.mjs` in a child process, as an operator runs it. */
  const binary = (args: string[], env: Record<string, string> = {}): Promise<Run> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        [BIN, ...args],
        { env: { PATH: process.env.PATH ?? '', ASYNC_GATEWAY_URL: url, ASYNC_GATEWAY_KEY: tokens.ops, ...env }, timeout: 30_000 },
        (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  beforeAll(async () => {
    stack = await startStack({
      executor: false,
      // guarded: a circuit breaker with the defaults; adaptive: adaptive concurrency up to 20, on
      // a loopback port nothing listens on. No executor for either (nothing runs there).
      config: testConfig({
        targets: {
          ...DEMO_TARGETS,
          idle: { kind: 'handler', handler: 'echo' },
          guarded: { kind: 'handler', handler: 'echo', circuitBreaker: {} },
          adaptive: { kind: 'http', url: 'http://127.0.0.1:9/', adaptiveConcurrency: true, concurrency: 20 },
          // fairness between tenants, no executor: 4 jobs in BullMQ (the window), the rest in the lanes.
          fair: { kind: 'handler', handler: 'echo', concurrency: 1, fairness: 'tenant' },
        },
        auth,
      }),
    });
    await stack.startExecutor(['echo', 'flaky', 'fail']);
    server = createServer(stack.gateway.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const submit = async (body: object) => (await stack.request.post('/v1/jobs').set(bearer(tokens.acme)).set('Prefer', 'wait=10').send(body)).body.id as string;
    ids.flaky = await submit({ target: 'flaky', input: { failTimes: 1 } });
    ids.failed1 = await submit({ target: 'fail' });
    ids.failed2 = await submit({ target: 'fail' });
    ids.waiting = await submit({ target: 'idle' });
    for (let i = 0; i < 7; i++) expect((await stack.request.post('/v1/jobs').set(bearer(tokens.acme)).send({ target: 'fair' })).status).toBe(202);
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await stack?.close();
  });

  it('lists targets as a table and as JSON', async () => {
    const text = await cli(['targets']);
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^TARGET\s+KIND\s+WORKERS\s+WAITING\s+DELAYED\s+RUNNING\s+CONCURRENCY\s+FAIRNESS\s+OLDEST WAITING\s+STATE\s+CIRCUIT$/);
    // No breaker: "-"; a closed one: "closed", and no line of its own under the table.
    // A fixed concurrency: "fixed" and the target's policy.concurrency (testConfig's 5).
    expect(lines.find((l) => l.startsWith('idle'))).toMatch(/^idle\s+handler\s+0 \(none!\)\s+1\s+0\s+0\s+fixed 5\s+fifo\s+[\d.]+ s\s+running\s+-$/);
    expect(lines.find((l) => l.startsWith('guarded'))).toMatch(/^guarded\s+handler\s+0 \(none!\)\s+0\s+0\s+0\s+fixed 5\s+fifo\s+[\d.]+ s\s+running\s+closed$/);
    expect(lines.filter((l) => l.startsWith('guarded'))).toHaveLength(1);
    // Adaptive: in flight over the shared limit. No executor has reported: none in flight,
    // and the limit reads as its min (1), not the configured concurrency (20).
    expect(lines.find((l) => l.startsWith('adaptive'))).toMatch(/^adaptive\s+http\s+0 \(none!\)\s+0\s+0\s+0\s+0\/1\s+fifo\s+[\d.]+ s\s+running\s+-$/);
    // A fair target: its tenants with work in the lanes, and under the table who fills them.
    expect(lines.find((l) => l.startsWith('fair '))).toMatch(/^fair\s+handler\s+0 \(none!\)\s+7\s+0\s+0\s+fixed 1\s+1 tenant\s+[\d.]+ s\s+running\s+-$/);
    expect(lines).toContain('fair: 3 waiting in 1 tenant lane (most: acme 3)');
    const json = await cli(['targets', '--json']);
    const items = JSON.parse(json.stdout) as { name: string; workers: number; counts: { waiting: number }; policy: { concurrency: number }; concurrency?: object }[];
    expect(items.find((t) => t.name === 'echo')).toMatchObject({ workers: 1 });
    expect(items.find((t) => t.name === 'idle')).toMatchObject({ workers: 0, counts: { waiting: 1 } });
    expect(items.find((t) => t.name === 'idle')).not.toHaveProperty('concurrency');
    expect(items.find((t) => t.name === 'adaptive')).toMatchObject({ policy: { concurrency: 20 }, concurrency: { limit: 1, inFlight: 0, min: 1, max: 20, referenceLatencyMs: null } });
  });

  it('pauses and resumes a target', async () => {
    expect((await cli(['pause', 'idle'])).stdout).toMatch(/^target idle is paused/);
    expect((await stack.request.get('/v1/admin/targets/idle').set(bearer(tokens.ops))).body.counts.paused).toBe(true);
    expect((await cli(['resume', 'idle'])).stdout).toMatch(/^target idle is running/);
    expect((await stack.request.get('/v1/admin/targets/idle').set(bearer(tokens.ops))).body.counts.paused).toBe(false);
    // An adaptive target's answer carries its concurrency: in flight over the limit, and its bounds.
    expect((await cli(['pause', 'adaptive'])).stdout).toBe('target adaptive is paused (0 waiting, 0 running), concurrency 0/1 (adaptive 1-20)\n');
    expect((await cli(['resume', 'adaptive'])).stdout).toBe('target adaptive is running (0 waiting, 0 running), concurrency 0/1 (adaptive 1-20)\n');
    expect((await cli(['resume', 'idle'])).stdout).toBe('target idle is running (1 waiting, 0 running)\n');
  });

  it('holds a circuit breaker open and closes it, and shows its state in the target list', async () => {
    const adminView = async () => (await stack.request.get('/v1/admin/targets/guarded').set(bearer(tokens.ops))).body as { circuit: { state: string; forced: boolean; until: string | null } };
    const isoTime = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';

    const open = await cli(['circuit', 'guarded', 'open']);
    expect(open).toMatchObject({ code: 0, stderr: '' });
    expect(open.stdout).toMatch(new RegExp(`^target guarded: circuit open since ${isoTime}, held open by an operator\\n$`));
    expect((await adminView()).circuit).toMatchObject({ state: 'open', forced: true, until: null });

    // The list: "held open" in its column, and the whole circuit line under the table.
    const list = (await cli(['targets'])).stdout.trim().split('\n');
    expect(list.find((l) => l.startsWith('guarded '))).toMatch(/\s+running\s+held open$/);
    expect(list).toContainEqual(expect.stringMatching(new RegExp(`^guarded: circuit open since ${isoTime}, held open by an operator$`)));
    expect(list.find((l) => l.startsWith('idle '))).toMatch(/\s+-$/);
    const json = JSON.parse((await cli(['targets', '--json'])).stdout) as { name: string; circuit?: { state: string; forced: boolean } }[];
    expect(json.find((t) => t.name === 'guarded')?.circuit).toMatchObject({ state: 'open', forced: true });
    expect(json.find((t) => t.name === 'idle')).not.toHaveProperty('circuit');
    // A pause's answer carries the circuit line too.
    expect((await cli(['pause', 'guarded'])).stdout).toMatch(/^target guarded is paused \(0 waiting, 0 running\), circuit open since \S+, held open by an operator\n$/);
    await cli(['resume', 'guarded']);

    const closed = await cli(['circuit', 'guarded', 'closed', '--json']);
    expect(closed.code).toBe(0);
    expect((JSON.parse(closed.stdout) as { circuit: object }).circuit).toMatchObject({ state: 'closed', forced: false, until: null, failureRatio: 0, attempts: 0 });
    expect((await adminView()).circuit).toMatchObject({ state: 'closed', forced: false });
    expect((await cli(['circuit', 'guarded', 'closed'])).stdout).toMatch(new RegExp(`^target guarded: circuit closed since ${isoTime}\\n$`));
    const after = (await cli(['targets'])).stdout.trim().split('\n');
    expect(after.find((l) => l.startsWith('guarded '))).toMatch(/\s+closed$/);
    expect(after.filter((l) => l.startsWith('guarded'))).toHaveLength(1);
  });

  it('refuses a circuit override for a target without a breaker (1) and a state other than open or closed (64)', async () => {
    const guarded = async () => (await stack.request.get('/v1/admin/targets/guarded').set(bearer(tokens.ops))).body.circuit as object;
    const before = await guarded();
    const none = await cli(['circuit', 'idle', 'open']);
    expect(none).toMatchObject({ code: 1, stdout: '' });
    expect(none.stderr).toBe('async-gateway: 409 no_circuit_breaker: target "idle" has no circuitBreaker in the config\n');
    expect((await stack.request.get('/v1/admin/targets/idle').set(bearer(tokens.ops))).body).not.toHaveProperty('circuit');
    const unknown = await cli(['circuit', 'nope', 'open']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('async-gateway: 404 target_not_found: no target named "nope"\n');
    for (const args of [['circuit', 'guarded', 'half_open'], ['circuit', 'guarded'], ['circuit']]) {
      const usage = await cli(args);
      expect(usage.code).toBe(64);
      expect(usage.stderr).toContain('async-gateway: circuit needs a target name and open or closed\n\nusage: async-gateway <command>');
    }
    expect(await guarded()).toEqual(before);
  });

  it("shows one job's timeline, whichever tenant owns it", async () => {
    const out = await cli(['job', ids.flaky!]);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`${ids.flaky}  succeeded`);
    expect(out.stdout).toContain('target flaky, tenant acme, correlation id');
    expect(out.stdout).toMatch(/^trace [0-9a-f]{32}$/m);
    expect(out.stdout).toMatch(/^1\s+failed\s+\S+\s+\S+\s+flaky_failure: .*\s+\d+ ms$/m);
    expect(out.stdout).toMatch(/^2\s+succeeded\s/m);
    const json = JSON.parse((await cli(['job', ids.flaky!, '--json'])).stdout) as { tenant: string; attempts: unknown[] };
    expect(json.tenant).toBe('acme');
    expect(json.attempts).toHaveLength(2);
    expect((await cli(['jobs', 'idle'])).stdout).toContain(ids.waiting);
    expect((await cli(['jobs', 'flaky', '--recent'])).stdout).toContain(ids.flaky);
  });

  it('lists, replays and purges dead letters', async () => {
    const list = await cli(['dead-letters', '--target', 'fail']);
    expect(list.stdout).toMatch(/^2 dead letter\(s\)/);
    expect(list.stdout).toContain(ids.failed1);
    expect(list.stdout).toContain('handler_failed');

    // The fail handler fails again, so a replayed job comes back as a dead letter.
    const replay = await cli(['replay', ids.failed1!]);
    expect(replay.stdout).toBe(`replayed 1\n  ${ids.failed1}\n`);

    const refused = await cli(['purge', '--all', '--target', 'fail']);
    expect(refused.code).toBe(64);
    expect(refused.stderr).toContain('add --yes');
    const purged = await cli(['purge', '--all', '--target', 'fail', '--yes', '--json']);
    expect(purged.code).toBe(0);
    expect((JSON.parse(purged.stdout) as { purged: string[] }).purged).toContain(ids.failed2);
    expect((await stack.request.get(`/v1/jobs/${ids.failed2}`).set(bearer(tokens.acme))).status).toBe(404);
  });

  it('says why, with a distinct exit code: refused (1), bad usage (64), gateway unreachable (69)', async () => {
    const unknown = await cli(['pause', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('async-gateway: 404 target_not_found: no target named "nope"\n');
    const client = await cli(['targets'], { ASYNC_GATEWAY_KEY: tokens.acme });
    expect(client.code).toBe(1);
    expect(client.stderr).toContain('403 forbidden');
    const noKey = await cli(['targets'], { ASYNC_GATEWAY_KEY: '' });
    expect(noKey.stderr).toContain('401 unauthorized');
    const usage = await cli(['frobnicate']);
    expect(usage.code).toBe(64);
    expect(usage.stderr).toContain('unknown command "frobnicate"');
    expect((await cli(['job'])).code).toBe(64);
    const down = await cli(['targets', '--url', `http://127.0.0.1:${await freePort()}`]);
    expect(down.code).toBe(69);
    expect(down.stderr).toContain('ECONNREFUSED');
  });

  it('runs as a binary: bin/async-gateway.mjs prints the table and exits 0, or 69 when the gateway is down', async () => {
    const ok = await binary(['targets']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^TARGET\s+KIND/);
    const down = await binary(['targets'], { ASYNC_GATEWAY_URL: `http://127.0.0.1:${await freePort()}` });
    expect(down.code).toBe(69);
    expect(down.stderr).toContain('cannot reach the gateway');
    const help = await binary(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: async-gateway <command>');
  });

  it('creates an API key locally, printing the key once and its config entry', async () => {
    const out = await cli(['create-key', '--tenant', 'acme', '--role', 'metrics', '--json']);
    const { key, entry } = JSON.parse(out.stdout) as { key: string; entry: { role: string; sha256: string } };
    expect(key).toMatch(/^agk_[A-Za-z0-9_-]{43}$/);
    expect(entry.role).toBe('metrics');
    expect(entry.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((await cli(['create-key', '--tenant', 'acme', '--role', 'root'])).code).toBe(64);
  });
});
