import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, readFileSync, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Child processes of a benchmark run: spawned with the tsx loader (as the e2e suites do),
 * stdout and stderr appended to a log file per process, every one tracked so that
 * `stopAll` (also on Ctrl-C, SIGTERM and any exit of the runner) leaves nothing behind.
 */

export const ROOT = resolve(import.meta.dirname, '../..');
const TSX_LOADER = join(ROOT, 'node_modules/tsx/dist/loader.mjs');

export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly proc: ChildProcess;
  readonly logPath: string;
  readonly running: boolean;
  /**
   * Resolves with the first stdout line containing `needle` (among the start-up lines
   * already seen, unless `fresh`, or yet to come); rejects when the process ends first.
   */
  waitForLine(needle: string, timeoutMs?: number, fresh?: boolean): Promise<string>;
  /** Writes a line to the child's stdin (children spawned with `stdin: true`). */
  send(line: string): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const children = new Set<Child>();
const EARLY_BYTES = 256 * 1024;
let cleanupInstalled = false;

function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  // Last resort: whatever still runs when the runner exits is killed outright.
  process.on('exit', () => {
    for (const c of children) if (c.running) c.proc.kill('SIGKILL');
  });
  const onSignal = (sig: NodeJS.Signals) => {
    process.stderr.write(`\nbench: ${sig}, stopping child processes\n`);
    void stopAll(2_000).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

export interface SpawnOpts {
  /** Extra Node flags before the loader (e.g. --cpu-prof). */
  nodeArgs?: string[];
  args?: string[];
  env?: Record<string, string>;
  stdin?: boolean;
}

/** Where `compileForBench` puts the compiled gateway, workers and baselines. */
const BUILD_DIR = join(ROOT, 'bench/.build');
let compiled = false;

/**
 * Compiles src/, workers/ and bench/baselines/ with tsc into bench/.build (plus the files
 * the gateway reads beside its code: openapi.yaml, config/, the dashboard, Lua scripts),
 * so that every process runs as deployed: plain node on JavaScript, without tsx's loader
 * thread and its memory. From then on `spawnTs` starts the compiled entry points.
 */
export function compileForBench(): void {
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'bench/tsconfig.build.json')], { cwd: ROOT, encoding: 'utf8' });
  if (tsc.status !== 0) throw new Error(`tsc -p bench/tsconfig.build.json failed:\n${tsc.stdout}${tsc.stderr}`);
  cpSync(join(ROOT, 'openapi.yaml'), join(BUILD_DIR, 'openapi.yaml'));
  cpSync(join(ROOT, 'config'), join(BUILD_DIR, 'config'), { recursive: true });
  cpSync(join(ROOT, 'src/admin-ui'), join(BUILD_DIR, 'src/admin-ui'), { recursive: true });
  // Lua scripts, read beside the compiled core (src/core/scripts.ts), as scripts/copy-assets.mjs does for dist/.
  if (existsSync(join(ROOT, 'src/core/scripts'))) cpSync(join(ROOT, 'src/core/scripts'), join(BUILD_DIR, 'src/core/scripts'), { recursive: true });
  compiled = true;
}

/** The file node runs for `entry`: the TypeScript source under tsx, or its compiled twin. */
function entryArgs(entry: string): string[] {
  return compiled ? [join(BUILD_DIR, entry.replace(/\.ts$/, '.js'))] : ['--import', TSX_LOADER, join(ROOT, entry)];
}

/**
 * Starts `entry` (a .ts path relative to the repo root), compiled when `compileForBench`
 * ran and with `node --import tsx` otherwise, logging to `<logDir>/<name>.log`.
 */
export function spawnTs(name: string, entry: string, logDir: string, opts: SpawnOpts = {}): Child {
  installCleanup();
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...entryArgs(entry), ...(opts.args ?? [])], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'production', ...opts.env },
    stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  if (proc.pid === undefined) throw new Error(`could not spawn ${entry}`);
  return track(name, proc, join(logDir, `${name}.log`));
}

