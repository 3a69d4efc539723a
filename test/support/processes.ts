import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';

const ROOT = resolve(import.meta.dirname, '../..');
const TSX = join(ROOT, 'node_modules/tsx/dist/loader.mjs');

export type LogLine = Record<string, unknown>;

export interface Spawned {
  child: ChildProcess;
  lines: LogLine[];
  stderr: string[];
  /** Resolves with the first log line matching `pred` (already seen or yet to come). */
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

const running = new Set<Spawned>();

/** Starts a TypeScript entry point (relative to the repo root) as a real child process. */
export function spawnEntry(entry: string, env: Record<string, string>, opts: { args?: string[]; cwd?: string } = {}): Spawned {
  const child = spawn(process.execPath, ['--import', TSX, join(ROOT, entry), ...(opts.args ?? [])], {
    cwd: opts.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'debug', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  let buffer = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      try {
        lines.push(JSON.parse(line) as LogLine);
      } catch {
        lines.push({ raw: line });
      }
    }
    for (const w of waiters) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => stderr.push(c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.once('exit', (code, signal) => {
      running.delete(spawned);
      for (const w of waiters) w();
      res({ code, signal });
    }),
  );
  const spawned: Spawned = {
    child,
    lines,
    stderr,
    exited,
    kill: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    waitForLog: (pred, timeoutMs = 30_000) =>
      new Promise((res, rej) => {
        const check = () => {
          const hit = lines.find(pred);
          if (hit) return done(() => res(hit));
          if (child.exitCode !== null || child.signalCode !== null) {
            return done(() => rej(new Error(`process exited before the log line; stderr: ${stderr.join('')}`)));
          }
        };
        const timer = setTimeout(() => done(() => rej(new Error(`log line not seen in ${timeoutMs} ms; stderr: ${stderr.join('')}`))), timeoutMs);
        const done = (fn: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          fn();
        };
        waiters.add(check);
        check();
      }),
  };
  running.add(spawned);
  return spawned;
}

/** SIGKILLs every child still running (for afterEach/afterAll). */
export async function killAll(): Promise<void> {
  const all = [...running];
  for (const s of all) s.kill('SIGKILL');
  await Promise.all(all.map((s) => s.exited));
}

/** Writes a config document to a fresh temp file and returns its path. */
export function writeConfigFile(doc: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'ag-config-'));
  const path = join(dir, 'config.yaml');
  writeFileSync(path, stringify(doc));
  return path;
}
