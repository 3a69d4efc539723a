import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Job, Queue } from 'bullmq';
import express, { type ErrorRequestHandler, type Request, type RequestHandler } from 'express';
import { pino } from 'pino';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { z } from 'zod';
import { bullPrefix, connect } from './redis-connection.js';

/**
 * Baseline: what a competent team writes by hand with the same admission features as
 * the gateway. Express 5, a Bearer API-key check (the SHA-256 of the key looked up in a
 * Map of configured hashes), a per-tenant Redis rate limiter (rate-limiter-flexible),
 * zod validation of a body shaped like ours, one request log line per request with pino
 * (as pino-http writes it: pino-http is not a dependency of this project, so its
 * middleware is written out here), then BullMQ:
 *
 *   POST /v1/jobs      auth, rate limit, zod, `queue.add` with a generated id → 202 + Location
 *   GET  /v1/jobs/:id  auth, rate limit, one job read (`Job.fromId`) → 200 document, or 404
 *
 * No idempotency, quotas, metrics, correlation ids or job store of its own: BullMQ's job
 * hash is the only record. Configured by the runner through the environment:
 *   API_KEYS       comma-separated `tenant:sha256hex` pairs
 *   RATE_POINTS, RATE_DURATION_S   the limiter's requests per window (as the gateway's bench config)
 */
const connection = connect({ maxRetriesPerRequest: 1 });
const queue = new Queue('jobs', { connection, prefix: bullPrefix('bench-featured') });
queue.on('error', () => undefined);

// --- request logging, as pino-http does it: a child logger bound to the serialized request, one line when the response ends
// pino-http's defaults: the standard req/res/err serializers; the key itself is never written.
const logger = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  serializers: { req: pino.stdSerializers.req, res: pino.stdSerializers.res, err: pino.stdSerializers.err },
  redact: ['req.headers.authorization'],
});
let nextRequestId = 0;
const requestLog: RequestHandler = (req, res, next) => {
  const started = Date.now();
  (req as Request & { id: number }).id = nextRequestId = (nextRequestId + 1) & 0x7fffffff;
  const log = logger.child({ req });
  res.once('finish', () => {
    const responseTime = Date.now() - started;
    if (res.statusCode >= 500) log.error({ res, responseTime }, 'request errored');
    else log.info({ res, responseTime }, 'request completed');
  });
  next();
};

// --- API keys: hex SHA-256 of each key → its tenant
const keys = new Map<string, { tenant: string }>(
  (process.env.API_KEYS ?? '')
    .split(',')
    .filter(Boolean)
    .map((pair) => {
      const [tenant, sha256] = pair.split(':');
      return [sha256!, { tenant: tenant! }];
    }),
);
const authenticate: RequestHandler = (req, res, next) => {
  const match = /^Bearer (\S+)$/.exec(req.get('authorization') ?? '');
  const entry = match ? keys.get(createHash('sha256').update(match[1]!).digest('hex')) : undefined;
  if (!entry) {
    res.status(401).json({ error: 'unauthorized' });
    return;
  }
  res.locals.tenant = entry.tenant;
  next();
};

// --- per-tenant rate limit, counted in Redis
// On a Redis Cluster it takes the ioredis Cluster as it is: each consume is one script
// (its rlflxIncr command) on the one key `featured-rl:<tenant>`, which routes to that key's node.
const limiter = new RateLimiterRedis({
  storeClient: connection,
  keyPrefix: 'featured-rl',
  points: Number(process.env.RATE_POINTS ?? 1_000),
  duration: Number(process.env.RATE_DURATION_S ?? 1),
});
const rateLimit: RequestHandler = async (_req, res, next) => {
  try {
    await limiter.consume(res.locals.tenant as string);
    next();
  } catch (err) {
    if (!(err instanceof RateLimiterRes)) throw err;
    res.status(429).set('Retry-After', String(Math.max(1, Math.ceil(err.msBeforeNext / 1_000)))).json({ error: 'rate_limited' });
  }
};

// --- the body, shaped like the gateway's
const SubmitBody = z.strictObject({
  target: z.string().min(1).max(63),
  input: z.unknown().optional(),
  metadata: z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/), z.string().max(256)).optional(),
});

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : null);
const statusOf = (job: Job) => (job.finishedOn ? (job.failedReason ? 'failed' : 'succeeded') : job.processedOn ? 'running' : 'queued');

const app = express();
app.disable('x-powered-by');
app.use(requestLog, authenticate, rateLimit);

app.post('/v1/jobs', express.json(), async (req, res) => {
  const parsed = SubmitBody.safeParse(req.body);
  if (!parsed.success) {
    res.status(400).json({ error: 'invalid_body', issues: parsed.error.issues });
    return;
  }
  const { target, input, metadata } = parsed.data;
  const tenant = res.locals.tenant as string;
  const id = `job_${randomBytes(16).toString('base64url')}`;
  const job = await queue.add(target, { tenant, input, metadata: metadata ?? {} }, { jobId: id, attempts: 3, removeOnComplete: true, removeOnFail: true });
  res.status(202).location(`/v1/jobs/${id}`).json({ id, target, status: 'queued', createdAt: iso(job.timestamp), links: { self: `/v1/jobs/${id}` } });
});

app.get('/v1/jobs/:id', async (req, res) => {
  const job = await Job.fromId<{ tenant: string; input: unknown; metadata: Record<string, string> }>(queue, req.params.id);
  if (!job || job.data.tenant !== res.locals.tenant) {
    res.status(404).json({ error: 'not_found' });
    return;
  }
  const self = `/v1/jobs/${job.id}`;
  res.json({
    id: job.id,
    target: job.name,
    status: statusOf(job),
    createdAt: iso(job.timestamp),
    startedAt: iso(job.processedOn),
    finishedAt: iso(job.finishedOn),
    attempts: job.attemptsMade,
    maxAttempts: job.opts.attempts ?? 1,
    progress: job.progress ?? null,
    result: job.returnvalue ?? null,
    error: job.failedReason ?? null,
    metadata: job.data.metadata,
    links: { self, result: `${self}/result` },
  });
});

const onError: ErrorRequestHandler = (err, _req, res, _next) => {
  const status = typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : 500;
  res.status(status).json({ error: status >= 500 ? 'internal' : 'bad_request' });
};
app.use(onError);

await queue.waitUntilReady();
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  logger.info({ event: 'ready', port: (server.address() as AddressInfo).port }, 'listening');
});
process.on('SIGTERM', () => {
  server.close(() => {
    void queue.close().finally(() => {
      logger.flush();
      process.exit(0);
    });
  });
});
