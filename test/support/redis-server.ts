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

export interface RedisServerOptions {
  /**
   * Run as a one-node Redis Cluster holding every slot. Clients talk to it as to a plain
   * Redis (no redirects: every slot is here), but Redis refuses, as a cluster does, any
   * multi-key command, transaction or script whose keys are in different hash slots
   * (CROSSSLOT). The shared test Redis runs this way, so that a cross-slot call anywhere
   * in the suite fails its test.
   */
  slotChecked?: boolean;
}

/** A private redis-server on a free loopback port, for tests that need their own (or must kill it). */
export async function startRedisServer(extraArgs: string[] = [], opts: RedisServerOptions = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ag-redis-'));
  const clusterArgs = opts.slotChecked ? ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf')] : [];
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
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', ...clusterArgs, ...extraArgs],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 10_000;
    for (;;) {
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, ...(password !== undefined && { password }) });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        await probe.ping();
        if (opts.slotChecked) await claimEverySlot(probe);
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

/** Gives a one-node cluster every slot (kept in nodes.conf across restarts) and waits until it serves them. */
async function claimEverySlot(redis: Redis): Promise<void> {
  const info = () => redis.call('CLUSTER', 'INFO') as Promise<string>;
  if (!/cluster_slots_assigned:16384/.test(await info())) await redis.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
  const deadline = Date.now() + 10_000;
  while (!/cluster_state:ok/.test(await info())) {
    if (Date.now() > deadline) throw new Error('one-node cluster did not come up');
    await new Promise((r) => setTimeout(r, 50));
  }
}
