import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';

export interface RedisServer {
  url: string;
  port: number;
  /** Stops the server (SIGKILL when `hard`), keeping its data directory. */
  stop(hard?: boolean): Promise<void>;
  /** Starts it again on the same port and directory. */
  start(): Promise<void>;
  /** Stops it and removes its data directory. */
  destroy(): Promise<void>;
}

export function hasRedisServerBinary(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** A private redis-server on a free loopback port, for tests that need their own (or must kill it). */
export async function startRedisServer(extraArgs: string[] = []): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ag-redis-'));
  let child: ChildProcess | null = null;
  const url = `redis://127.0.0.1:${port}`;
  // A server started with --requirepass is probed with its password; `url` stays without it.
  const passIndex = extraArgs.indexOf('--requirepass');
  const password = passIndex === -1 ? undefined : extraArgs[passIndex + 1];

  const start = async () => {
    // Already running: a second redis-server could not bind the port, yet `child` would then
    // point at it, and stop()/destroy() would leave the first one running for ever.
    if (child && child.exitCode === null && child.signalCode === null) return;
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', ...extraArgs],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 10_000;
    for (;;) {
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, ...(password !== undefined && { password }) });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch {
        probe.disconnect();
        if (Date.now() > deadline) {
          child.kill('SIGKILL');
          throw new Error(`redis-server on ${port} did not start`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };

  const stop = async (hard = false) => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill(hard ? 'SIGKILL' : 'SIGTERM');
    });
  };

  await start();
  return {
    url,
    port,
    stop,
    start,
    destroy: async () => {
      await stop(true);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
