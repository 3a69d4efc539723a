/**
 * Benchmarks of the gateway against the plain Express + BullMQ baselines (issue 8) and,
 * for submit and status, a hand-written Express app with the same admission features
 * (bench/baselines/express-featured.ts); submit-traced measures the gateway against
 * itself with OpenTelemetry trace export on (OTLP/HTTP to a sink in this process).
 *
 *   npm run bench                 full run (waits for a quiet machine first), ~5 min
 *   npm run bench:smoke           every case for a second or two (CI; no thresholds)
 *   npm run bench -- --profile    also --cpu-prof the gateway (and the traced one), executor and notifier
 *   npm run bench -- --runtime tsx  run the sources through tsx instead of compiling them first
 *   npm run bench -- --cluster    the same cases on a Redis Cluster (3 masters, 3 replicas) instead
 *
 * One private redis-server, the baselines (bench/baselines/) and our gateway, executor
 * and notifier as real child processes, driven in turn; the webhook receiver and the
 * load generator (autocannon) run in this process. Prints one table and writes
 * results.json (plus the config, the children's logs and any profiles) to --out.
 * With --cluster every process reaches a loopback Redis Cluster instead
 * (REDIS_CLUSTER_NODES; the BullMQ baselines with a hash-tagged prefix), Redis's CPU is
 * the sum over all its redis-server processes, replicas included, and each row also
 * carries every node's share (`redisNodes`; a second table).
 * Method and latest figures: docs/performance.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { generateApiKey, hashApiKey } from '../src/auth/api-keys.js';
import type { JobRecord } from '../src/core/job-record.js';
import { masters, type RedisClient } from '../src/core/redis.js';
import { call, closeAgent } from './lib/http.js';
import { runLoad, type LoadSpec } from './lib/load.js';
import { compileForBench, measure, memory, ROOT, spawnTs, stopAll, sumUsage, type Child, type Usage } from './lib/procs.js';
import { startOtlpSink, type OtlpStats } from './lib/otlp-sink.js';
import { startReceiver, type Receiver } from './lib/receiver.js';
import { freePort } from '../test/support/free-port.js';
import { bullPrefixFor } from './baselines/redis-connection.js';
import { clusterNodes, singleRedis, startBenchCluster, startPrivateRedis, type BenchRedis, type RedisNode } from './lib/redis.js';
import { openStack, type BenchStack } from './lib/stack.js';
import { mean, percentile, sleep, timeDrain, type Drain } from './lib/stats.js';
import { summarizeProfiles } from './profile-summary.js';

// ---------------------------------------------------------------------------------------
// Options

const { values: argv } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    out: { type: 'string' },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string', default: '50' },
    profile: { type: 'boolean', default: false },
    cases: { type: 'string' },
    'max-load': { type: 'string', default: '0.7' },
    'load-wait': { type: 'string', default: '600' },
    'no-load-wait': { type: 'boolean', default: false },
    cluster: { type: 'boolean', default: false },
    // compiled (default in full runs): plain node on tsc output, as deployed; tsx: straight from the sources (smoke default: no compile step).
    runtime: { type: 'string' },
  },
  allowPositionals: false,
});

const SMOKE = argv.smoke;
const MODE = SMOKE ? 'smoke' : 'full';
const CLUSTER = argv.cluster;
/** Masters of the --cluster run's Redis Cluster, each with one replica. */
const CLUSTER_MASTERS = 3;
const opts = {
  rounds: Number(argv.rounds ?? (SMOKE ? 1 : 2)),
  durationS: Number(argv.duration ?? (SMOKE ? 1 : 10)),
  warmupS: Number(argv.warmup ?? (SMOKE ? 0 : 3)),
  connections: Number(argv.connections),
  idleRequests: SMOKE ? 20 : 1_000,
  latencySamples: SMOKE ? 10 : 300,
  memJobs: SMOKE ? 100 : 5_000,
  execJobs: SMOKE ? 300 : 40_000,
  webhookJobs: SMOKE ? 200 : 10_000,
  webhookConcurrency: 20,
  workerConcurrency: 100,
};
const RUNTIME = argv.runtime ?? (SMOKE ? 'tsx' : 'compiled');
if (RUNTIME !== 'tsx' && RUNTIME !== 'compiled') throw new Error(`--runtime is tsx or compiled, not ${RUNTIME}`);
const ALL_CASES = ['express-202', 'submit', 'submit-traced', 'status', 'submit-idle', 'prefer-wait', 'latency', 'memory', 'executor', 'executor-breaker', 'executor-fair', 'batch', 'webhooks'] as const;
type CaseId = (typeof ALL_CASES)[number];
const chosen = new Set<string>(argv.cases ? argv.cases.split(',').map((c) => c.trim()) : ALL_CASES);
for (const c of chosen) if (!(ALL_CASES as readonly string[]).includes(c)) throw new Error(`unknown case ${c} (known: ${ALL_CASES.join(', ')})`);
const wants = (c: CaseId) => chosen.has(c);

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const outDir = resolve(argv.out ?? join(ROOT, 'bench/results', `${MODE}${CLUSTER ? '-cluster' : ''}-${stamp}`));
const logDir = join(outDir, 'logs');
const profileDir = join(outDir, 'profiles');
mkdirSync(logDir, { recursive: true });

const say = (line: string) => process.stderr.write(`${line}\n`);

// ---------------------------------------------------------------------------------------
// Results

/** `baseline`: the bare baseline a target is judged against; `featured`: the hand-written featured one (informational). */
type Role = 'ours' | 'baseline' | 'featured' | 'info';

interface Row {
  case: CaseId;
  title: string;
  system: string;
  role: Role;
  unit: string;
  throughput?: number;
  p50Ms?: number;
  p99Ms?: number;
  cpuCores?: number;
  redisCpuCores?: number;
  /** CPU µs of the system under test per request (per job, per webhook in the drain cases: the row's unit): CPU seconds over the measured window / items. */
  cpuUsPerReq?: number;
  /** The same for redis-server (on a cluster: every node's CPU added up, replicas too). */
  redisCpuUsPerReq?: number;
  /** --cluster only: how Redis's CPU split over the nodes. */
  redisNodes?: NodeFigure[];
  peakRssMB?: number;
  failed?: number;
  /** The ratio to this case's bare baseline (throughput), when there is one; on the featured row, the featured baseline's own. */
  ratio?: number;
  p99Ratio?: number;
  /** Ours only: the ratio to the featured baseline (bench/baselines/express-featured.ts), measured in the same rounds. */
  featuredRatio?: number;
  featuredP99Ratio?: number;
  rounds: unknown[];
  note?: string;
  /**
   * submit-traced's tracing-on row: what the OTLP sink received before the traced gateway
   * was stopped and in all (its shutdown flushes the rest); `tracedRequests`: the requests
   * sent to it, warm-ups included.
   */
  otlp?: { duringRounds: OtlpStats; total: OtlpStats; tracedRequests: number };
}

/** One Redis Cluster node's part of a row's Redis CPU. */
interface NodeFigure {
  port: number;
  role: RedisNode['role'];
  replicaOf?: number;
  cpuCores: number;
  cpuUsPerReq: number;
}

interface Check {
  name: string;
  measured: number;
  target: string;
  /** null on informational lines, which judge nothing. */
  met: boolean | null;
  unit: string;
  informational?: boolean;
}

const rows: Row[] = [];
const checks: Check[] = [];
const MB = 1024 * 1024;

function addCheck(name: string, measured: number, op: '>=' | '<=' | '<', bound: number, unit: string): void {
  const met = op === '>=' ? measured >= bound : op === '<=' ? measured <= bound : measured < bound;
  checks.push({ name, measured, target: `${op} ${bound}${unit === 'x' ? '×' : ` ${unit}`}`, met, unit });
}

