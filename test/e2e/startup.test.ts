import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { killAll, spawnEntry, writeConfigFile } from '../support/processes.js';
import { startRedisServer } from '../support/redis-server.js';
import { DEMO_TARGETS, eventually, testConfigDoc } from '../support/test-stack.js';

describe('start-up', () => {
  afterEach(killAll);

  it('exits 78 and names every bad field of an invalid config file by path', async () => {
    const path = writeConfigFile({
      targets: {
        echo: { kind: 'handler', handler: 'echo', attempts: 'x' },
        odd: { kind: 'queue' },
        ghost: { kind: 'handler', handler: 'nope' },
      },
    });
    for (const entry of ['src/server.ts', 'workers/executor/index.ts']) {
      const p = spawnEntry(entry, { GATEWAY_CONFIG: path, REDIS_URL: 'redis://127.0.0.1:1' });
      expect((await p.exited).code).toBe(78);
      const stderr = p.stderr.join('');
      expect(stderr).toContain('targets.echo.attempts');
      expect(stderr).toContain('targets.odd.kind');
    }
    const ghost = spawnEntry('src/server.ts', { GATEWAY_CONFIG: writeConfigFile({ targets: { ghost: { kind: 'handler', handler: 'nope' } } }) });
    expect((await ghost.exited).code).toBe(78);
    expect(ghost.stderr.join('')).toContain('targets.ghost.handler: unknown handler "nope"');
  });

  it('exits 78 on an invalid environment', async () => {
    const p = spawnEntry('src/server.ts', { PORT: 'eighty' });
    expect((await p.exited).code).toBe(78);
    expect(p.stderr.join('')).toContain('PORT');
  });

  it('refuses a Redis that may evict jobs (maxmemory-policy allkeys-lru)', async () => {
    const redis = await startRedisServer(['--maxmemory-policy', 'allkeys-lru']);
    try {
      const p = spawnEntry('src/server.ts', { REDIS_URL: redis.url, GATEWAY_CONFIG: writeConfigFile(testConfigDoc({ targets: DEMO_TARGETS })) });
      const { code } = await p.exited;
      expect(code).toBe(1);
      expect(p.stderr.join('')).toContain('allkeys-lru');
    } finally {
      await redis.destroy();
    }
  });

  it('npm start starts its own redis-server under ./.data when none answers, and stops it on SIGTERM', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ag-start-'));
    const [redisPort, port] = [await freePort(), await freePort()];
    try {
      const p = spawnEntry('src/main.ts', { REDIS_URL: `redis://127.0.0.1:${redisPort}`, PORT: String(port) }, { cwd });
      await p.waitForLog((l) => l.event === 'gateway.listening', 60_000);
      expect(p.lines.some((l) => l.event === 'redis.started')).toBe(true);
      const res = await fetch(`http://127.0.0.1:${port}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', prefer: 'wait=10' },
        body: JSON.stringify({ target: 'echo', input: { hi: 1 } }),
      });
      expect(((await res.json()) as { status: string }).status).toBe('succeeded');
      await eventually(() => existsSync(join(cwd, '.data')) && readdirSync(join(cwd, '.data')).some((f) => f.startsWith('appendonly')));
      p.kill('SIGTERM');
      expect((await p.exited).code).toBe(0);
      // Its redis-server went with it.
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
      const probe = await import('ioredis').then(({ Redis }) => new Redis(`redis://127.0.0.1:${redisPort}`, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 }));
      probe.on('error', () => undefined);
      await expect(probe.connect()).rejects.toThrow();
      probe.disconnect();
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 90_000);
});