/** Tracks any spawned process the same way (redis-server). */
export function track(name: string, proc: ChildProcess, logPath: string): Child {
  installCleanup();
  const log: WriteStream = createWriteStream(logPath, { flags: 'a' });
  const waiters = new Set<{ needle: string; resolve: (line: string) => void }>();
  let tail = '';
  // The first output (start-up lines such as "ready") is kept for waiters that come later.
  let early = '';
  let ended = false;
  const onData = (chunk: Buffer) => {
    log.write(chunk);
    if (early.length < EARLY_BYTES) early += chunk.toString('utf8');
    if (waiters.size === 0) return;
    tail += chunk.toString('utf8');
    const lines = tail.split('\n');
    tail = lines.pop() ?? '';
    for (const line of lines) {
      for (const w of [...waiters]) {
        if (line.includes(w.needle)) {
          waiters.delete(w);
          w.resolve(line);
        }
      }
    }
    if (waiters.size === 0) tail = '';
  };
  proc.stdout?.on('data', onData);
  proc.stderr?.on('data', (chunk: Buffer) => log.write(chunk));
  const exited = new Promise<void>((res) => {
    proc.once('exit', () => {
      ended = true;
      children.delete(child);
      setTimeout(() => log.end(), 50);
      res();
    });
  });
  const child: Child = {
    name,
    pid: proc.pid!,
    proc,
    logPath,
    get running() {
      return !ended && proc.exitCode === null && proc.signalCode === null;
    },
    waitForLine(needle, timeoutMs = 60_000, fresh = false) {
      return new Promise((res, rej) => {
        let done = false;
        const w = {
          needle,
          resolve: (line: string) => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            res(line);
          },
        };
        const fail = (why: string) => {
          if (done) return;
          done = true;
          waiters.delete(w);
          clearTimeout(timer);
          rej(new Error(`${name}: ${why} (waiting for "${needle}"); see ${logPath}:\n${lastLines(logPath)}`));
        };
        const timer = setTimeout(() => fail(`not seen within ${timeoutMs} ms`), timeoutMs);
        // Lines already written before we started waiting.
        const seen = fresh ? undefined : early.split('\n').find((l) => l.includes(needle) && early.includes(`${l}\n`));
        if (seen) return w.resolve(seen);
        waiters.add(w);
        void exited.then(() => setTimeout(() => fail('exited'), 100));
      });
    },
    send(line) {
      proc.stdin?.write(`${line}\n`);
    },
    async stop(graceMs = 10_000) {
      if (!child.running) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  children.add(child);
  return child;
}

function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function lastLines(path: string, n = 15): string {
  return readLog(path).split('\n').slice(-n).join('\n');
}

/**
 * Stops every tracked child (SIGTERM, then SIGKILL after `graceMs`), redis-server last:
 * a worker whose Redis is gone waits for it while shutting down, and would be killed
 * before it writes its --cpu-prof profile.
 */
export async function stopAll(graceMs = 10_000): Promise<void> {
  const all = [...children];
  await Promise.all(all.filter((c) => c.name !== 'redis').map((c) => c.stop(graceMs)));
  await Promise.all(all.filter((c) => c.name === 'redis').map((c) => c.stop(graceMs)));
}

const CLK_TCK = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

/** CPU seconds (user + system) a process has used so far, from /proc; 0 when it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), from field 3 on.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime
  } catch {
    return 0;
  }
}

/** Resident set size now and at its peak (VmHWM), in bytes. */
export function memory(pid: number): { rss: number; hwm: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

export interface Usage {
  /** CPU seconds per wall second (1.0 = one core busy). */
  cores: number;
  /** CPU seconds (user + system) used over the window: `cores × wallS`. */
  cpuS: number;
  /** The window's length, seconds. */
  wallS: number;
  /** Largest RSS sampled during the window (every 100 ms), bytes. */
  peakRss: number;
}

/** Measures CPU and RSS of some processes over a window: `const m = measure(pids); ...; m.stop()`. */
export function measure(pids: Record<string, number>): { stop(): Record<string, Usage> } {
  const start = performance.now();
  const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
  const peak: Record<string, number> = Object.fromEntries(Object.keys(pids).map((k) => [k, 0]));
  const sample = () => {
    for (const [k, pid] of Object.entries(pids)) peak[k] = Math.max(peak[k]!, memory(pid).rss);
  };
  sample();
  const timer = setInterval(sample, 100);
  return {
    stop() {
      clearInterval(timer);
      sample();
      const wall = (performance.now() - start) / 1_000;
      return Object.fromEntries(
        Object.entries(pids).map(([k, pid]) => {
          const cpuS = cpuSeconds(pid) - cpu0[k]!;
          return [k, { cores: wall > 0 ? cpuS / wall : 0, cpuS, wallS: wall, peakRss: peak[k]! }];
        }),
      );
    },
  };
}

/**
 * Several processes' usage over one window as one (a Redis Cluster's nodes): their CPU
 * added up, over the longest of their windows; peak RSS the sum of each one's peak.
 */
export function sumUsage(parts: readonly Usage[]): Usage {
  const wallS = Math.max(0, ...parts.map((p) => p.wallS));
  const cpuS = parts.reduce((a, p) => a + p.cpuS, 0);
  return { cores: wallS > 0 ? cpuS / wallS : 0, cpuS, wallS, peakRss: parts.reduce((a, p) => a + p.peakRss, 0) };
}