/** A line of the targets table that judges nothing (the featured-baseline ratios). */
function addInfo(name: string, measured: number | undefined, unit: string): void {
  if (measured === undefined) return;
  checks.push({ name, measured, target: '(info)', met: null, unit, informational: true });
}

// ---------------------------------------------------------------------------------------
// Machine

function loadavg(): [number, number, number] {
  const [a, b, c] = readFileSync('/proc/loadavg', 'utf8').split(' ').map(Number);
  return [a!, b!, c!];
}

async function waitForQuietMachine(): Promise<{ waitedS: number; timedOut: boolean }> {
  const maxLoad = Number(argv['max-load']);
  const limitS = Number(argv['load-wait']);
  const started = Date.now();
  for (;;) {
    const [one] = loadavg();
    if (one < maxLoad) return { waitedS: (Date.now() - started) / 1_000, timedOut: false };
    const waited = (Date.now() - started) / 1_000;
    if (waited >= limitS) {
      say(`bench: 1-minute load still ${one} after ${Math.round(waited)} s; measuring anyway (recorded)`);
      return { waitedS: waited, timedOut: true };
    }
    say(`bench: 1-minute load ${one} >= ${maxLoad}; waiting (${Math.round(waited)}/${limitS} s)`);
    await sleep(15_000);
  }
}

function machine() {
  let commit = 'unknown';
  let dirty = false;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'workers'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
  } catch {
    // Not a git checkout: leave it unknown.
  }
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGB: Math.round(os.totalmem() / 1024 ** 3),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    commit,
    srcOrWorkersModified: dirty,
  };
}

// ---------------------------------------------------------------------------------------
// Processes

interface Procs {
  redis: BenchRedis;
  /** The environment our gateway, executor and notifier share (a case that starts another gateway starts it alike). */
  ourEnv: Record<string, string>;
  gateway: Child;
  gatewayUrl: string;
  executor: Child;
  notifier: Child;
  bareExpress: Child;
  bareExpressUrl: string;
  bareBullmq: Child;
  bareBullmqUrl: string;
  featured: Child;
  featuredUrl: string;
  bareWorker: Child;
  gotLoop: Child;
}

/** What the featured baseline needs of the gateway's bench config: the same key, the same limits. */
interface FeaturedSettings {
  tenant: string;
  keySha256: string;
  points: number;
  durationS: number;
}

// One folder per process: Node writes a profile per thread (tsx's loader thread too), named by pid and thread.
const prof = (name: string) => (argv.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, name)}`] : []);

/** How long a child may take to say it is ready (tsx compiles the sources as it loads them: slower). */
const START_TIMEOUT_MS = SMOKE ? 90_000 : 60_000;

/** The bare baselines' BullMQ prefix, which the runner's own queue for the bare worker shares. */
const BARE_PREFIX = bullPrefixFor('bench-bare', CLUSTER);

async function startProcesses(redis: BenchRedis, configPath: string, featuredSettings: FeaturedSettings): Promise<Procs> {
  if (argv.profile) mkdirSync(profileDir, { recursive: true });
  const ours = { ...redis.env, GATEWAY_CONFIG: configPath, LOG_LEVEL: 'info', HOST: '127.0.0.1', METRICS_PORT: '0', METRICS_HOST: '127.0.0.1', SHUTDOWN_TIMEOUT_MS: '3000' };
  const [gwPort, bePort, bbPort, fePort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const gateway = spawnTs('gateway', 'src/server.ts', logDir, { nodeArgs: prof('gateway'), env: { ...ours, PORT: String(gwPort) } });
  // Not `submit` (the baseline has no worker either) nor `whk` (the runner finishes those jobs itself).
  const executor = spawnTs('executor', 'workers/executor/index.ts', logDir, { nodeArgs: prof('executor'), env: { ...ours, EXECUTOR_TARGETS: 'echo,hook,mem,noop,noop-guarded,noop-fair' } });
  const notifier = spawnTs('notifier', 'workers/notifier/index.ts', logDir, { nodeArgs: prof('notifier'), env: ours });
  const bare = { ...redis.env, BULL_PREFIX: BARE_PREFIX };
  const bareExpress = spawnTs('bare-express', 'bench/baselines/express-202.ts', logDir, { env: { PORT: String(bePort) } });
  const bareBullmq = spawnTs('bare-express-bullmq', 'bench/baselines/express-bullmq.ts', logDir, { env: { ...bare, PORT: String(bbPort) } });
  // Logs at info to its log file, as the gateway does (stdout → logs/<name>.log).
  const featured = spawnTs('featured-express', 'bench/baselines/express-featured.ts', logDir, {
    env: {
      ...redis.env,
      BULL_PREFIX: bullPrefixFor('bench-featured', CLUSTER),
      PORT: String(fePort),
      LOG_LEVEL: 'info',
      API_KEYS: `${featuredSettings.tenant}:${featuredSettings.keySha256}`,
      RATE_POINTS: String(featuredSettings.points),
      RATE_DURATION_S: String(featuredSettings.durationS),
    },
  });
  const bareWorker = spawnTs('bare-bullmq-worker', 'bench/baselines/bullmq-worker.ts', logDir, {
    env: { ...bare, QUEUE: 'bare-work', CONCURRENCY: String(opts.workerConcurrency) },
  });
  const gotLoop = spawnTs('bare-got-loop', 'bench/baselines/got-loop.ts', logDir, { stdin: true });
  const t = START_TIMEOUT_MS;
  await Promise.all([
    gateway.waitForLine('"gateway.listening"', t),
    executor.waitForLine('"executor.ready"', t),
    notifier.waitForLine('"notifier.ready"', t),
    bareExpress.waitForLine('"ready"', t),
    bareBullmq.waitForLine('"ready"', t),
    featured.waitForLine('"ready"', t),
    bareWorker.waitForLine('"ready"', t),
    gotLoop.waitForLine('"ready"', t),
  ]);
  return {
    redis,
    ourEnv: ours,
    gateway,
    gatewayUrl: `http://127.0.0.1:${gwPort}`,
    executor,
    notifier,
    bareExpress,
    bareExpressUrl: `http://127.0.0.1:${bePort}`,
    bareBullmq,
    bareBullmqUrl: `http://127.0.0.1:${bbPort}`,
    featured,
    featuredUrl: `http://127.0.0.1:${fePort}`,
    bareWorker,
    gotLoop,
  };
}

// ---------------------------------------------------------------------------------------
// Cases

interface Ctx {
  p: Procs;
  stack: BenchStack;
  receiver: Receiver;
  auth: Record<string, string>;
}

const SUBMIT_BODY = JSON.stringify({ target: 'submit', input: { n: 1 } });
const ECHO_BODY = JSON.stringify({ target: 'echo', input: { n: 1 } });
/** The batch case's request: 100 jobs of the submit case's shape. */
const BATCH_SIZE = 100;
const BATCH_BODY = JSON.stringify({ jobs: Array.from({ length: BATCH_SIZE }, (_, n) => ({ target: 'submit', input: { n } })) });

/** A load round of batch requests counted in jobs: throughput and the per-item CPU are per job, latency stays per request. */
function perJob(r: LoadRound, jobsPerRequest: number): LoadRound {
  return { ...r, items: r.items * jobsPerRequest, load: { ...r.load, rps: r.load.rps * jobsPerRequest } };
}

/**
 * One measured load run: the SUT's and Redis's CPU and RSS over the measured part only.
 * `sent`: every request sent, the warm-up's and those in flight at the end too: all that
 * the SUT handled (the traced case compares it with the spans it exported).
 */
