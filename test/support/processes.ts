import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';

/**
 * Real child processes for the e2e suites: an entry point run by Node with the tsx
 * loader (`node --import tsx <entry>`), its stdout read as pino JSON lines. Every
 * child is tracked so that `killAll()` in afterEach leaves nothing running.
 */

const ROOT = resolve(import.meta.dirname, '../..');
// The loader by absolute path: a child whose cwd is a temp dir cannot resolve the bare name "tsx".
const TSX_LOADER = join(ROOT, 'node_modules/tsx/dist/loader.mjs');
/** A loopback port nothing listens on: a child not given REDIS_URL never reaches the machine's own Redis. */
export const NO_REDIS_URL = 'redis://127.0.0.1:1';

export type LogLine = Record<string, unknown> & { event?: string; msg?: string; jobId?: string };
export type LogMatch = string | ((line: LogLine) => boolean);
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildEntry {
  readonly entry: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Parsed stdout lines so far (a line that is not JSON is kept as `{raw}`). */
  readonly lines: LogLine[];
  /** Raw stderr chunks so far; `stderrText()` joins them. */
  readonly stderr: string[];
  stderrText(): string;
  /** Resolves with the first line matching (already seen or yet to come); rejects if the process ends first. */
  waitForLog(match: LogMatch, timeoutMs?: number): Promise<LogLine>;
  logs(match: LogMatch): LogLine[];
  /** Resolves when the process has exited and its output is read (never rejects, may never resolve). */
  readonly exited: Promise<ExitInfo>;
  /** `exited`, bounded: rejects after `timeoutMs`, so that a test's clean-up still runs. */
  waitForExit(timeoutMs?: number): Promise<ExitInfo>;
  readonly running: boolean;
  /** Sends `sig` to the process (to its whole process group when spawned `detached`). */
  signal(sig: NodeJS.Signals): void;
  /** `signal`, SIGTERM by default. */
  kill(sig?: NodeJS.Signals): void;
}

export interface SpawnOptions {
  args?: string[];
  cwd?: string;
  /** Own process group, as a shell gives a foreground job: `signal` then reaches the child's children too. */
  detached?: boolean;
}

const children = new Set<ChildEntry>();
/** Every child since the last killAll, exited ones too: their logs explain a failed test. */
const spawnedThisTest: ChildEntry[] = [];

/** Matches a log line by event name and, optionally, some of its fields. */
export function logEvent(event: string, fields: Record<string, unknown> = {}): (line: LogLine) => boolean {
  return (line) => line.event === event && Object.entries(fields).every(([k, v]) => line[k] === v);
}

const toPredicate = (m: LogMatch) => (typeof m === 'string' ? logEvent(m) : m);

/**
 * Starts a TypeScript entry point (path relative to the repo root) as a real child
 * process, with `env` as its whole environment (plus PATH and HOME).
 */
