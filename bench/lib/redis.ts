import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../test/support/free-port.js';
import { track, type Child } from './procs.js';

export interface PrivateRedis {
  url: string;
  port: number;
  child: Child;
  version: string;
  stop(): Promise<void>;
}


/**
 * The run's own redis-server on a free loopback port (never the machine's shared one):
 * noeviction, no persistence (the baselines and the gateway share it, so the ratios do
 * not depend on it; docs/performance.md says so).
 */
export async function startPrivateRedis(logDir: string): Promise<PrivateRedis> {
  const version = /v=(\S+)/.exec(spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout ?? '')?.[1] ?? 'unknown';
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ag-bench-redis-'));
  const proc = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', '--protected-mode', 'yes'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const child = track('redis', proc, join(logDir, 'redis.log'));
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      break;
    } catch {
      probe.disconnect();
      if (Date.now() > deadline || !child.running) {
        await child.stop(0);
        throw new Error(`redis-server on ${port} did not start; see ${child.logPath}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    port,
    child,
    version,
    async stop() {
      await child.stop(5_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