async function loadRun(spec: Omit<LoadSpec, 'warmupS' | 'durationS' | 'connections'> & { connections?: number; durationS?: number }, sutPid: number, redis: BenchRedis) {
  const full: LoadSpec = { connections: opts.connections, durationS: opts.durationS, warmupS: 0, ...spec };
  const warm = opts.warmupS > 0 ? await runLoad({ ...full, durationS: opts.warmupS }) : undefined;
  const m = measureWindow(redis, sutPid);
  const r = await runLoad(full);
  return { load: r, ...m.stop(), items: r.answered, sent: r.sent + (warm?.sent ?? 0) };
}

/** A Redis node's usage over a window. */
interface NodeUsage {
  node: RedisNode;
  usage: Usage;
}

/** One measured window: the system under test's usage, all of Redis's (every node's added up) and each node's. */
interface Window {
  sut: Usage;
  redis: Usage;
  redisNodes: NodeUsage[];
}

/** A window's usage and the items (requests, jobs, webhooks) handled in it. */
type Measured = Window & { items: number };

/** Measures `sutPid` and every redis-server of the run over one window (on one Redis the total is that server's). */
function measureWindow(redis: BenchRedis, sutPid: number): { stop(): Window } {
  const key = (n: RedisNode) => `redis:${n.port}`;
  const m = measure({ sut: sutPid, ...Object.fromEntries(redis.nodes.map((n) => [key(n), n.pid])) });
  return {
    stop() {
      const u = m.stop();
      const redisNodes = redis.nodes.map((node) => ({ node, usage: u[key(node)]! }));
      return { sut: u.sut!, redis: sumUsage(redisNodes.map((n) => n.usage)), redisNodes };
    },
  };
}

/** Adds a later window's CPU to a window's (the notifier's bookkeeping tail). */
function withTail(a: Window, b: Window): Window {
  const add = (x: Usage, y: Usage): Usage => ({ ...x, cpuS: x.cpuS + y.cpuS });
  return {
    sut: add(a.sut, b.sut),
    redis: add(a.redis, b.redis),
    redisNodes: a.redisNodes.map((n, i) => ({ node: n.node, usage: add(n.usage, b.redisNodes[i]!.usage) })),
  };
}

type LoadRound = Awaited<ReturnType<typeof loadRun>>;

/** CPU µs per item: CPU seconds over the window (cores × measured seconds) / items handled in it. */
const usPer = (cpuS: number, items: number) => (items > 0 ? (cpuS * 1e6) / items : Number.NaN);

/**
 * The system under test's CPU and peak RSS, and Redis's CPU, over a case's rounds; CPU µs
 * per item (request, job, webhook) as all the rounds' CPU seconds over all their items.
 */
function usageOf(runs: readonly Measured[]): Pick<Row, 'cpuCores' | 'redisCpuCores' | 'cpuUsPerReq' | 'redisCpuUsPerReq' | 'peakRssMB' | 'redisNodes'> {
  const sum = (f: (r: (typeof runs)[number]) => number) => runs.reduce((a, r) => a + f(r), 0);
  const items = sum((r) => r.items);
  return {
    cpuCores: mean(runs.map((r) => r.sut.cores)),
    redisCpuCores: mean(runs.map((r) => r.redis.cores)),
    cpuUsPerReq: usPer(sum((r) => r.sut.cpuS), items),
    redisCpuUsPerReq: usPer(sum((r) => r.redis.cpuS), items),
    peakRssMB: Math.max(...runs.map((r) => r.sut.peakRss)) / MB,
    ...nodeFigures(runs),
  };
}

/**
 * --cluster: Redis's CPU node by node, figured as the totals are (all the runs' CPU
 * over all their items). Nothing on one redis-server, whose figures are the totals.
 */
function nodeFigures(runs: readonly Measured[]): Pick<Row, 'redisNodes'> {
  if (!CLUSTER || runs.length === 0) return {};
  const items = runs.reduce((a, r) => a + r.items, 0);
  const redisNodes = runs[0]!.redisNodes.map(({ node }, i): NodeFigure => {
    const usage = runs.map((r) => r.redisNodes[i]!.usage);
    return {
      port: node.port,
      role: node.role,
      ...(node.replicaOf !== undefined && { replicaOf: node.replicaOf }),
      cpuCores: mean(usage.map((u) => u.cores)),
      cpuUsPerReq: usPer(usage.reduce((a, u) => a + u.cpuS, 0), items),
    };
  });
  return { redisNodes };
}

/** Per-round figures for results.json. */
const roundUsage = (r: Measured) => ({
  items: r.items,
  cpuCores: r.sut.cores,
  redisCpuCores: r.redis.cores,
  cpuS: r.sut.cpuS,
  redisCpuS: r.redis.cpuS,
  windowS: r.sut.wallS,
  cpuUsPerReq: usPer(r.sut.cpuS, r.items),
  redisCpuUsPerReq: usPer(r.redis.cpuS, r.items),
  peakRssMB: r.sut.peakRss / MB,
  ...(CLUSTER && { redisNodes: r.redisNodes.map((n) => ({ port: n.node.port, cpuS: n.usage.cpuS, cpuUsPerReq: usPer(n.usage.cpuS, r.items) })) }),
});

function loadRow(c: CaseId, title: string, system: string, role: Role, unit: string, runs: LoadRound[]): Row {
  const row: Row = {
    case: c,
    title,
    system,
    role,
    unit,
    throughput: mean(runs.map((r) => r.load.rps)),
    p50Ms: mean(runs.map((r) => r.load.latencyMs.p50)),
    p99Ms: mean(runs.map((r) => r.load.latencyMs.p99)),
    ...usageOf(runs),
    failed: runs.reduce((a, r) => a + r.load.failed, 0),
    rounds: runs.map((r) => ({ rps: r.load.rps, latencyMs: r.load.latencyMs, statusCodes: r.load.statusCodes, ...roundUsage(r) })),
  };
  rows.push(row);
  return row;
}

function compare(ours: Row, base: Row): void {
  ours.ratio = ours.throughput! / base.throughput!;
  if (ours.p99Ms !== undefined && base.p99Ms) ours.p99Ratio = ours.p99Ms / base.p99Ms;
}

/** Ours against the featured baseline (and the featured baseline's own ratio to the bare one). */
function compareFeatured(ours: Row, featured: Row, bare: Row): void {
  compare(featured, bare);
  ours.featuredRatio = ours.throughput! / featured.throughput!;
  if (ours.p99Ms !== undefined && featured.p99Ms) ours.featuredP99Ratio = ours.p99Ms / featured.p99Ms;
}

/** ABBA over rounds: the baseline first in odd rounds, ours first in even ones, so drift cancels. */
async function alternate<T>(a: () => Promise<T>, b: () => Promise<T>): Promise<{ a: T[]; b: T[] }> {
  const [ra, rb] = await alternateAll([a, b]);
  return { a: ra!, b: rb! };
}

/**
 * The same with any number of systems: in the listed order in odd rounds, reversed in
 * even ones (ABC CBA), so that a linear drift cancels between every pair.
 */
async function alternateAll<T>(runs: readonly (() => Promise<T>)[]): Promise<T[][]> {
  const out = runs.map(() => [] as T[]);
  for (let r = 0; r < opts.rounds; r++) {
    const order = runs.map((_, i) => i);
    if (r % 2 === 1) order.reverse();
    for (const i of order) out[i]!.push(await runs[i]!());
  }
  return out;
}

