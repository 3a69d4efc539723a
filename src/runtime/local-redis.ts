import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from '../core/logger.js';
import { closeRedis, createRedis, waitReady } from '../core/redis.js';

export interface LocalRedis {
  stop(): Promise<void>;
}

async function answers(url: string): Promise<boolean> {
  const probe = createRedis(url, 'worker', 'probe');
  probe.on('error', () => undefined);
  try {
    await waitReady(probe, 1_500);
    return true;
  } catch {
    return false;
  } finally {
    await closeRedis(probe);
  }
}

function isLocal(url: URL): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

/**
 * `npm start` convenience: when nothing answers at a local REDIS_URL, start a
 * redis-server of our own with AOF persistence under ./.data and noeviction.
 * Returns null when Redis already answers.
 */
export async function ensureLocalRedis(redisUrl: string, dataDir: string, logger: Logger): Promise<LocalRedis | null> {
  if (await answers(redisUrl)) return null;
  const url = new URL(redisUrl);
  const hasBinary = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!isLocal(url) || !hasBinary) {
    throw new Error(
      `No Redis answers at ${url.host}.${isLocal(url) ? ' redis-server is not installed either.' : ''}\n` +
        'Start one, or install it so that `npm start` can start one for you:\n' +
        '  Debian/Ubuntu: sudo apt-get install redis-server\n' +
        '  macOS:         brew install redis\n' +
        '  Docker:        docker run -p 6379:6379 redis:7 --appendonly yes --maxmemory-policy noeviction\n' +
        'or point REDIS_URL at a Redis you have.',
    );
  }
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const port = url.port || '6379';
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', port, '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', '', '--maxmemory-policy', 'noeviction'],
    // Its own process group: a Ctrl-C in the terminal signals the whole foreground group, and
    // Redis must outlive our drain (running jobs finish or are handed back); we stop it last.
    { stdio: ['ignore', 'ignore', 'inherit'], detached: true },
  );
  // Any process.exit (a failed start-up, the shutdown deadline) stops it too, so no orphaned
  // redis-server keeps the port. SIGTERM: Redis flushes its AOF, then exits on its own.
  const stopOnExit = () => child.kill('SIGTERM');
  process.once('exit', stopOnExit);
  logger.warn({ event: 'redis.started', port, dir }, `no Redis answered; started redis-server on port ${port} with data in ${dir}`);
  const deadline = Date.now() + 10_000;
  while (!(await answers(redisUrl))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGTERM');
      throw new Error('redis-server did not start; see its output above');
    }
  }
  return {
    stop: () =>
      new Promise<void>((done) => {
        process.off('exit', stopOnExit);
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}