export function spawnEntry(entry: string, env: Record<string, string> = {}, opts: SpawnOptions = {}): ChildEntry {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, join(ROOT, entry), ...(opts.args ?? [])], {
    cwd: opts.cwd ?? ROOT,
    // A clean environment: only what the test passes (plus PATH, for redis-server) shapes the child.
    // METRICS_PORT 0: several workers of one test must not fight over the default port.
    // (A child given a cluster gets no REDIS_URL: the two together are a start-up error.)
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...(env.REDIS_CLUSTER_NODES === undefined && { REDIS_URL: NO_REDIS_URL }), LOG_LEVEL: 'debug', METRICS_PORT: '0', HOST: '127.0.0.1', METRICS_HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.detached ?? false,
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${entry}`);
  const lines: LogLine[] = [];
  const stderr: string[] = [];
  const wake = new Set<() => void>();
  let ended = false;
  let pending = '';

  const pushLine = (text: string) => {
    if (!text.trim()) return;
    try {
      lines.push(JSON.parse(text) as LogLine);
    } catch {
      lines.push({ raw: text });
    }
  };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    parts.forEach(pushLine);
    for (const w of [...wake]) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));

  // 'close', not 'exit': by then stdout and stderr are drained, so the last log lines are in.
  // A grandchild that inherited the pipes (a redis-server left behind) would hold 'close' back
  // for ever, so 'exit' plus a short grace settles it too.
  const exited = new Promise<ExitInfo>((res) => {
    const settle = (code: number | null, signal: NodeJS.Signals | null) => {
      if (ended) return;
      pushLine(pending);
      pending = '';
      ended = true;
      children.delete(handle);
      for (const w of [...wake]) w();
      res({ code, signal });
    };
    child.once('close', settle);
    child.once('exit', (code, signal) => setTimeout(() => settle(code, signal), 2_000).unref());
  });
  const describe = () =>
    `${entry} (pid ${child.pid}); last lines: ${lines
      .slice(-5)
      .map((l) => JSON.stringify(l).slice(0, 400))
      .join(' | ')}; stderr: ${stderr.join('').slice(-2_000)}`;

  const handle: ChildEntry = {
    entry,
    child,
    pid: child.pid,
    lines,
    stderr,
    stderrText: () => stderr.join(''),
    exited,
    waitForExit: (timeoutMs = 60_000) =>
      new Promise((res, rej) => {
        const timer = setTimeout(() => rej(new Error(`did not exit in ${timeoutMs} ms: ${describe()}`)), timeoutMs);
        void exited.then((info) => {
          clearTimeout(timer);
          res(info);
        });
      }),
    get running() {
      return !ended && child.exitCode === null && child.signalCode === null;
    },
    logs: (m) => lines.filter(toPredicate(m)),
    signal(sig) {
      if (!handle.running) return;
      if (opts.detached) process.kill(-child.pid!, sig);
      else child.kill(sig);
    },
    kill: (sig = 'SIGTERM') => handle.signal(sig),
    waitForLog: (m, timeoutMs = 30_000) =>
      new Promise((res, rej) => {
        const pred = toPredicate(m);
        const settle = (fn: () => void) => {
          clearTimeout(timer);
          wake.delete(check);
          fn();
        };
        const check = () => {
          const hit = lines.find(pred);
          if (hit) settle(() => res(hit));
          else if (ended) settle(() => rej(new Error(`exited before the awaited log line: ${describe()}`)));
        };
        const timer = setTimeout(() => settle(() => rej(new Error(`log line not seen in ${timeoutMs} ms: ${describe()}`))), timeoutMs);
        wake.add(check);
        check();
      }),
  };
  children.add(handle);
  spawnedThisTest.push(handle);
  return handle;
}

/**
 * SIGKILLs every child still running (the process group of a detached one) and waits for
 * them. For afterEach: given vitest's context, it also prints the children's last log lines
 * when the test failed, since a failure across processes is otherwise hard to read.
 */
export async function killAll(ctx?: { task?: { result?: { state?: string } } }): Promise<void> {
  const seen = spawnedThisTest.splice(0);
  if (ctx?.task?.result?.state === 'fail') for (const c of seen) dumpLogs(c);
  const all = [...children];
  for (const c of all) {
    try {
      c.signal('SIGKILL');
    } catch {
      // Already gone.
    }
  }
  await Promise.all(all.map((c) => c.exited));
}

function dumpLogs(c: ChildEntry): void {
  const brief = (l: LogLine) => {
    const { level, time, event, msg, jobId, attempt, err } = l as Record<string, unknown>;
    return JSON.stringify({ time, level, event, msg, jobId, attempt, err, raw: l.raw });
  };
  const state = c.running ? 'running' : `exited ${c.child.exitCode ?? c.child.signalCode}`;
  console.error(
    `--- ${c.entry} pid ${c.pid} (${state}), last ${Math.min(c.lines.length, 60)} of ${c.lines.length} log lines:\n` +
      c.lines.slice(-60).map(brief).join('\n') +
      (c.stderrText() ? `\n--- stderr:\n${c.stderrText().slice(-3_000)}` : ''),
  );
}

const tempDirs: string[] = [];

/** A fresh temp directory, removed by `removeTempDirs()`. */
export function tempDir(prefix = 'ag-e2e-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Writes a config document as YAML to a fresh temp file and returns its path. */
export function writeConfigFile(doc: unknown): string {
  const path = join(tempDir('ag-config-'), 'config.yaml');
  writeFileSync(path, stringify(doc));
  return path;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Whether a new TCP connection to 127.0.0.1:`port` is refused (nothing accepts there). */
export function connectionRefused(port: number): Promise<boolean> {
  return new Promise((res) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      res(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => res(err.code === 'ECONNREFUSED'));
  });
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON (the text when it is not JSON). */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface HttpCall {
  /** Resolves once the whole request is written to its socket. */
  sent: Promise<void>;
  answer: Promise<HttpAnswer>;
}

/** One HTTP request to 127.0.0.1:`port`, on a connection of its own (no pooling, so no reused socket). */
export function httpCall(port: number, method: string, path: string, json?: unknown, headers: Record<string, string> = {}): HttpCall {
  let onSent!: () => void;
  const sent = new Promise<void>((res) => (onSent = res));
  const answer = new Promise<HttpAnswer>((res, rej) => {
    const body = json === undefined ? undefined : JSON.stringify(json);
    const req = request(
      { host: '127.0.0.1', port, method, path, agent: false, headers: { ...(body && { 'content-type': 'application/json' }), ...headers } },
      (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (c: string) => (text += c));
        response.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // Not JSON: keep the text.
          }
          res({ status: response.statusCode ?? 0, headers: response.headers, body: parsed });
        });
        response.on('error', rej);
      },
    );
    req.on('error', rej);
    req.on('finish', onSent);
    req.end(body);
  });
  return { sent, answer };
}