async function httpCases(ctx: Ctx): Promise<void> {
  const { p, auth } = ctx;
  const redis = p.redis;
  const json = { 'content-type': 'application/json' };

  if (wants('express-202')) {
    say('case express-202: bare Express 5 JSON 202 handler');
    const runs: LoadRound[] = [];
    for (let r = 0; r < opts.rounds; r++) runs.push(await loadRun({ url: `${p.bareExpressUrl}/v1/jobs`, method: 'POST', headers: json, body: SUBMIT_BODY }, p.bareExpress.pid, redis));
    loadRow('express-202', `POST, ${opts.connections} connections`, 'bare Express 202 (no Redis)', 'info', 'req/s', runs);
  }

  if (wants('submit')) {
    say('case submit: POST /v1/jobs vs bare Express + BullMQ queue.add, and vs the featured Express app');
    const [bareRuns, featuredRuns, ourRuns] = await alternateAll([
      () => loadRun({ url: `${p.bareBullmqUrl}/v1/jobs`, method: 'POST', headers: json, body: SUBMIT_BODY }, p.bareBullmq.pid, redis),
      () => loadRun({ url: `${p.featuredUrl}/v1/jobs`, method: 'POST', headers: { ...json, ...auth }, body: SUBMIT_BODY }, p.featured.pid, redis),
      () => loadRun({ url: `${p.gatewayUrl}/v1/jobs`, method: 'POST', headers: { ...json, ...auth }, body: SUBMIT_BODY }, p.gateway.pid, redis),
    ]);
    const title = `POST /v1/jobs, ${opts.connections} connections`;
    const base = loadRow('submit', title, 'bare Express + BullMQ add', 'baseline', 'req/s', bareRuns!);
    const featured = loadRow('submit', title, 'featured Express (key, Redis limiter, zod, pino, add)', 'featured', 'req/s', featuredRuns!);
    const ours = loadRow('submit', title, 'gateway (auth, rate limit, logging)', 'ours', 'req/s', ourRuns!);
    compare(ours, base);
    compareFeatured(ours, featured, base);
    addCheck('submit throughput / Express+BullMQ', ours.ratio!, '>=', 1.0, 'x');
    addInfo('submit throughput / featured Express', ours.featuredRatio, 'x');
    addCheck('submit p99 / Express+BullMQ p99', ours.p99Ratio!, '<=', 1.5, 'x');
    addInfo('submit p99 / featured Express p99', ours.featuredP99Ratio, 'x');
  }

  if (wants('batch')) {
    say(`case batch: jobs admitted per second in POST /v1/batches of ${BATCH_SIZE} vs single POST /v1/jobs submits`);
    // Smoke: a batch of 100 takes ~0.4 s on an idle machine at 50 connections, more beside a
    // busy test run, so a 1 s window may see none complete (seen in CI: 0 jobs/s). Fewer
    // connections and a longer window, for both sides alike.
    const shape = SMOKE ? { connections: 10, durationS: 3 } : { connections: opts.connections };
    const [singleRuns, batchRuns] = await alternateAll([
      () => loadRun({ url: `${p.gatewayUrl}/v1/jobs`, method: 'POST', headers: { ...json, ...auth }, body: SUBMIT_BODY, ...shape }, p.gateway.pid, redis),
      () => loadRun({ url: `${p.gatewayUrl}/v1/batches`, method: 'POST', headers: { ...json, ...auth }, body: BATCH_BODY, ...shape }, p.gateway.pid, redis).then((r) => perJob(r, BATCH_SIZE)),
    ]);
    const title = `jobs admitted, ${shape.connections} connections (latency: per request)`;
    const single = loadRow('batch', title, 'gateway, single submits', 'baseline', 'jobs/s', singleRuns!);
    const batched = loadRow('batch', title, `gateway, batches of ${BATCH_SIZE}`, 'ours', 'jobs/s', batchRuns!);
    compare(batched, single);
  }

  await submitTracedCase(ctx);

  if (wants('status')) {
    say('case status: GET /v1/jobs/{id} vs bare Express GET, and vs the featured Express app');
    // One job to read in each: made through the system itself, by its own submit.
    const prefill = async (base: string, what: string) => {
      const submitted = await call('POST', `${base}/v1/jobs`, { ...auth }, SUBMIT_BODY);
      if (submitted.status !== 202) throw new Error(`status case: ${what} submit answered ${submitted.status}: ${submitted.text}`);
      const url = `${base}/v1/jobs/${(JSON.parse(submitted.text) as { id: string }).id}`;
      const read = await call('GET', url, { ...auth });
      if (read.status !== 200) throw new Error(`status case: ${what} read answered ${read.status}: ${read.text}`);
      return url;
    };
    const ourUrl = await prefill(p.gatewayUrl, 'gateway');
    const featuredUrl = await prefill(p.featuredUrl, 'featured baseline');
    const id = ourUrl.slice(ourUrl.lastIndexOf('/') + 1);
    const [bareRuns, featuredRuns, ourRuns] = await alternateAll([
      () => loadRun({ url: `${p.bareExpressUrl}/v1/jobs/${id}` }, p.bareExpress.pid, redis),
      () => loadRun({ url: featuredUrl, headers: auth }, p.featured.pid, redis),
      () => loadRun({ url: ourUrl, headers: auth }, p.gateway.pid, redis),
    ]);
    const title = `GET /v1/jobs/{id}, ${opts.connections} connections`;
    const base = loadRow('status', title, 'bare Express GET (no Redis)', 'baseline', 'req/s', bareRuns!);
    const featured = loadRow('status', title, 'featured Express (key, Redis limiter, pino, Job.fromId)', 'featured', 'req/s', featuredRuns!);
    const ours = loadRow('status', title, 'gateway (auth, rate limit, Redis read)', 'ours', 'req/s', ourRuns!);
    compare(ours, base);
    compareFeatured(ours, featured, base);
    addCheck('status read throughput / bare Express', ours.ratio!, '>=', 0.8, 'x');
    addCheck('status read throughput / featured Express', ours.featuredRatio!, '>=', 1.2, 'x');
  }
}

interface TracedGateway {
  child: Child;
  url: string;
}

/**
 * A second gateway like `p.gateway` (same entry, config, Redis and settings, its own port)
 * that exports its spans to `endpoint`. Only the endpoint, the exporter and the service
 * name are set: protocol (http/protobuf), sampler (parent-based always-on: every request,
 * as none of the load carries a traceparent) and batch processor (5 s, batches of 512,
 * queue of 2,048) stay at the SDK's defaults, as in a deployment that sets an endpoint.
 */
async function startTracedGateway(p: Procs, endpoint: string): Promise<TracedGateway> {
  const port = await freePort();
  const child = spawnTs('gateway-traced', 'src/server.ts', logDir, {
    nodeArgs: prof('gateway-traced'),
    env: { ...p.ourEnv, PORT: String(port), OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpoint, OTEL_SERVICE_NAME: 'bench-gateway-traced' },
  });
  // Its tracing.started line proves the SDK is on: without it the case would compare the gateway with itself.
  await Promise.all([child.waitForLine('"tracing.started"', START_TIMEOUT_MS), child.waitForLine('"gateway.listening"', START_TIMEOUT_MS)]);
  return { child, url: `http://127.0.0.1:${port}` };
}

/**
 * What tracing costs on the submit path: the same gateway with OTLP export off
 * (`p.gateway`) and on, alternated under the same load. The traced gateway runs for this
 * case only (idle, it would still add its Redis polling to the other cases) and is stopped
 * at its end, which also flushes the spans its batch processor still held to the sink, so
 * that the sink's counts are complete and the case can say whether spans were dropped.
 */
