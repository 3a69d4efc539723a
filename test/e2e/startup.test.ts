import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ALL_IN_ONE_ENTRY, EXECUTOR_ENTRY, GATEWAY_ENTRY, startWorld, type World } from '../support/e2e-world.js';
import { freePort } from '../support/free-port.js';
import {
  connectionRefused,
  httpCall,
  killAll,
  logEvent,
  removeTempDirs,
  spawnEntry,
  tempDir,
  writeConfigFile,
  type ChildEntry,
} from '../support/processes.js';
import { startRedisServer } from '../support/redis-server.js';
import { DEMO_TARGETS, eventually, testConfigDoc } from '../support/test-stack.js';

const ENTRIES = [GATEWAY_ENTRY, EXECUTOR_ENTRY, ALL_IN_ONE_ENTRY];

/** A connection that gives up at once: for probing whether a Redis answers. */
function probe(port: number): Redis {
  const r = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => undefined);
  return r;
}

async function redisAnswers(port: number): Promise<boolean> {
  const r = probe(port);
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

/** Clean-up for a redis-server an all-in-one started (in its own process group, so killAll cannot reach it). */
async function shutdownRedisAt(port: number): Promise<void> {
  const r = probe(port);
  try {
    await r.connect();
    await r.call('SHUTDOWN', 'NOSAVE');
  } catch {
    // Not running (the expected case), or gone while answering.
  } finally {
    r.disconnect();
  }
}

const exitedWith = async (p: ChildEntry) => {
  const info = await p.waitForExit();
  return { code: info.code, stderr: p.stderrText() };
};

describe('start-up: configuration', () => {
  afterEach(killAll);
  afterAll(removeTempDirs);

  it('every entry point exits 78 on an invalid config file and names each bad field by path', async () => {
    const path = writeConfigFile({
      targets: {
        echo: { kind: 'handler', handler: 'echo', attempts: 'x' },
        odd: { kind: 'queue' },
      },
      defaults: { timeoutMs: -5 },
    });
    const runs = ENTRIES.map((entry) => spawnEntry(entry, { GATEWAY_CONFIG: path }));
    for (const p of runs) {
      const { code, stderr } = await exitedWith(p);
      expect(code, `${p.entry}: ${stderr}`).toBe(78);
      expect(stderr).toContain(path);
      expect(stderr).toMatch(/^ {2}- targets\.echo\.attempts: /m);
      expect(stderr).toMatch(/^ {2}- targets\.odd\.kind: /m);
      expect(stderr).toMatch(/^ {2}- defaults\.timeoutMs: /m);
      // A report, not a crash: no stack trace, and nothing started (not a single log line).
      expect(stderr).not.toMatch(/^\s+at /m);
      expect(p.lines).toEqual([]);
    }
  }, 90_000);

  it('exits 78 naming a target whose handler does not exist', async () => {
    const path = writeConfigFile({ targets: { echo: { kind: 'handler', handler: 'echo' }, ghost: { kind: 'handler', handler: 'nope' } } });
    for (const entry of [GATEWAY_ENTRY, EXECUTOR_ENTRY]) {
      const { code, stderr } = await exitedWith(spawnEntry(entry, { GATEWAY_CONFIG: path }));
      expect(code).toBe(78);
      expect(stderr).toContain('targets.ghost.handler: unknown handler "nope"');
      expect(stderr).not.toContain('targets.echo');
    }
  }, 60_000);

  it("exits 78 naming a route's bad expression and unknown target by path", async () => {
    const path = writeConfigFile({
      targets: { echo: { kind: 'handler', handler: 'echo' } },
      routes: {
        broken: { switch: [{ when: 'region = ', target: 'echo' }, { when: 'true', target: 'ghost' }, { target: 'echo' }] },
        spread: { fanOut: [{ target: 'echo' }, { target: 'echo', when: 'x =' }] },
      },
    });
    const { code, stderr } = await exitedWith(spawnEntry(GATEWAY_ENTRY, { GATEWAY_CONFIG: path }));
    expect(code, stderr).toBe(78);
    expect(stderr).toMatch(/^ {2}- routes\.broken\.switch\.0\.when: not a valid JSONata expression: /m);
    expect(stderr).toMatch(/^ {2}- routes\.broken\.switch\.1\.target: no target named "ghost"$/m);
    expect(stderr).toMatch(/^ {2}- routes\.spread\.fanOut\.1: step name "echo" is taken by fanOut\.0; give one of them a name$/m);
    expect(stderr).toMatch(/^ {2}- routes\.spread\.fanOut\.1\.when: not a valid JSONata expression: /m);
    expect(stderr).not.toMatch(/^\s+at /m);
  }, 30_000);

  it('exits 78 on an invalid environment, naming each bad variable', async () => {
    const p = spawnEntry(GATEWAY_ENTRY, { PORT: 'eighty', LOG_LEVEL: 'loud', REDIS_URL: 'http://127.0.0.1:6379' });
    const { code, stderr } = await exitedWith(p);
    expect(code).toBe(78);
    expect(stderr).toMatch(/^ {2}- PORT: /m);
    expect(stderr).toMatch(/^ {2}- LOG_LEVEL: /m);
    expect(stderr).toMatch(/^ {2}- REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/m);
  }, 30_000);

  it('production mode (REQUIRE_API_KEYS=true) refuses to start without API keys or server.publicUrl, naming both (gateway and all-in-one)', async () => {
    const path = writeConfigFile({ targets: { echo: { kind: 'handler', handler: 'echo' } } });
    for (const entry of [GATEWAY_ENTRY, ALL_IN_ONE_ENTRY]) {
      const { code, stderr } = await exitedWith(spawnEntry(entry, { GATEWAY_CONFIG: path, REQUIRE_API_KEYS: 'true', AUTO_REDIS: 'false' }));
      expect(code, `${entry}: ${stderr}`).toBe(78);
      expect(stderr).toMatch(/^ {2}- auth\.keys: /m);
      expect(stderr).toMatch(/^ {2}- server\.publicUrl: required/m);
    }
  }, 60_000);

  it('checkRedis refuses a Redis that may evict jobs (maxmemory-policy allkeys-lru): every entry point exits non-zero naming the policy', async () => {
    const redis = await startRedisServer(['--maxmemory-policy', 'allkeys-lru']);
    try {
      const env = { REDIS_URL: redis.url, GATEWAY_CONFIG: writeConfigFile(testConfigDoc({ targets: DEMO_TARGETS })), PORT: String(await freePort()) };
      const runs = ENTRIES.map((entry) => spawnEntry(entry, env, { cwd: tempDir() }));
      for (const p of runs) {
        const { code, stderr } = await exitedWith(p);
        expect(code, `${p.entry}: ${stderr}`).not.toBe(0);
        expect(code).not.toBeNull();
        expect(stderr).toContain('allkeys-lru');
        expect(stderr).not.toMatch(/^\s+at /m);
        expect(p.logs('gateway.listening')).toEqual([]);
        expect(p.logs('executor.started')).toEqual([]);
      }
      // Refused before writing anything.
      const r = new Redis(redis.url);
      expect(await r.dbsize()).toBe(0);
      r.disconnect();
    } finally {
      await redis.destroy();
    }
  }, 90_000);
});

describe('start-up: executor target selection', () => {
  let world: World;

  beforeAll(async () => {
    world = await startWorld({ targets: DEMO_TARGETS });
  });
  afterEach(killAll);
  afterAll(async () => {
    await world?.close();
    removeTempDirs();
  });

  it('--targets echo serves only echo; a flaky job stays queued until an executor for flaky (EXECUTOR_TARGETS) starts', async () => {
    const echoOnly = await world.spawnExecutor({}, { args: ['--targets', 'echo'] });
    expect(echoOnly.logs('executor.started').map((l) => l.targets)).toEqual([['echo']]);
    expect(echoOnly.logs('executor.ready').map((l) => l.targets)).toEqual([['echo']]);

    const flaky = await world.submit({ target: 'flaky', input: { failTimes: 0 } });
    const echo = await world.submit({ target: 'echo', input: { n: 1 } });
    await world.untilStatus(echo.id, 'succeeded');
    // The flaky job was submitted first; an executor serving flaky would have run it by now.
    expect(await world.job(flaky.id)).toMatchObject({ status: 'queued', attempts: 0 });
    expect(echoOnly.logs(logEvent('job.started', { jobId: flaky.id }))).toEqual([]);
    expect((await world.queueCounts('flaky')).waiting).toBe(1);

    const flakyOnly = await world.spawnExecutor({ EXECUTOR_TARGETS: 'flaky' });
    expect(flakyOnly.logs('executor.started').map((l) => l.targets)).toEqual([['flaky']]);
    expect(await world.untilStatus(flaky.id, 'succeeded')).toMatchObject({ attempts: 1, result: { succeededOnAttempt: 1 } });
    await flakyOnly.waitForLog(logEvent('job.succeeded', { jobId: flaky.id }));
  }, 90_000);

  it('refuses unknown targets (exit 78) before any worker starts, and a mistyped option (exit 64)', async () => {
    const job = await world.submit({ target: 'echo' });
    const typo = spawnEntry(EXECUTOR_ENTRY, world.env(), { args: ['--targets', 'echo,nope'] });
    const { code, stderr } = await exitedWith(typo);
    expect(code).toBe(78);
    expect(stderr).toContain('unknown target(s) to serve: nope');
    expect(stderr).toContain('echo, flaky, fail');
    expect(typo.logs('executor.started')).toEqual([]);
    // The good half of the list did not start consuming either.
    expect(await world.job(job.id)).toMatchObject({ status: 'queued', attempts: 0 });

    const fromEnv = await exitedWith(spawnEntry(EXECUTOR_ENTRY, world.env({ EXECUTOR_TARGETS: 'ech0' })));
    expect(fromEnv.code).toBe(78);
    expect(fromEnv.stderr).toContain('ech0');

    const option = await exitedWith(spawnEntry(EXECUTOR_ENTRY, world.env(), { args: ['--target', 'echo'] }));
    expect(option.code).toBe(64);
    expect(option.stderr).toContain('--target');
    expect(option.stderr).toContain('usage:');
    await world.stack.request.post(`/v1/jobs/${job.id}/cancel`);
  }, 60_000);
});

describe('start-up: all-in-one (npm start) with no Redis running', () => {
  afterEach(killAll);
  afterAll(removeTempDirs);

  // One config (so one key prefix) for every start of a test.
  const allInOneEnv = (redisPort: number, port: number) => ({
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    PORT: String(port),
    GATEWAY_CONFIG: writeConfigFile(testConfigDoc({ targets: DEMO_TARGETS })),
  });
  const startAllInOne = async (cwd: string, env: Record<string, string>) => {
    const p = spawnEntry(
      ALL_IN_ONE_ENTRY,
      env,
      // Its own process group, as a terminal runs it: a Ctrl-C reaches the whole group.
      { cwd, detached: true },
    );
    await p.waitForLog('gateway.listening', 60_000);
    return p;
  };

  it('starts its own redis-server persisting under <cwd>/.data, serves, and stops it on SIGTERM', async () => {
    const cwd = tempDir();
    const [redisPort, port] = [await freePort(), await freePort()];
    try {
      expect(await redisAnswers(redisPort)).toBe(false);
      const p = await startAllInOne(cwd, allInOneEnv(redisPort, port));
      const started = p.logs('redis.started');
      expect(started).toHaveLength(1);
      expect(started[0]).toMatchObject({ port: String(redisPort), dir: join(cwd, '.data') });

      // Its Redis is set up as the design asks: AOF on, never evicting.
      const r = probe(redisPort);
      await r.connect();
      expect(await r.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      expect(await r.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
      r.disconnect();

      const health = await httpCall(port, 'GET', '/healthz').answer;
      expect(health.status).toBe(200);
      const submitted = await httpCall(port, 'POST', '/v1/jobs', { target: 'echo', input: { hi: 1 } }, { prefer: 'wait=20' }).answer;
      expect(submitted.body).toMatchObject({ status: 'succeeded', result: { echo: { hi: 1 } } });
      await eventually(() => readdirSync(join(cwd, '.data'), { recursive: true }).some((f) => String(f).startsWith('appendonly')), 15_000);

      p.signal('SIGTERM');
      expect(await p.waitForExit()).toEqual({ code: 0, signal: null });
      expect(p.logs('shutdown.complete')).toHaveLength(1);
      // The redis-server went with it, and so did the HTTP listener.
      expect(await eventually(async () => !(await redisAnswers(redisPort)), 15_000)).toBe(true);
      expect(await connectionRefused(port)).toBe(true);
    } finally {
      await shutdownRedisAt(redisPort);
    }
  }, 120_000);

  it('Ctrl-C (SIGINT to its process group) drains a running job against a Redis that is still there, and the job survives a restart', async () => {
    const cwd = tempDir();
    const [redisPort, port] = [await freePort(), await freePort()];
    try {
      const env = allInOneEnv(redisPort, port);
      const p = await startAllInOne(cwd, { ...env, SHUTDOWN_TIMEOUT_MS: '20000' });
      const submitted = await httpCall(port, 'POST', '/v1/jobs', { target: 'echo', input: { delayMs: 2_000 } }).answer;
      expect(submitted.status).toBe(202);
      const id = submitted.body.id as string;
      await p.waitForLog(logEvent('job.started', { jobId: id }));

      p.signal('SIGINT');
      expect(await p.waitForExit()).toEqual({ code: 0, signal: null });
      expect(p.logs(logEvent('job.succeeded', { jobId: id }))).toHaveLength(1);
      expect(p.logs('job.handed_back')).toEqual([]);
      expect(p.logs('shutdown.timeout')).toEqual([]);
      // Redis stayed up for the whole drain: no connection errors.
      expect(p.lines.filter((l) => (l.level as number) >= 50)).toEqual([]);
      expect(await eventually(async () => !(await redisAnswers(redisPort)), 15_000)).toBe(true);

      // The outcome was persisted under .data: a fresh start (its own redis-server again, from the AOF) knows it.
      const again = await startAllInOne(cwd, env);
      expect(again.logs('redis.started')).toHaveLength(1);
      const doc = await httpCall(port, 'GET', `/v1/jobs/${id}`).answer;
      expect(doc.body).toMatchObject({ id, status: 'succeeded', attempts: 1, result: { echo: { delayMs: 2_000 } } });
      again.signal('SIGTERM');
      expect((await again.waitForExit()).code).toBe(0);
    } finally {
      await shutdownRedisAt(redisPort);
    }
  }, 180_000);

  it('a signal during start-up still takes its redis-server along', async () => {
    const cwd = tempDir();
    const [redisPort, port] = [await freePort(), await freePort()];
    try {
      const p = spawnEntry(ALL_IN_ONE_ENTRY, allInOneEnv(redisPort, port), { cwd, detached: true });
      await p.waitForLog('redis.started', 60_000);
      p.signal('SIGINT');
      const { code } = await p.waitForExit();
      // Normally 130 (still starting); 0 only if start-up won the race and shut down cleanly.
      expect(code === 130 || (code === 0 && p.logs('gateway.listening').length === 1), `exit code ${code}`).toBe(true);
      expect(await eventually(async () => !(await redisAnswers(redisPort)), 15_000)).toBe(true);
    } finally {
      await shutdownRedisAt(redisPort);
    }
  }, 90_000);

  it('a failed start-up (port already taken) exits 1 with a one-line reason and stops the redis-server it started', async () => {
    const cwd = tempDir();
    const redisPort = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((res) => blocker.listen(0, () => res()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const p = spawnEntry(ALL_IN_ONE_ENTRY, allInOneEnv(redisPort, port), { cwd, detached: true });
      const { code, stderr } = await exitedWith(p);
      expect(code).toBe(1);
      expect(p.logs('redis.started')).toHaveLength(1);
      expect(stderr).toContain('EADDRINUSE');
      expect(stderr).not.toMatch(/^\s+at /m);
      expect(await eventually(async () => !(await redisAnswers(redisPort)), 15_000)).toBe(true);
      expect(existsSync(join(cwd, '.data')) && statSync(join(cwd, '.data')).isDirectory()).toBe(true);
    } finally {
      blocker.close();
      await shutdownRedisAt(redisPort);
    }
  }, 90_000);
});