async function submitTracedCase(ctx: Ctx): Promise<void> {
  if (!wants('submit-traced')) return;
  say('case submit-traced: POST /v1/jobs on the gateway with trace export off and on (OTLP/HTTP protobuf to a local sink)');
  const { p, auth } = ctx;
  const sink = await startOtlpSink();
  let traced: TracedGateway | undefined;
  try {
    traced = await startTracedGateway(p, sink.url);
    const headers = { 'content-type': 'application/json', ...auth };
    const spec = (url: string) => ({ url: `${url}/v1/jobs`, method: 'POST' as const, headers, body: SUBMIT_BODY });
    // The traced gateway has just started (the other too, when this case runs alone): warm both up once,
    // unmeasured, whatever --warmup says (smoke has none), so that neither round measures JIT and first connections.
    const warmUp = (url: string) => runLoad({ ...spec(url), connections: opts.connections, durationS: 1, warmupS: 0 });
    await warmUp(p.gatewayUrl);
    const tracedWarmUp = await warmUp(traced.url);
    const submitTo = (url: string, pid: number) => () => loadRun(spec(url), pid, p.redis);
    const [offRuns, onRuns] = await alternateAll([submitTo(p.gatewayUrl, p.gateway.pid), submitTo(traced.url, traced.child.pid)]);
    const duringRounds = sink.stats();
    await traced.child.stop();
    const total = sink.stats();
    const tracedRequests = onRuns!.reduce((a, r) => a + r.sent, tracedWarmUp.sent);
    checkExports(total, traced.child.logPath);

    const title = `POST /v1/jobs, ${opts.connections} connections`;
    const off = loadRow('submit-traced', title, 'gateway, tracing off', 'info', 'req/s', offRuns!);
    const on = loadRow('submit-traced', title, 'gateway, tracing on (OTLP/HTTP protobuf export, every request sampled)', 'ours', 'req/s', onRuns!);
    const ratio = on.throughput! / off.throughput!;
    const extraUs = on.cpuUsPerReq! - off.cpuUsPerReq!;
    // SERVER spans: one per request; fewer exported than requests sent means the batch processor's queue overflowed.
    const exported = (100 * total.serverSpans) / tracedRequests;
    on.note = `${ratio.toFixed(2)}× tracing off's throughput, ${extraUs >= 0 ? '+' : ''}${extraUs.toFixed(0)} CPU µs/req; ${total.spans} spans in ${total.requests} exports`;
    on.otlp = { duringRounds, total, tracedRequests };
    addInfo('submit throughput, tracing on / off', ratio, 'x');
    addInfo('submit CPU per request, tracing on − off', extraUs, 'µs');
    addInfo('OTLP export requests received (submit-traced)', total.requests, 'requests');
    addInfo('OTLP bytes received (submit-traced)', total.bytes, 'B');
    addInfo('SERVER spans exported / traced requests', exported, '%');
  } finally {
    await traced?.child.stop();
    await sink.close();
  }
}

/** The traced rounds must have exported, and what came must be OTLP protobuf: else the case measured something else. */
function checkExports(s: OtlpStats, logPath: string): void {
  if (s.requests === 0) throw new Error(`submit-traced: the OTLP sink received no export from the traced gateway; see ${logPath}`);
  if (s.undecoded > 0) throw new Error(`submit-traced: ${s.undecoded} of ${s.requests} exports were not OTLP protobuf`);
  if (s.serverSpans === 0) throw new Error(`submit-traced: ${s.requests} exports (${s.bytes} B) but no SERVER span in them`);
}

/** Sequential requests on one keep-alive connection: latency of one request on an idle system. */
async function sequential(n: number, fn: () => Promise<number>): Promise<number[]> {
  for (let i = 0; i < Math.min(20, n); i++) await fn(); // warm-up
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await fn());
  return out;
}

/** `calls`: the requests made while `w` was measured (warm-up included), for CPU µs per request. */
function latencyRow(c: CaseId, title: string, system: string, role: Role, samples: number[], w?: Window, calls = samples.length): Row {
  const row: Row = {
    case: c,
    title,
    system,
    role,
    unit: 'ms',
    p50Ms: percentile(samples, 50),
    p99Ms: percentile(samples, 99),
    ...(w && { cpuCores: w.sut.cores, cpuUsPerReq: usPer(w.sut.cpuS, calls), peakRssMB: w.sut.peakRss / MB }),
    ...(w && { redisCpuCores: w.redis.cores, redisCpuUsPerReq: usPer(w.redis.cpuS, calls), ...nodeFigures([{ ...w, items: calls }]) }),
    rounds: [{ samples: samples.length, p90Ms: percentile(samples, 90), meanMs: mean(samples), maxMs: Math.max(...samples) }],
  };
  rows.push(row);
  return row;
}

async function idleCases(ctx: Ctx): Promise<void> {
  const { p, auth, receiver } = ctx;
  const expectStatus = (status: number, a: { status: number; text: string }, what: string) => {
    if (a.status !== status) throw new Error(`${what}: expected ${status}, got ${a.status}: ${a.text.slice(0, 300)}`);
  };

  if (wants('submit-idle')) {
    say('case submit-idle: one client, one request at a time');
    const base = await sequential(opts.idleRequests, async () => {
      const a = await call('POST', `${p.bareBullmqUrl}/v1/jobs`, {}, SUBMIT_BODY);
      expectStatus(202, a, 'bare submit');
      return a.ms;
    });
    const ours = await sequential(opts.idleRequests, async () => {
      const a = await call('POST', `${p.gatewayUrl}/v1/jobs`, auth, SUBMIT_BODY);
      expectStatus(202, a, 'gateway submit');
      return a.ms;
    });
    const b = latencyRow('submit-idle', 'POST /v1/jobs, 1 client, sequential', 'bare Express + BullMQ add', 'baseline', base);
    const o = latencyRow('submit-idle', 'POST /v1/jobs, 1 client, sequential', 'gateway', 'ours', ours);
    o.note = `p50 ${(o.p50Ms! / b.p50Ms!).toFixed(2)}× the baseline's`;
  }

  if (wants('prefer-wait')) {
    say('case prefer-wait: echo job with Prefer: wait, one at a time');
    const headers = { ...auth, prefer: 'respond-async, wait=10' };
    const m = measureWindow(p.redis, p.gateway.pid);
    const samples = await sequential(opts.idleRequests, async () => {
      const a = await call('POST', `${p.gatewayUrl}/v1/jobs`, headers, ECHO_BODY);
      expectStatus(200, a, 'Prefer: wait');
      return a.ms;
    });
    const u = m.stop();
    const calls = opts.idleRequests + Math.min(20, opts.idleRequests); // sequential()'s warm-up ran in the window too
    const row = latencyRow('prefer-wait', 'POST /v1/jobs + Prefer: wait=10, echo job, idle', 'gateway + executor', 'ours', samples, u, calls);
    addCheck('Prefer: wait echo round trip p50', row.p50Ms!, '<', 10, 'ms');
  }

  if (wants('latency')) {
    say('case latency: submit-to-start and finish-to-webhook on an idle system');
    const body = JSON.stringify({ target: 'hook', input: { n: 1 }, callback: { url: `${receiver.url}/timed` } });
    const toStart: number[] = [];
    const toWebhook: number[] = [];
    const endToEnd: number[] = [];
    const n = opts.latencySamples;
    for (let i = 0; i < n + 5; i++) {
      const t0 = Date.now();
      const a = await call('POST', `${p.gatewayUrl}/v1/jobs`, auth, body);
      expectStatus(202, a, 'submit with callback');
      const id = (JSON.parse(a.text) as { id: string }).id;
      const hook = await receiver.next(id);
      const doc = (JSON.parse(hook.body) as { data: { createdAt: string; startedAt: string; finishedAt: string } }).data;
      if (i >= 5) {
        // The first few warm the path up.
        toStart.push(Date.parse(doc.startedAt) - Date.parse(doc.createdAt));
        toWebhook.push(hook.atMs - Date.parse(doc.finishedAt));
        endToEnd.push(hook.atMs - t0);
      }
      await sleep(SMOKE ? 5 : 20);
    }
    const s = latencyRow('latency', 'submit → attempt started (createdAt → startedAt), idle', 'gateway + executor', 'ours', toStart);
    s.note = 'millisecond timestamps of the job document';
    const w = latencyRow('latency', 'finished → webhook received (finishedAt → receiver), idle', 'executor + notifier', 'ours', toWebhook);
    w.note = 'millisecond timestamps; the receiver is the runner';
    latencyRow('latency', 'submit sent → webhook received, idle', 'whole path', 'info', endToEnd);
    addCheck('submit-to-start p50 (idle)', s.p50Ms!, '<', 5, 'ms');
  }
}

/** A master's used_memory, and the replication buffers counted in it (one redis-server, without replicas, has none). */
interface MasterMemory {
  port: number;
  used: number;
  replication: number;
}

/** INFO memory of every master (of the one Redis, or of each master of the cluster: the replicas hold the same data again). */
function mastersMemory(redis: RedisClient): Promise<MasterMemory[]> {
  return Promise.all(
    masters(redis).map(async (m) => {
      const info = await m.info('memory');
      return { port: m.options.port ?? 0, used: Number(/used_memory:(\d+)/.exec(info)?.[1]), replication: Number(/mem_total_replication_buffers:(\d+)/.exec(info)?.[1] ?? 0) };
    }),
  );
}

/**
 * What the masters' memory grew by between two readings, in all; `jobsDelta`: what of it
 * the jobs took. On a cluster that leaves out the replication buffers' growth: a master's
 * backlog for its replicas fills with whatever is written, up to repl-backlog-size (1 MB
 * by default) per master, a fixed cost that a master written little before this case
 * would put on its jobs (seen: 0.5 MB over a smoke run's 100 jobs).
 */
function memoryGrowth(before: MasterMemory[], after: MasterMemory[]) {
  const perMaster = after.map((a, i) => ({ port: a.port, usedMemoryDelta: a.used - before[i]!.used, replicationBuffersDelta: a.replication - before[i]!.replication }));
  const usedMemoryDelta = perMaster.reduce((a, m) => a + m.usedMemoryDelta, 0);
  if (!CLUSTER) return { usedMemoryDelta, jobsDelta: usedMemoryDelta, cluster: {} };
  const replicationBuffersDelta = perMaster.reduce((a, m) => a + m.replicationBuffersDelta, 0);
  return { usedMemoryDelta, jobsDelta: usedMemoryDelta - replicationBuffersDelta, cluster: { replicationBuffersDelta, perMaster } };
}

async function memoryCase(ctx: Ctx): Promise<void> {
  if (!wants('memory')) return;
  say('case memory: Redis bytes per retained finished job');
  const { stack } = ctx;
  const n = opts.memJobs;
  const r = stack.redis;
  const eventsKey = stack.queues.queue('mem').keys.events!;
  const keyBytes = async (key: string) => Number((await r.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
  await sleep(500);
  const before = await mastersMemory(r);
  const eventsBefore = await keyBytes(eventsKey);
  const records = await stack.submitMany(n, () => ({ tenant: 'bench-mem', correlationId: `mem-${Date.now()}`, target: 'mem', payload: { kind: 'input', input: { n: 1 } } }), 50);
  const deadline = Date.now() + 120_000;
  while ((await stack.queueBacklog('mem')) > 0) {
    if (Date.now() > deadline) throw new Error('memory case: jobs did not finish');
    await sleep(100);
  }
  await sleep(500);
  const after = await mastersMemory(r);
  const eventsAfter = await keyBytes(eventsKey);
  const sample = records.slice(0, Math.min(50, n));
  const statuses = await stack.store.getMany(sample.map((j) => j.id));
  const notFinished = statuses.filter((s) => s?.status !== 'succeeded').length;
  const per = { record: 0, events: 0, attempts: 0 };
  for (const j of sample) {
    per.record += await keyBytes(stack.keys.job(j.id));
    per.events += await keyBytes(stack.keys.jobEvents(j.id));
    per.attempts += await keyBytes(stack.keys.jobAttempts(j.id));
  }
  const breakdown = Object.fromEntries(Object.entries(per).map(([k, v]) => [k, Math.round(v / sample.length)]));
  const queueEvents = eventsAfter - eventsBefore;
  const growth = memoryGrowth(before, after);
  const perJob = (growth.jobsDelta - queueEvents) / n;
  rows.push({
    case: 'memory',
    title: `Redis used_memory per retained finished echo job (${n} jobs)`,
    system: 'gateway + executor',
    role: 'ours',
    unit: 'B/job',
    throughput: perJob,
    rounds: [{ jobs: n, usedMemoryDelta: growth.usedMemoryDelta, ...growth.cluster, bullmqEventsStreamDelta: queueEvents, perJobBytes: perJob, memoryUsagePerKey: breakdown, sampledNotSucceeded: notFinished }],
    note: `MEMORY USAGE per key: record ${breakdown.record} B, event log ${breakdown.events} B, attempts ${breakdown.attempts} B (BullMQ's capped events stream left out)${CLUSTER ? `; used_memory summed over the ${after.length} masters, less their replication buffers' growth (${fmt(growth.usedMemoryDelta - growth.jobsDelta)} B); their replicas hold as much again` : ''}`,
  });
  addCheck('Redis per retained finished job', perJob, '<=', 1.5 * 1024, 'B');
}

async function executorCase(ctx: Ctx): Promise<void> {
  if (!wants('executor')) return;
  say('case executor: no-op jobs, our executor vs a bare BullMQ worker');
  const { p, stack } = ctx;
  const n = opts.execJobs;
  const bare = new Queue('bare-work', { connection: stack.redis, prefix: BARE_PREFIX });
  bare.on('error', () => undefined);
  const bareBacklog = async () => Object.values(await bare.getJobCounts('wait', 'prioritized', 'active', 'delayed')).reduce((a, b) => a + b, 0);

  const ours = (count: number) => drainOurs(ctx, 'noop', count);
  const baseline = async (count: number) => {
    await bare.pause();
    for (let i = 0; i < count; i += 1_000) {
      const batch = Array.from({ length: Math.min(1_000, count - i) }, (_, k) => ({
        name: 'run',
        data: { id: `job_bare${String(i + k).padStart(18, '0')}` },
        opts: { removeOnComplete: true, removeOnFail: true },
      }));
      await bare.addBulk(batch);
    }
    const m = measureWindow(p.redis, p.bareWorker.pid);
    const t0 = performance.now();
    await bare.resume();
    const drain = await timeDrain(count, t0, bareBacklog, 600_000, 25);
    return { drain, ...m.stop(), items: count };
  };
  // Warm both up (JIT, connections), unmeasured.
  await baseline(Math.ceil(n / 10));
  await ours(Math.ceil(n / 10));
  const r = await alternate(() => baseline(n), () => ours(n));
  await bare.close();
  const title = `${n} no-op jobs, concurrency ${opts.workerConcurrency}`;
  const b = drainRow('executor', title, 'bare BullMQ worker', 'baseline', 'jobs/s', r.a);
  const o = drainRow('executor', title, 'executor (echo handler, no delay)', 'ours', 'jobs/s', r.b);
  compare(o, b);
  addCheck('executor throughput / bare BullMQ worker', o.ratio!, '>=', 0.8, 'x');
}

/**
 * Submits `count` no-op jobs to `target` with its queue paused, then times the executor
 * draining them. `tenants`: the jobs go to that many tenants in turn (a fair target's lanes).
 */
async function drainOurs(ctx: Ctx, target: string, count: number, tenants = 1): Promise<DrainRound> {
  const { p, stack } = ctx;
  await stack.queues.pause(target);
  await stack.submitMany(count, (i) => ({ tenant: tenants === 1 ? 'bench-exec' : `bench-exec-${i % tenants}`, correlationId: `exec-${i}`, target, payload: { kind: 'input', input: {} } }));
  const m = measureWindow(p.redis, p.executor.pid);
  const t0 = performance.now();
  await stack.queues.resume(target);
  const drain = await timeDrain(count, t0, () => stack.queueBacklog(target), 600_000, 25);
  return { drain, ...m.stop(), items: count };
}

async function executorBreakerCase(ctx: Ctx): Promise<void> {
  if (!wants('executor-breaker')) return;
  say('case executor-breaker: no-op jobs on a target with a circuit breaker (closed all along) vs the same target without one');
  const n = opts.execJobs;
  await drainOurs(ctx, 'noop', Math.ceil(n / 10));
  await drainOurs(ctx, 'noop-guarded', Math.ceil(n / 10));
  const r = await alternate(() => drainOurs(ctx, 'noop', n), () => drainOurs(ctx, 'noop-guarded', n));
  const title = `${n} no-op jobs, concurrency ${opts.workerConcurrency}, circuit breaker closed`;
  const plain = drainRow('executor-breaker', title, 'executor, no breaker', 'baseline', 'jobs/s', r.a);
  const guarded = drainRow('executor-breaker', title, 'executor, circuit breaker', 'ours', 'jobs/s', r.b);
  compare(guarded, plain);
}

/** Tenants whose jobs the executor-fair case interleaves: enough for the lanes' round-robin to matter. */
const FAIR_BENCH_TENANTS = 10;

async function executorFairCase(ctx: Ctx): Promise<void> {
  if (!wants('executor-fair')) return;
  say(`case executor-fair: no-op jobs of ${FAIR_BENCH_TENANTS} tenants on a target with fairness: tenant vs the same target without it`);
  const n = opts.execJobs;
  await drainOurs(ctx, 'noop', Math.ceil(n / 10), FAIR_BENCH_TENANTS);
  await drainOurs(ctx, 'noop-fair', Math.ceil(n / 10), FAIR_BENCH_TENANTS);
  const r = await alternate(() => drainOurs(ctx, 'noop', n, FAIR_BENCH_TENANTS), () => drainOurs(ctx, 'noop-fair', n, FAIR_BENCH_TENANTS));
  const title = `${n} no-op jobs of ${FAIR_BENCH_TENANTS} tenants, concurrency ${opts.workerConcurrency}`;
  const fifo = drainRow('executor-fair', title, 'executor, fairness none', 'baseline', 'jobs/s', r.a);
  const fair = drainRow('executor-fair', title, 'executor, fairness: tenant (lanes, dispatch window 200)', 'ours', 'jobs/s', r.b);
  compare(fair, fifo);
}

/** `items`: the batch; CPU µs per item is the window's CPU over the whole batch (the window runs from release to the last item). */
type DrainRound = Measured & { drain: Drain };

function drainRow(c: CaseId, title: string, system: string, role: Role, unit: string, runs: DrainRound[]): Row {
  const row: Row = {
    case: c,
    title,
    system,
    role,
    unit,
    throughput: mean(runs.map((r) => r.drain.rate)),
    ...usageOf(runs),
    rounds: runs.map((r) => ({ ...r.drain, ...roundUsage(r) })),
    note: 'rate while 90 % → 10 % of the batch remained',
  };
  rows.push(row);
  return row;
}

async function webhookCase(ctx: Ctx): Promise<void> {
  if (!wants('webhooks')) return;
  say('case webhooks: signed, SSRF-guarded deliveries vs a bare got POST loop');
  const { p, stack, receiver } = ctx;
  const n = opts.webhookJobs;
  const url = `${receiver.url}/hook`;
  const webhookQueue = stack.queues.webhookQueue();
  const webhookBacklog = async () => Object.values(await webhookQueue.getJobCounts('wait', 'prioritized', 'active', 'delayed')).reduce((a, b) => a + b, 0);
  let bodyBytes = 1_000;

  /** Finished jobs with a callback, their webhooks queued (paused) as the executor would. */
  const prefill = async (count: number) => {
    const records = await stack.submitMany(count, (i) => ({
      tenant: 'bench-hook',
      correlationId: `hook-${i}`,
      target: 'whk',
      payload: { kind: 'input', input: { n: 1 } },
      callback: { url },
    }));
    let next = 0;
    const finish = async (record: JobRecord) => {
      const at = Date.now();
      await stack.store.transition(record.id, {
        from: ['queued'],
        set: { status: 'succeeded', attempts: 1, startedAtMs: at, finishedAtMs: at, runAtMs: null, resultJson: '{"echo":{"n":1}}', deadLettered: false, callbackState: 'pending' },
        event: { type: 'status', status: 'succeeded', at },
        expire: 86_400_000,
      });
      await stack.trigger.send(record, 'job.succeeded', at);
    };
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        while (next < records.length) await finish(records[next++]!);
      }),
    );
    const sample = await stack.store.get(records[0]!.id);
    if (sample) bodyBytes = stack.webhookBodyBytes(sample);
  };
  const ours = async (count: number) => {
    await webhookQueue.pause();
    await prefill(count);
    const from = receiver.count;
    const m = measureWindow(p.redis, p.notifier.pid);
    const t0 = performance.now();
    await webhookQueue.resume();
    const drain = await timeDrain(count, t0, () => count - (receiver.count - from), 600_000, 20);
    const u = m.stop();
    // Let the notifier finish its bookkeeping (delivery log, callback state) before the next run;
    // that work is part of each delivery's CPU (not of the rate or the cores figure).
    const tail = measureWindow(p.redis, p.notifier.pid);
    while ((await webhookBacklog()) > 0) await sleep(50);
    return { drain, ...withTail(u, tail.stop()), items: count };
  };
  const baseline = async (count: number) => {
    const from = receiver.count;
    const done = p.gotLoop.waitForLine('"done"', 600_000, true);
    const m = measureWindow(p.redis, p.gotLoop.pid);
    const t0 = performance.now();
    p.gotLoop.send(JSON.stringify({ url, count, concurrency: opts.webhookConcurrency, bodyBytes }));
    const drain = await timeDrain(count, t0, () => count - (receiver.count - from), 600_000, 20);
    const u = m.stop();
    await done;
    return { drain, ...u, items: count };
  };
  await ours(Math.ceil(n / 10)); // also learns the body size for the baseline
  await baseline(Math.ceil(n / 10));
  const r = await alternate(() => baseline(n), () => ours(n));
  const title = `${n} webhooks of ~${bodyBytes} B, ${opts.webhookConcurrency} in flight, loopback receiver`;
  const b = drainRow('webhooks', title, 'bare got POST loop', 'baseline', 'webhooks/s', r.a);
  const o = drainRow('webhooks', title, 'notifier (signing, SSRF guard, delivery log)', 'ours', 'webhooks/s', r.b);
  compare(o, b);
  addCheck('webhook delivery / bare got loop', o.ratio!, '>=', 0.8, 'x');
}

// ---------------------------------------------------------------------------------------
// Report

const fmt = (v: number | undefined, digits = 0) =>
  v === undefined || Number.isNaN(v) ? '' : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function table(redis: BenchRedis): string {
  const head = ['case', 'system', 'throughput', 'p50 ms', 'p99 ms', 'CPU cores', 'Redis CPU', 'CPU µs/req', 'Redis µs/req', 'peak RSS MB', 'ratio to baseline', 'ratio to featured'];
  const body = rows.map((r) => [
    `${r.case}: ${r.title}`,
    r.system,
    r.throughput === undefined ? '' : `${fmt(r.throughput)} ${r.unit}`,
    fmt(r.p50Ms, r.p50Ms !== undefined && r.p50Ms < 20 ? 2 : 0),
    fmt(r.p99Ms, r.p99Ms !== undefined && r.p99Ms < 20 ? 2 : 0),
    fmt(r.cpuCores, 2),
    fmt(r.redisCpuCores, 2),
    fmt(r.cpuUsPerReq, 0),
    fmt(r.redisCpuUsPerReq, 0),
    fmt(r.peakRssMB, 0),
    r.ratio === undefined ? (r.note ?? '') : ratioCell(r.ratio, r.p99Ratio),
    r.featuredRatio === undefined ? '' : ratioCell(r.featuredRatio, r.featuredP99Ratio),
  ]);
  const checkHead = ['target', 'measured', 'goal', 'met'];
  const checkBody = checks.map((c) => [
    c.name,
    c.unit === 'x' ? `${c.measured.toFixed(2)}×` : `${fmt(c.measured, c.unit === 'ms' ? 2 : 0)} ${c.unit}`,
    c.target,
    c.met === null ? '' : c.met ? 'yes' : 'NO',
  ]);
  if (!redis.cluster) return `${markdown(head, body)}\n\n${markdown(checkHead, checkBody)}\n`;
  return `${clusterTitle(redis)}\n\n${markdown(head, body)}\n\n${nodeTable(redis)}\n\n${markdown(checkHead, checkBody)}\n`;
}

const mastersOf = (redis: BenchRedis) => redis.nodes.filter((n) => n.role === 'master');

function clusterTitle(redis: BenchRedis): string {
  const m = mastersOf(redis).length;
  return `Figures on a Redis Cluster (${m} masters, ${redis.nodes.length - m} replicas), every process on REDIS_CLUSTER_NODES: "Redis CPU" and "Redis µs/req" add up all ${redis.nodes.length} redis-server processes (replication included); the table after this one splits them by node.`;
}

/** --cluster: each row's Redis µs per item, node by node, and over the masters and the replicas. */
function nodeTable(redis: BenchRedis): string {
  const name = (n: RedisNode) => (n.role === 'master' ? `:${n.port} master` : `:${n.port} replica of :${n.replicaOf}`);
  const head = ['case', 'system', ...redis.nodes.map(name), 'masters', 'replicas'];
  const sumOf = (figures: NodeFigure[], role: RedisNode['role']) => figures.filter((f) => f.role === role).reduce((a, f) => a + f.cpuUsPerReq, 0);
  const body = rows
    .filter((r) => r.redisNodes)
    .map((r) => [`${r.case}: ${r.title}`, r.system, ...r.redisNodes!.map((f) => fmt(f.cpuUsPerReq, 0)), fmt(sumOf(r.redisNodes!, 'master'), 0), fmt(sumOf(r.redisNodes!, 'replica'), 0)]);
  return `Redis CPU µs per item (the row's unit) by node:\n\n${markdown(head, body)}`;
}

const ratioCell = (ratio: number, p99Ratio?: number) => `${ratio.toFixed(2)}×${p99Ratio !== undefined ? ` (p99 ${p99Ratio.toFixed(2)}×)` : ''}`;

function markdown(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

// ---------------------------------------------------------------------------------------
// Main

/** --cluster: what results.json's settings say of the cluster (nothing on one redis-server). */
function clusterSettings(redis: BenchRedis) {
  if (!redis.cluster) return {};
  const m = mastersOf(redis).length;
  return {
    cluster: true,
    clusterNodes: redis.nodes.length,
    clusterMasters: m,
    clusterReplicas: redis.nodes.length - m,
    clusterLayout: redis.nodes.map(({ port, role, replicaOf }) => ({ port, role, ...(replicaOf !== undefined && { replicaOf }) })),
  };
}

/** A failover during the run (a node deemed down on a loaded machine) would have measured something else: fail the run. */
async function checkNoFailover(redis: BenchRedis): Promise<void> {
  const now = await clusterNodes(redis.nodes);
  const moved = now.filter((n) => redis.nodes.find((o) => o.port === n.port)?.role !== n.role);
  if (moved.length) throw new Error(`Redis Cluster roles changed during the run (a failover): ${moved.map((n) => `:${n.port} is now ${n.role}`).join(', ')}`);
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const wait = SMOKE || argv['no-load-wait'] ? { waitedS: 0, timedOut: false } : await waitForQuietMachine();
  const loadAtStart = loadavg();
  say(`bench: ${MODE} run, load ${loadAtStart.join(' ')}, output in ${relative(process.cwd(), outDir) || '.'}`);

  if (RUNTIME === 'compiled') {
    say('bench: compiling src/, workers/ and the baselines (bench/.build)');
    compileForBench();
  }
  const redis = CLUSTER ? await startBenchCluster(CLUSTER_MASTERS) : singleRedis(await startPrivateRedis(logDir));
  if (redis.cluster) say(`bench: Redis Cluster, ${redis.nodes.map((n) => `:${n.port} ${n.role}${n.replicaOf ? ` of :${n.replicaOf}` : ''}`).join(', ')}`);
  const token = generateApiKey();
  const doc = parseYaml(readFileSync(join(ROOT, 'bench/config/gateway.bench.yaml'), 'utf8')) as Record<string, unknown>;
  doc.auth = { keys: [{ id: 'bench-key', tenant: 'bench', role: 'client', sha256: hashApiKey(token) }] };
  const configPath = join(outDir, 'config.yaml');
  writeFileSync(configPath, stringifyYaml(doc));
  // The featured baseline takes the same key and the gateway's per-tenant limits (high enough never to refuse).
  const limits = (doc.tenants as { defaults: { requestsPerWindow: number; windowSeconds: number } }).defaults;
  const featuredSettings: FeaturedSettings = { tenant: 'bench', keySha256: hashApiKey(token), points: limits.requestsPerWindow, durationS: limits.windowSeconds };

  const receiver = await startReceiver();
  const stack = await openStack(redis.target, configPath);
  let failure: unknown = null;
  try {
    const p = await startProcesses(redis, configPath, featuredSettings);
    const ctx: Ctx = { p, stack, receiver, auth: { authorization: `Bearer ${token}` } };
    await httpCases(ctx);
    await idleCases(ctx);
    await memoryCase(ctx);
    await executorCase(ctx);
    await executorBreakerCase(ctx);
    await executorFairCase(ctx);
    await webhookCase(ctx);
    const gatewayHwm = memory(p.gateway.pid).hwm;
    rows.push({ case: 'memory', title: 'gateway process peak RSS (VmHWM) over the run', system: 'gateway', role: 'ours', unit: 'MB', peakRssMB: gatewayHwm / MB, rounds: [] });
    addCheck('gateway peak RSS', gatewayHwm / MB, '<', 150, 'MB');
    if (redis.cluster) await checkNoFailover(redis);
  } catch (err) {
    failure = err;
  } finally {
    closeAgent();
    await stopAll(10_000);
    await stack.close().catch(() => undefined);
    await receiver.close();
    await redis.stop();
  }
  const loadAtEnd = loadavg();
  const result = {
    mode: MODE,
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: { ...machine(), redis: redis.version },
    load: { atStart: loadAtStart, atEnd: loadAtEnd, waitedS: wait.waitedS, waitTimedOut: wait.timedOut, maxLoad: Number(argv['max-load']) },
    settings: { ...opts, runtime: RUNTIME, cases: [...chosen], profile: argv.profile, ...clusterSettings(redis) },
    rows,
    checks,
    error: failure ? String((failure as Error).stack ?? failure) : null,
  };
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(result, null, 2)}\n`);
  const text = table(redis);
  writeFileSync(join(outDir, 'table.md'), text);
  process.stdout.write(`\n${text}\nload (1/5/15 min): start ${loadAtStart.join(' ')}, end ${loadAtEnd.join(' ')}\nresults: ${join(outDir, 'results.json')}\n`);
  if (argv.profile) process.stdout.write(`\n${summarizeProfiles(profileDir)}\n`);
  if (failure) {
    process.stderr.write(`bench failed: ${(failure as Error).stack ?? String(failure)}\n`);
    process.exitCode = 1;
  }
}

await main();
